// tessera/client and the demo page in headless Chromium, against a real
// Tessera server, opened the way a newcomer opens it: at http://localhost:<port>/
// with the server's issuer on that origin (cookie sessions trust writes only
// from the issuer's origin). The server's clock runs ten minutes behind the browser's, so
// every flow here also proves the client's skew correction: a client that
// compared `exp` with its own clock would think the 20-second demo tokens had
// expired before they were issued.
//
// Time-dependent flows move both clocks together (the page's with Playwright's
// clock, the server's with the test clock) instead of waiting in real time.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { freePort, startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { expectedRefusal, launch, problemsOf, screenshot, watch } from "./browser.js";

const SKEW = 10 * 60_000;
const PASSWORD = "correct horse battery staple";
const root = new URL("../../", import.meta.url).pathname;

let browser: Browser;
let server: TestServer;
let port = 0;
let users = 0;

before(async () => {
  // The server reads web/dist when it starts, so the page is built first.
  const built = spawnSync(process.execPath, ["scripts/build-web.js"], { cwd: root, encoding: "utf8" });
  assert.equal(built.status, 0, built.stderr);
  port = await freePort();
  server = await startTestServer({ clock: testClock(Date.now() - SKEW), config: { port, issuer: `http://localhost:${port}` } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function newUser(): Promise<string> {
  const username = `pw${process.pid}u${++users}`;
  const answer = await server.request("POST", "/auth/register", { json: { username, password: PASSWORD } });
  assert.equal(answer.status, 201, answer.text);
  return username;
}

/** A fresh context (its own storage, tabs and cookies), optionally with a fake page clock and saved page settings. */
async function newContext(options: { clock?: boolean; settings?: { storage: string; demo: boolean } } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (options.clock) await context.clock.install();
  if (options.settings) {
    const value = JSON.stringify(options.settings);
    await context.addInitScript((v) => localStorage.setItem("tessera-demo:settings", v), value);
  }
  return context;
}

async function open(context: BrowserContext, url = `${server.issuer}/`): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems = problemsOf(page);
  await page.goto(url);
  await page.waitForFunction(() => window.tessera?.client !== undefined);
  return { page, problems };
}

/** Signs in through the SDK and waits for the page to finish showing the user and sessions. */
async function signIn(page: Page, username: string): Promise<void> {
  await page.evaluate(([u, p]) => window.tessera.client.signIn(u, p), [username, PASSWORD] as const);
  await page.locator("#session-list li").first().waitFor();
}

/** Moves the page's clock and the server's together, as if the laptop had slept. */
async function advance(context: BrowserContext, ms: number): Promise<void> {
  server.clock?.advance(ms);
  await context.clock.fastForward(ms);
}

const events = (page: Page) => page.evaluate(() => window.tessera.events.map((e) => `${e.type}:${e.reason}`));

describe("the demo page", () => {
  test("sign up and sign in through the forms; claims shown; a protected call succeeds", async () => {
    const context = await newContext();
    const { page, problems } = await open(context);
    const username = `pw${process.pid}ui`;
    await page.getByRole("tab", { name: "Create account" }).click();
    const form = page.locator("#form-signup");
    await form.getByLabel("Username", { exact: true }).fill(username);
    await form.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account and sign in" }).click();
    await page.getByRole("status").filter({ hasText: `Signed in as ${username}` }).waitFor();

    for (const claim of ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "sid", "scope", "roles"]) {
      assert.equal(await page.locator(`#jwt-claims [data-claim="${claim}"]`).count(), 1, `claim ${claim} shown`);
    }
    assert.match(await page.locator("#jwt-claims [data-claim=client_id] td").innerText(), /tessera-web/);
    assert.match(await page.locator("#jwt-header").innerText(), /"typ": "at\+jwt"/);
    assert.match(await page.locator("#countdown-text").innerText(), /Expires in (8[89]\d|900) s/);

    await page.getByRole("button", { name: "Call protected API" }).click();
    await page.locator('#api-result[data-status="200"]').waitFor();
    assert.match(await page.locator("#api-result").innerText(), new RegExp(`"username":"${username}".*"auth":"bearer"`));
    assert.equal(await page.locator('#diagram [data-step="ok"].now').count(), 1, "diagram lit the answer");
    assert.ok(await page.locator("#timeline [data-kind=sign-in]").count());
    assert.match(await page.locator("#timeline [data-kind=api]").first().innerText(), /Authorization: Bearer eyJ/);

    // Every form control has a label and every button a name.
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLInputElement>("input, select")].filter((e) => !e.labels?.length).map((e) => e.id),
    );
    assert.deepEqual(unlabelled, []);
    await screenshot(page, "client-signed-in");
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("with a 20 s token, a call after expiry succeeds through a quiet refresh, no sign-in", async () => {
    const context = await newContext({ clock: true, settings: { storage: "memory", demo: true } });
    const { page, problems } = await open(context);
    await signIn(page, await newUser());
    assert.match(await page.locator("#jwt-claims [data-claim=client_id] td").innerText(), /tessera-demo/);
    const requests = watch(page);
    await advance(context, 25_000);
    assert.match(await page.locator("#countdown-text").innerText(), /Expired/);

    await page.getByRole("button", { name: "Call protected API" }).click();
    await page.locator('#api-result[data-status="200"]').waitFor();
    assert.equal(requests.count("/oauth/token", "refresh_token"), 1);
    assert.equal(requests.count("/oauth/token", "password"), 0, "no new sign-in");
    assert.deepEqual(requests.seen.filter((r) => r.path === "/userinfo").map((r) => r.status), [200], "refreshed before the call, so no 401");
    assert.deepEqual((await events(page)).slice(-1), ["TOKEN_REFRESHED:expiring"]);
    assert.match(await page.locator("#countdown-text").innerText(), /Expires in (1\d|20) s/);
    await screenshot(page, "client-quiet-refresh");
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("sessions are listed, one is ended from the page, and sign-out everywhere ends them all", async () => {
    const context = await newContext();
    const { page, problems } = await open(context);
    const username = await newUser();
    await signIn(page, username);
    const elsewhere = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username, password: PASSWORD } });
    await page.getByRole("button", { name: "List sessions" }).click();
    await page.locator("#session-list li").nth(1).waitFor();
    const other = page.locator("#session-list li:not(.current)");
    await other.getByRole("button", { name: /End session/ }).click();
    await page.locator("#session-list li:not(.current)").waitFor({ state: "detached" });
    assert.equal((await server.request("GET", "/userinfo", { token: elsewhere.body.access_token })).status, 401);

    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await page.getByRole("status").filter({ hasText: "Signed out" }).waitFor();
    assert.deepEqual((await events(page)).slice(-1), ["SIGNED_OUT:everywhere"]);
    await screenshot(page, "client-signed-out");
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe("tessera/client in the page", () => {
  test("concurrent calls after expiry share one refresh", async () => {
    const context = await newContext({ clock: true, settings: { storage: "memory", demo: true } });
    const { page, problems } = await open(context);
    await signIn(page, await newUser());
    const requests = watch(page);
    await advance(context, 25_000);
    const statuses = await page.evaluate(() => Promise.all(Array.from({ length: 20 }, () => window.tessera.client.fetch("/userinfo").then((r) => r.status))));
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(requests.count("/oauth/token", "refresh_token"), 1);
    assert.equal(requests.count("/userinfo"), 20);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("two tabs refreshing at the same moment share one rotation; sign-out in one reaches the other", async () => {
    const context = await newContext({ clock: true, settings: { storage: "memory", demo: true } });
    const first = await open(context);
    const second = await open(context);
    await signIn(first.page, await newUser());
    // Memory storage: the second tab learns of the sign-in only by broadcast.
    await second.page.waitForFunction(() => window.tessera.events.some((e) => e.type === "SIGNED_IN" && e.reason === "other_tab"));
    const requests = watch(context);
    await advance(context, 25_000);
    const call = (page: Page) => page.evaluate(() => window.tessera.client.fetch("/userinfo").then((r) => r.status));
    assert.deepEqual(await Promise.all([call(first.page), call(second.page)]), [200, 200]);
    assert.equal(requests.count("/oauth/token", "refresh_token"), 1, "one rotation for both tabs");
    const refreshTokens = await Promise.all([first.page, second.page].map((p) => p.evaluate(async () => (await window.tessera.client.getSession())?.refreshToken)));
    assert.equal(refreshTokens[0], refreshTokens[1]);
    assert.ok(refreshTokens[0]);

    await first.page.getByRole("button", { name: "Sign out", exact: true }).click();
    await second.page.getByRole("status").filter({ hasText: "Signed out" }).waitFor();
    assert.deepEqual((await events(second.page)).slice(-1), ["SIGNED_OUT:other_tab"]);
    const after = await second.page.evaluate(() => window.tessera.client.fetch("/userinfo").then(() => "sent", (e: { code?: string }) => e.code));
    assert.equal(after, "not_signed_in");
    await screenshot(second.page, "client-two-tabs-signed-out");
    assert.deepEqual([...first.problems, ...second.problems], []);
    await context.close();
  });

  test("a 401 invalid_token leads to one refresh and one retry; a second 401 is returned, not looped", async () => {
    const context = await newContext();
    const { page, problems } = await open(context);
    await signIn(page, await newUser());
    const requests = watch(page);
    let refusals = 1;
    await page.route("**/userinfo", (route) =>
      refusals-- > 0
        ? route.fulfill({ status: 401, headers: { "www-authenticate": 'Bearer realm="tessera", error="invalid_token"' }, body: "" })
        : route.fallback(),
    );
    const call = () => page.evaluate(() => window.tessera.client.fetch("/userinfo").then((r) => r.status));
    assert.equal(await call(), 200);
    assert.equal(requests.count("/userinfo"), 2);
    assert.equal(requests.count("/oauth/token", "refresh_token"), 1);
    assert.deepEqual((await events(page)).slice(-1), ["TOKEN_REFRESHED:invalid_token"]);

    requests.reset();
    refusals = Infinity;
    assert.equal(await call(), 401);
    assert.equal(requests.count("/userinfo"), 2, "one retry, then the 401 is returned");
    assert.equal(requests.count("/oauth/token", "refresh_token"), 1);
    assert.deepEqual(problems.filter((p) => !expectedRefusal(p)), []);
    await context.close();
  });

  test("a session ended from another session makes the next call raise SESSION_EXPIRED", async () => {
    const context = await newContext();
    const { page, problems } = await open(context);
    const username = await newUser();
    await signIn(page, username);
    const sid = await page.evaluate(async () => (await window.tessera.client.getSession())?.claims?.sid);
    const other = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username, password: PASSWORD } });
    const ended = await server.request("DELETE", `/auth/sessions/${sid}`, { token: other.body.access_token });
    assert.equal(ended.status, 204);

    const outcome = await page.evaluate(() => window.tessera.client.fetch("/userinfo").then((r) => r.status, (e: { code?: string }) => e.code));
    assert.equal(outcome, "session_expired");
    assert.deepEqual((await events(page)).slice(-1), ["SESSION_EXPIRED:revoked"], "the server's reason, passed through");
    await page.getByRole("alert").filter({ hasText: "Your session has ended" }).waitFor();
    assert.equal(await page.locator("#signed-out").isVisible(), true);
    await screenshot(page, "client-session-expired");
    assert.deepEqual(problems.filter((p) => !expectedRefusal(p)), []);
    await context.close();
  });

  test("a replayed refresh token (after the grace window) ends the session: SESSION_EXPIRED", async () => {
    const context = await newContext();
    const { page, problems } = await open(context);
    await signIn(page, await newUser());
    const stolen = await page.evaluate(async () => (await window.tessera.client.getSession())?.refreshToken);
    await page.evaluate(() => window.tessera.client.refresh()); // the page rotates; `stolen` is spent
    server.clock?.advance(11_000); // past the 10 s grace window
    const replay = await server.request("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: String(stolen) } });
    assert.equal(replay.status, 400);

    const outcome = await page.evaluate(() => window.tessera.client.fetch("/userinfo").then((r) => r.status, (e: { code?: string }) => e.code));
    assert.equal(outcome, "session_expired");
    assert.deepEqual((await events(page)).slice(-2), ["TOKEN_REFRESHED:manual", "SESSION_EXPIRED:reuse"]);
    await page.getByRole("alert").filter({ hasText: "a spent refresh token was replayed" }).waitFor();
    assert.deepEqual(problems.filter((p) => !expectedRefusal(p)), []);
    await context.close();
  });
});

describe("storage modes", () => {
  const key = () => `tessera:${server.issuer}:tessera-web`;

  test("localStorage survives a reload and is shared with a new tab", async () => {
    const context = await newContext();
    const { page, problems } = await open(context);
    await page.getByLabel("Storage mode").selectOption("localStorage");
    await signIn(page, await newUser());
    const stored = await page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? "null") as { refreshToken?: string } | null, key());
    assert.ok(stored?.refreshToken);
    await page.reload();
    await page.getByRole("status").filter({ hasText: "Signed in as" }).waitFor();
    assert.deepEqual((await events(page)).slice(0, 1), ["SIGNED_IN:restored"]);
    const fresh = await open(context);
    await fresh.page.getByRole("status").filter({ hasText: "Signed in as" }).waitFor();
    await screenshot(page, "client-storage-localstorage");
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Signed out" }).waitFor();
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), key()), null);
    assert.deepEqual([...problems, ...fresh.problems], []);
    await context.close();
  });

  test("sessionStorage survives a reload of its tab only", async () => {
    const context = await newContext();
    const { page, problems } = await open(context);
    await page.getByLabel("Storage mode").selectOption("sessionStorage");
    await signIn(page, await newUser());
    await page.reload();
    await page.getByRole("status").filter({ hasText: "Signed in as" }).waitFor();
    const fresh = await open(context);
    assert.deepEqual(await events(fresh.page), []);
    assert.equal(await fresh.page.evaluate(() => window.tessera.client.getSession()), null);
    assert.deepEqual([...problems, ...fresh.problems], []);
    await context.close();
  });

  test("memory storage keeps nothing across a reload", async () => {
    const context = await newContext();
    const { page, problems } = await open(context);
    assert.equal(await page.getByLabel("Storage mode").inputValue(), "memory");
    await signIn(page, await newUser());
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0, "nothing written to web storage");
    await page.reload();
    await page.waitForFunction(() => window.tessera?.client !== undefined);
    assert.equal(await page.evaluate(() => window.tessera.client.getSession()), null);
    assert.equal(await page.getByRole("status").innerText(), "Signed out");
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe("cookie mode", () => {
  const cookieSettings = { storage: "cookie", demo: false };
  /** The answers the browser reports itself when a test provokes them. */
  const refusals = (problems: string[]) => problems.filter((p) => !/Failed to load resource: the server responded with a status of 40[013]/.test(p));

  test("the page: no token readable by scripts, the session cookie shown, the CSRF header on writes in the timeline", async () => {
    const context = await newContext();
    const { page, problems } = await open(context);
    await page.getByLabel("Storage mode").selectOption("cookie");
    assert.equal(await page.getByLabel("Short-lived tokens (20 s)").isDisabled(), true, "cookie sessions have no access token to shorten");
    assert.equal(await page.locator("#origin-warning").isVisible(), false, "the page is on the issuer's origin");
    const requests = watch(page);
    const username = await newUser();
    const form = page.locator("#form-signin");
    await form.getByLabel("Username or email").fill(username);
    await form.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("status").filter({ hasText: `Signed in as ${username}` }).waitFor();

    // What the browser holds: an HttpOnly session cookie and a readable CSRF cookie, both __Host- (Secure on http://localhost).
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "__Host-tessera_session");
    assert.deepEqual([session?.httpOnly, session?.secure, session?.sameSite, session?.path, session?.domain], [true, true, "Lax", "/", "localhost"]);
    assert.equal(cookies.find((c) => c.name === "__Host-tessera_csrf")?.httpOnly, false);
    // What scripts see: no token anywhere.
    assert.equal(await page.evaluate(() => document.cookie.includes("tessera_session")), false);
    assert.equal(await page.evaluate(() => /eyJ|tsr_/.test(JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie)), false);
    assert.equal(await page.evaluate(() => window.tessera.client.getAccessToken()), null);
    // What the page shows.
    assert.equal(await page.getByRole("heading", { name: "Session cookie" }).count(), 1);
    assert.equal(await page.locator("#token-view").isVisible(), false);
    assert.equal(await page.getByRole("button", { name: "Refresh tokens now" }).isVisible(), false);
    await page.locator('#cookie-facts [data-fact="session-cookie"]').filter({ hasText: 'auth: "cookie"' }).waitFor();
    assert.match(await page.locator('#cookie-facts [data-fact="session-cookie"]').innerText(), /__Host-tessera_session.*present/);
    assert.match(await page.locator('#cookie-facts [data-fact="readable"]').innerText(), /^None/);
    const scriptView = await page.locator("#script-view").innerText();
    assert.match(scriptView, /__Host-tessera_csrf=/);
    assert.doesNotMatch(scriptView, /tessera_session=/);
    await page.locator('#cookie-facts [data-fact="ends"]').waitFor();

    // A read: the cookie goes along, no CSRF header, no Authorization.
    await page.getByRole("button", { name: "Call protected API" }).click();
    await page.locator('#api-result[data-status="200"]').waitFor();
    assert.match(await page.locator("#api-result").innerText(), /"auth":"cookie"/);
    const read = await page.locator('#timeline [data-kind="api"]').filter({ hasText: "GET /userinfo" }).first().innerText();
    assert.match(read, /Cookie: __Host-tessera_session/);
    assert.doesNotMatch(read, /X-CSRF-Token|Authorization/);
    await screenshot(page, "client-cookie-mode");

    // A reload keeps the session (nothing stored: the client finds the readable CSRF cookie).
    await page.reload();
    await page.getByRole("status").filter({ hasText: `Signed in as ${username}` }).waitFor();
    assert.deepEqual((await events(page)).slice(0, 1), ["SIGNED_IN:restored"]);

    // A write: ending another session sends the CSRF header.
    await server.request("POST", "/oauth/token", { form: { grant_type: "password", username, password: PASSWORD } });
    await page.getByRole("button", { name: "List sessions" }).click();
    await page.locator("#session-list li").nth(1).waitFor();
    await page.locator("#session-list li:not(.current)").getByRole("button", { name: /End session/ }).click();
    await page.locator("#session-list li:not(.current)").waitFor({ state: "detached" });
    const write = await page.locator('#timeline [data-kind="api"]').filter({ hasText: "DELETE /auth/sessions/" }).first().innerText();
    assert.match(write, /X-CSRF-Token: \S+/);
    assert.match(write, /\b204\b/);

    // Sign-out: POST /session/logout with the CSRF header; the server clears both cookies.
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Signed out" }).waitFor();
    assert.match(await page.locator('#timeline [data-kind="cookie-logout"]').first().innerText(), /X-CSRF-Token: \S+.*both cookies cleared/s);
    assert.deepEqual((await context.cookies()).filter((c) => c.name.includes("tessera")), []);
    assert.equal(requests.count("/oauth/token"), 0, "no token was ever issued to the page");
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("the SDK across tabs: a new tab finds the session, sign-out reaches the other tab, an ended session raises SESSION_EXPIRED", async () => {
    const context = await newContext({ settings: cookieSettings });
    const first = await open(context);
    const username = await newUser();
    await signIn(first.page, username);
    const second = await open(context);
    await second.page.getByRole("status").filter({ hasText: `Signed in as ${username}` }).waitFor();
    assert.deepEqual(await events(second.page), ["SIGNED_IN:restored"]);

    await first.page.getByRole("button", { name: "Sign out", exact: true }).click();
    await second.page.getByRole("status").filter({ hasText: "Signed out" }).waitFor();
    assert.deepEqual((await events(second.page)).slice(-1), ["SIGNED_OUT:other_tab"]);

    await signIn(first.page, username);
    const [current] = await first.page.evaluate(() => window.tessera.client.getSessions());
    const other = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username, password: PASSWORD } });
    assert.equal((await server.request("DELETE", `/auth/sessions/${current?.id}`, { token: other.body.access_token })).status, 204);
    const outcome = await first.page.evaluate(() => window.tessera.client.fetch("/userinfo").then((r) => r.status, (e: { code?: string }) => e.code));
    assert.equal(outcome, "session_expired");
    assert.deepEqual((await events(first.page)).slice(-1), ["SESSION_EXPIRED:invalid_session"]);
    await second.page.getByRole("alert").filter({ hasText: "Your session has ended" }).waitFor();
    assert.deepEqual(refusals([...first.problems, ...second.problems]), []);
    await context.close();
  });

  test("a tessera_csrf cookie planted beside ours (as a sibling subdomain can) neither breaks nor fools the SDK", async () => {
    // An unprefixed cookie is what a sibling subdomain can set with Domain=; it reaches
    // document.cookie beside ours. Planted here in Chromium's own cookie store.
    for (const planted of ["%E0%A4%A", "A".repeat(43)]) {
      const context = await newContext({ settings: cookieSettings });
      await context.addCookies([{ name: "tessera_csrf", value: planted, url: `${server.issuer}/` }]);
      const { page, problems } = await open(context);
      assert.equal(await page.evaluate(() => window.tessera.client.getSession()), null, `${planted}: not taken for a session`);
      await signIn(page, await newUser());
      const csrf = (await context.cookies()).find((c) => c.name === "__Host-tessera_csrf")?.value;
      assert.equal(await page.evaluate(() => window.tessera.client.getSession().then((s) => s?.csrfToken)), csrf);
      assert.match(await page.evaluate(() => document.cookie), /(^|; )tessera_csrf=/, "the planted cookie is still there");
      // A write carries our token, not the planted one: the server accepts it.
      const status = await page.evaluate(() => window.tessera.client.fetch("/auth/logout", { method: "POST" }).then((r) => r.status));
      assert.equal(status, 204, planted);
      assert.deepEqual(refusals(problems).filter((p) => !/401/.test(p)), [], planted);
      await context.close();
    }
  });

  test("on http://127.0.0.1 (the address the server prints) cookie mode works too: the server trusts its loopback aliases", async () => {
    const context = await newContext({ settings: cookieSettings });
    const { page, problems } = await open(context, `http://127.0.0.1:${port}/`);
    await signIn(page, await newUser());
    const cookies = await context.cookies(`http://127.0.0.1:${port}/`);
    assert.deepEqual(
      cookies.map((c) => [c.name, c.secure, c.httpOnly, c.domain]).sort(),
      [["__Host-tessera_csrf", true, false, "127.0.0.1"], ["__Host-tessera_session", true, true, "127.0.0.1"]],
    );
    assert.equal(await page.locator("#origin-warning").isHidden(), true, "no false alarm");
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("status").filter({ hasText: /Signed out/ }).waitFor();
    assert.deepEqual(await context.cookies(`http://127.0.0.1:${port}/`), [], "the server cleared both cookies");
    assert.deepEqual(refusals(problems), []);
    await context.close();
  });
});
