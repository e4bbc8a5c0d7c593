// Chromium for the browser tests: launch (Debian's /usr/bin/chromium through
// playwright-core, never a downloaded browser), pages that record console
// problems, request counters, and screenshots under test-results/.
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];
const RESULTS = new URL("../../test-results/", import.meta.url).pathname;

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ARGS });
}

/** Console errors, warnings and uncaught exceptions of a page. */
export function problemsOf(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

/** The browser's own report of a 4xx answer, expected in tests that provoke one. */
export const expectedRefusal = (problem: string) => /Failed to load resource: the server responded with a status of 40[01]/.test(problem);

export interface SeenRequest {
  path: string;
  grant: string | null;
  status?: number;
}

/** Records every request a page or a whole context (all its tabs) sends, and the status it got. */
export function watch(target: Page | BrowserContext) {
  const seen: SeenRequest[] = [];
  target.on("request", (request) => {
    const grant = new URLSearchParams(request.postData() ?? "").get("grant_type");
    const entry: SeenRequest = { path: new URL(request.url()).pathname, grant };
    seen.push(entry);
    void request.response().then((response) => (entry.status = response?.status()), () => undefined);
  });
  return {
    seen,
    count: (path: string, grant?: string) => seen.filter((r) => r.path === path && (grant === undefined || r.grant === grant)).length,
    reset: () => void seen.splice(0),
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: `${RESULTS}${name}.png`, fullPage: true });
}
