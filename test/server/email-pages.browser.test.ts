// The verify and reset pages in Chromium, with JavaScript off (docs/email.md):
// opening the link spends nothing, the button does; the reset page sets a new
// password and every session ends; the strict CSP holds (no console problems).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { launch, problemsOf, screenshot } from "../client/browser.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { linkToken, startSmtp, to, type SmtpSink } from "../helpers/smtp.js";

const PASSWORD = "correct horse battery staple";
let smtp: SmtpSink;
let server: TestServer;
let browser: Browser;

before(async () => {
  smtp = await startSmtp();
  server = await startTestServer({ config: { smtpUrl: smtp.url(), mailFrom: "Tessera <no-reply@example.test>" } });
  browser = await launch();
});
after(async () => {
  await browser.close();
  await server.close();
  await smtp.close();
});

async function userWithMail(username: string, email: string) {
  const res = await server.request<{ id: string }>("POST", "/auth/register", { json: { username, password: PASSWORD, email } });
  assert.equal(res.status, 201);
  return linkToken(await smtp.waitFor(to(email)));
}

test("verify page: the link shows a button (nothing spent); pressing it verifies, without JavaScript", async () => {
  const token = await userWithMail("pageann", "pageann@example.test");
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const problems = problemsOf(page);
  await page.goto(`${server.url}/email/verify?token=${token}`);
  await page.goto(`${server.url}/email/verify?token=${token}`); // a scanner, then the user
  assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Confirm your email address");
  assert.ok((await page.getByRole("main").textContent())!.includes("pageann@example.test"));
  assert.equal(await page.getByLabel("Code from your message").inputValue(), token);
  assert.equal((await server.tessera.parts.users.find("pageann"))!.email_verified_at, null, "opening the page spent nothing");
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await page.waitForLoadState();
  assert.equal(await page.getByRole("status").textContent(), "Your email address is confirmed. You can close this page.");
  await screenshot(page, "email-verify-confirmed");
  assert.ok((await server.tessera.parts.users.find("pageann"))!.email_verified_at);
  assert.deepEqual(problems, []);
  await context.close();
});

test("reset page: sets the new password once; a forged cross-site POST is refused", async () => {
  const verify = await userWithMail("pagebob", "pagebob@example.test");
  assert.equal((await server.request("POST", "/auth/email/verify", { json: { token: verify } })).status, 204);
  const session = await server.request<{ refresh_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username: "pagebob", password: PASSWORD } });
  assert.equal((await server.request("POST", "/auth/password/forgot", { json: { email: "pagebob@example.test" } })).status, 202);
  const token = linkToken(await smtp.waitFor((m) => to("pagebob@example.test")(m) && /Reset/.test(m.subject ?? "")));
  // A cross-site form (no allowed Origin, no form field bound to the token) is refused.
  const forged = await server.request("POST", "/password/reset", { headers: { origin: "https://evil.example" }, form: { token, new_password: "attacker phrase one", new_password_again: "attacker phrase one" } });
  assert.equal(forged.status, 403);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const problems = problemsOf(page);
  await page.goto(`${server.url}/password/reset?token=${token}`);
  await page.getByLabel("New password", { exact: true }).fill("a fresh passphrase here");
  await page.getByLabel("New password, again").fill("a fresh passphrase here");
  await page.getByRole("button", { name: "Set my new password" }).click();
  await page.waitForLoadState();
  assert.match((await page.getByRole("status").textContent())!, /Your password is changed/);
  await screenshot(page, "email-reset-done");
  const refresh = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: session.body.refresh_token } });
  assert.equal(refresh.body.error, "invalid_grant", "every session ended");
  assert.equal((await server.request("POST", "/oauth/token", { form: { grant_type: "password", username: "pagebob@example.test", password: "a fresh passphrase here" } })).status, 200);
  // The same link again: the page says at once that it no longer works, before any password is typed.
  await page.goto(`${server.url}/password/reset?token=${token}`);
  assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "This link does not work");
  assert.equal(await page.getByLabel("New password", { exact: true }).count(), 0, "no form for a dead link");
  assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
  await context.close();
});

test("the demo page signs in with an emailed code, and 'Username or email' takes a verified address", async () => {
  const token = await userWithMail("democarol", "democarol@example.test");
  assert.equal((await server.request("POST", "/auth/email/verify", { json: { token } })).status, 204);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.getByText("Sign in with an emailed code, or reset a password").click();
  await page.getByLabel("Verified email").fill("democarol@example.test");
  await page.getByRole("button", { name: "Email me a sign-in code" }).click();
  await page.getByText(/is on its way/).waitFor();
  const mail = await smtp.waitFor((m) => to("democarol@example.test")(m) && /code/.test(m.subject ?? ""));
  const code = /\b(\d{6})\b/.exec(mail.text!)![1]!;
  // Pasted as a phone shows it: the page's pattern and the server take spaces and dashes.
  await page.getByLabel("6-digit code").fill(` ${code.slice(0, 3)} ${code.slice(3)} `);
  await page.getByRole("button", { name: "Sign in with the code" }).click();
  await page.locator("#signed-in").waitFor({ state: "visible" });
  await screenshot(page, "email-demo-code-signed-in");
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.locator("#signed-out").waitFor({ state: "visible" });
  await page.locator("#signin-username").fill("DemoCarol@example.test");
  await page.locator("#signin-password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.locator("#signed-in").waitFor({ state: "visible" });
  await context.close();
});
