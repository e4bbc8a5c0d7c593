// Second factors and passkeys end to end in real Chromium, through the demo
// page, with the DevTools virtual authenticator (CTAP2, internal, resident
// keys, user verification): enrol an authenticator app from its QR code's
// secret and see the recovery codes once; add a named passkey; sign out and
// sign in with the password then the passkey; sign in with the passkey
// alone, from the button and through conditional UI; a replayed assertion refused; a credential of another RP refused;
// a role that requires a factor: the sign-in enrols a passkey or an app, then finishes.
// WebAuthn needs a domain, so the issuer is http://localhost:<port> (RP ID
// "localhost").
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { base32Decode, totpAt } from "../../src/core/mfa/totp.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { launch, problemsOf, screenshot } from "./browser.js";

const PASSWORD = "correct horse battery staple";
const root = new URL("../../", import.meta.url).pathname;
let browser: Browser;
let server: TestServer;
let other: TestServer;
let policy: TestServer;

before(async () => {
  const built = spawnSync(process.execPath, ["scripts/build-web.js"], { cwd: root, encoding: "utf8" });
  assert.equal(built.status, 0, built.stderr);
  const local = (mfaRequiredRoles: string[] = []) => startTestServer({ clock: testClock(), config: { issuer: "http://localhost:0", mfaRequiredRoles } });
  [server, other, policy, browser] = await Promise.all([local(), local(), local(["ops"]), launch()]);
});
after(async () => {
  await browser?.close();
  await Promise.all([server?.close(), other?.close(), policy?.close()]);
});

/** A page of the demo with a virtual authenticator of its own. */
async function openDemo(target = server): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = problemsOf(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  // The virtual authenticator answers a conditional request at once, as if the
  // user had picked the passkey from the autofill: the page offers it only when
  // the test turns it on, so that the other flows can be driven one by one.
  // tsx keeps function names with a helper the page does not have.
  await page.addInitScript("globalThis.__name = (f) => f;");
  await page.addInitScript(() => {
    const available = PublicKeyCredential.isConditionalMediationAvailable?.bind(PublicKeyCredential);
    PublicKeyCredential.isConditionalMediationAvailable = async () => localStorage.getItem("test:conditional") === "on" && (await available?.()) === true;
  });
  await page.goto(`${target.issuer}/`);
  await page.waitForFunction(() => window.tessera?.client !== undefined);
  return { page, problems };
}

const events = (page: Page) => page.evaluate(() => window.tessera.events.map((e) => `${e.type}:${e.reason}`));

async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "Signed out" }).waitFor();
}

test("the demo page: authenticator app by QR code, recovery codes once, a named passkey; then password + passkey, and the passkey alone", async () => {
  const { page, problems } = await openDemo();
  const username = `pkui${process.pid}`;
  assert.equal((await server.request("POST", "/auth/register", { json: { username, password: PASSWORD } })).status, 201);
  assert.equal(await page.locator("#signin-username").getAttribute("autocomplete"), "username webauthn", "conditional UI on the username field");
  await page.locator("#signin-username").fill(username);
  await page.locator("#signin-password").fill(PASSWORD);
  await page.locator("#form-signin").getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("status").filter({ hasText: `Signed in as ${username}` }).waitFor();

  // The authenticator app: the QR code is an inline SVG image made in the page; the secret is shown beside it.
  await page.getByRole("button", { name: "Add an authenticator app" }).click();
  await page.locator("#form-totp-confirm").waitFor();
  assert.match((await page.locator("#totp-qr").getAttribute("src")) ?? "", /^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
  const secret = await page.locator("#totp-secret").innerText();
  await page.locator("#totp-code").fill(totpAt(base32Decode(secret), server.clock!.now()));
  await page.locator("#form-totp-confirm").getByRole("button", { name: "Confirm" }).click();
  await page.locator("#recovery-box").waitFor();
  const codes = await page.locator("#recovery-codes li").allInnerTexts();
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  await page.getByRole("button", { name: "I have saved them" }).click();
  assert.equal(await page.locator("#recovery-codes li").count(), 0, "shown once: gone from the page");

  // A named passkey, created by Chromium's authenticator.
  await page.locator("#passkey-name").fill("Chromium");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.locator('#factor-list li[data-type="passkey"]').waitFor();
  assert.deepEqual((await page.locator("#factor-list li strong").allInnerTexts()).sort(), ["Authenticator app", "Chromium"]);
  await screenshot(page, "mfa-factors");

  // Password, then the passkey as the second step.
  await signOut(page);
  await page.locator("#signin-username").fill(username);
  await page.locator("#signin-password").fill(PASSWORD);
  await page.locator("#form-signin").getByRole("button", { name: "Sign in", exact: true }).click();
  await page.locator("#form-second-step").waitFor();
  assert.match(await page.locator("#second-step-help").innerText(), /totp, passkey, recovery code/);
  assert.equal(await page.locator('#diagram [data-step="mfa-required"].seen').count(), 1, "the diagram showed mfa_required");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await page.getByRole("status").filter({ hasText: `Signed in as ${username}` }).waitFor();
  assert.deepEqual((await events(page)).filter((e) => e.startsWith("SIGNED_IN")).slice(-1), ["SIGNED_IN:mfa"]);
  assert.ok(await page.locator("#timeline [data-kind=second-step]").count());
  assert.match(await page.locator('#jwt-claims [data-claim="amr"] td').innerText(), /"pwd".*"mfa"/);

  // The passkey alone.
  await signOut(page);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.getByRole("status").filter({ hasText: `Signed in as ${username}` }).waitFor();
  assert.deepEqual((await events(page)).filter((e) => e.startsWith("SIGNED_IN")).slice(-1), ["SIGNED_IN:passkey"]);
  const amr = await page.locator('#jwt-claims [data-claim="amr"] td').innerText();
  assert.ok(amr.includes('"user"') && !amr.includes('"pwd"'), amr);
  assert.ok(await page.locator('#diagram [data-step="passkey"].seen').count());
  await screenshot(page, "mfa-passkey-alone");

  // Conditional UI: a signed-out page asks with mediation "conditional" as it loads; picking the passkey signs in.
  await signOut(page);
  await page.evaluate(() => localStorage.setItem("test:conditional", "on"));
  await page.reload();
  await page.getByRole("status").filter({ hasText: `Signed in as ${username}` }).waitFor();
  assert.deepEqual((await events(page)).filter((e) => e.startsWith("SIGNED_IN")), ["SIGNED_IN:passkey"]);
  assert.deepEqual(problems.filter((p) => !/status of 40[03]/.test(p)), []);

  // A replayed assertion is refused, and so is a credential at a server that never registered it (another RP).
  const assertFor = (options: unknown) => page.evaluate(async (o) => {
    const credential = (await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(o as PublicKeyCredentialRequestOptionsJSON) })) as PublicKeyCredential;
    return credential.toJSON();
  }, options);
  const grant = (target: TestServer, body: object) => target.request("POST", "/oauth/token", { json: { grant_type: "urn:tessera:params:oauth:grant-type:passkey", ...body } });
  const mine = (await server.request<{ challenge_id: string; options: unknown }>("POST", "/auth/passkeys/login-options")).body;
  const assertion = await assertFor(mine.options);
  const foreign = (await other.request<{ challenge_id: string; options: unknown }>("POST", "/auth/passkeys/login-options")).body;
  const foreignAssertion = await assertFor(foreign.options);
  const refused = {
    first: (await grant(server, { challenge_id: mine.challenge_id, webauthn: assertion })).status,
    replay: (await grant(server, { challenge_id: mine.challenge_id, webauthn: assertion })).status,
    foreign: (await grant(other, { challenge_id: foreign.challenge_id, webauthn: foreignAssertion })).status,
  };
  assert.deepEqual(refused, { first: 200, replay: 400, foreign: 400 });
});

test("the demo page, a role that requires a second factor: the sign-in enrols a passkey, or an authenticator app, and finishes with recovery codes", async () => {
  const { page, problems } = await openDemo(policy);
  const signInWithPassword = async (username: string) => {
    await page.locator("#signin-username").fill(username);
    await page.locator("#signin-password").fill(PASSWORD);
    await page.locator("#form-signin").getByRole("button", { name: "Sign in", exact: true }).click();
  };
  const recoveryCodesShown = async () => {
    await page.locator("#recovery-box").waitFor();
    const codes = await page.locator("#recovery-codes li").allInnerTexts();
    await page.getByRole("button", { name: "I have saved them" }).click();
    return codes.length;
  };
  const passkeyUser = `enrolpk${process.pid}`;
  await policy.tessera.admin.users.create({ username: passkeyUser, password: PASSWORD, roles: ["ops"] }, { id: "test" });
  await signInWithPassword(passkeyUser);
  await page.locator("#form-enrol-step").waitFor();
  await page.getByRole("button", { name: "Create a passkey" }).click();
  await page.getByRole("status").filter({ hasText: `Signed in as ${passkeyUser}` }).waitFor();
  assert.equal(await recoveryCodesShown(), 10);
  assert.equal(await page.locator("#form-enrol-step").isHidden(), true);
  await page.locator('#factor-list li[data-type="passkey"]').waitFor();
  assert.match(await page.locator('#jwt-claims [data-claim="amr"] td').innerText(), /"pwd".*"user".*"mfa"/);
  await screenshot(page, "mfa-enrolment-at-sign-in");
  // From now on, the usual second step: the passkey just made.
  await signOut(page);
  await signInWithPassword(passkeyUser);
  await page.locator("#form-second-step").waitFor();
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await page.getByRole("status").filter({ hasText: `Signed in as ${passkeyUser}` }).waitFor();
  await signOut(page);

  const appUser = `enrolapp${process.pid}`;
  await policy.tessera.admin.users.create({ username: appUser, password: PASSWORD, roles: ["ops"] }, { id: "test" });
  await signInWithPassword(appUser);
  await page.getByRole("button", { name: "Use an authenticator app" }).click();
  await page.locator("#enrol-step-app").waitFor();
  assert.match((await page.locator("#enrol-step-qr").getAttribute("src")) ?? "", /^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
  const secret = await page.locator("#enrol-step-secret").innerText();
  await page.locator("#enrol-step-code").fill(totpAt(base32Decode(secret), policy.clock!.now()));
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await page.getByRole("status").filter({ hasText: `Signed in as ${appUser}` }).waitFor();
  assert.equal(await recoveryCodesShown(), 10);
  assert.deepEqual(await page.locator("#factor-list li strong").allInnerTexts(), ["Authenticator app"]);
  assert.deepEqual(problems.filter((p) => !/status of 40[03]/.test(p)), []);
});
