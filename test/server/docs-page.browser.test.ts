// /docs in Chromium ("a reference page at /docs"): swagger-ui renders
// every operation of /openapi.json with no CSP violation or script error.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { launch, problemsOf } from "../client/browser.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let browser: Browser;
before(async () => {
  server = await startTestServer();
  browser = await launch();
});
after(async () => {
  await browser.close();
  await server.close();
});

test("the reference page renders the API under its CSP", async () => {
  const page = await browser.newPage();
  const problems = problemsOf(page);
  await page.goto(`${server.url}/docs`);
  await page.waitForSelector(".opblock", { timeout: 20_000 });
  const operations = await page.locator(".opblock").count();
  assert.ok(operations >= 30, `${operations} operations shown`);
  assert.ok(await page.getByText("/admin/audit", { exact: true }).count() > 0);
  assert.deepEqual(problems, []);
  await page.close();
});
