// Passkeys end to end in real Chromium with the DevTools virtual authenticator
// (resident keys, user verification): add a passkey from a page of the
// issuer's origin, sign out, sign in with it alone; as a second factor; a
// replayed assertion refused; a credential of another RP refused.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { launch } from "../client/browser.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let browser: Browser;
let server: TestServer;
let other: TestServer;
let page: Page;

async function localServer(): Promise<TestServer> {
  // WebAuthn needs a domain: the issuer is http://localhost:<the bound port>, RP ID "localhost".
  return startTestServer({ config: { issuer: "http://localhost:0" } });
}

before(async () => {
  [server, other, browser] = await Promise.all([localServer(), localServer(), launch()]);
  page = await browser.newPage();
  // tsx keeps function names with a helper the page does not have.
  await page.addInitScript("globalThis.__name = (f) => f;");
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await page.goto(`${server.issuer}/healthz`);
});
after(async () => {
  await browser?.close();
  await Promise.all([server?.close(), other?.close()]);
});

/** Runs in the page: the browser's own WebAuthn with the server's JSON options. */
const inPage = {
  async enrol(args: { username: string; password: string }) {
    const post = (path: string, body: unknown, token?: string) => fetch(path, {
      method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body),
    });
    await post("/auth/register", args);
    const signedIn = await (await post("/oauth/token", { grant_type: "password", ...args })).json() as { access_token: string };
    const options = await (await post("/auth/passkeys/options", {}, signedIn.access_token)).json();
    const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) }) as PublicKeyCredential;
    const added = await post("/auth/passkeys", { response: credential.toJSON(), name: "Chromium" }, signedIn.access_token);
    await post("/auth/logout", {}, signedIn.access_token);
    return { status: added.status, body: await added.json() };
  },
  async assert(options: unknown) {
    const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options as PublicKeyCredentialRequestOptionsJSON) }) as PublicKeyCredential;
    return credential.toJSON();
  },
};

async function loginOptions(target: TestServer) {
  return (await target.request<{ challenge_id: string; options: unknown }>("POST", "/auth/passkeys/login-options")).body;
}

test("add a passkey in the browser, sign out, sign in with it alone (token and cookie session)", async () => {
  const username = `chromium${process.pid}`;
  const enrolled = await page.evaluate(inPage.enrol, { username, password: "browser passkey password" });
  assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));

  const o = await loginOptions(server);
  const assertion = await page.evaluate(inPage.assert, o.options);
  const signedIn = await server.request<{ access_token: string }>("POST", "/oauth/token", { json: { grant_type: "urn:tessera:params:oauth:grant-type:passkey", challenge_id: o.challenge_id, webauthn: assertion } });
  assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
  const info = await server.request<{ username: string; amr: string[] }>("GET", "/userinfo", { token: signedIn.body.access_token });
  assert.equal(info.body.username, username);
  assert.ok(info.body.amr.includes("user") && (info.body.amr.includes("hwk") || info.body.amr.includes("swk")), info.body.amr.join());

  // A replayed assertion is refused (its challenge is spent).
  const replay = await server.request("POST", "/oauth/token", { json: { grant_type: "urn:tessera:params:oauth:grant-type:passkey", challenge_id: o.challenge_id, webauthn: assertion } });
  assert.equal(replay.status, 400);

  // The cookie session, from the page itself.
  const o2 = await loginOptions(server);
  const cookie = await page.evaluate(async (options) => {
    const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.options as PublicKeyCredentialRequestOptionsJSON) }) as PublicKeyCredential;
    const res = await fetch("/session/passkey", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ challenge_id: options.challenge_id, webauthn: credential.toJSON() }) });
    return res.status;
  }, o2);
  assert.equal(cookie, 200);
});

test("a passkey as the second factor after the password", async () => {
  const username = `chromium2f${process.pid}`;
  const password = "browser second factor password";
  await page.evaluate(inPage.enrol, { username, password });
  const first = await server.request<{ mfa_token: string; methods: string[] }>("POST", "/oauth/token", { form: { grant_type: "password", username, password } });
  assert.equal(first.status, 403);
  assert.ok(first.body.methods.includes("passkey"));
  const options = await server.request<{ options: unknown }>("POST", "/auth/passkeys/mfa-options", { json: { mfa_token: first.body.mfa_token } });
  const assertion = await page.evaluate(inPage.assert, options.body.options);
  const done = await server.request<{ access_token: string }>("POST", "/oauth/token", { json: { grant_type: "urn:tessera:params:oauth:grant-type:mfa", mfa_token: first.body.mfa_token, webauthn: assertion } });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  const amr = JSON.parse(Buffer.from(done.body.access_token.split(".")[1]!, "base64url").toString()).amr as string[];
  assert.ok(amr.includes("pwd") && amr.includes("mfa"), amr.join());
});

test("a credential of another relying party (a server at another origin, which never registered it) is refused", async () => {
  // A server at another origin: the assertion is made on this origin's page for its challenge.
  const o = await loginOptions(other);
  const assertion = await page.evaluate(inPage.assert, o.options);
  const res = await other.request("POST", "/oauth/token", { json: { grant_type: "urn:tessera:params:oauth:grant-type:passkey", challenge_id: o.challenge_id, webauthn: assertion } });
  assert.equal(res.status, 400);
  assert.equal((res.body as { error: string }).error, "invalid_grant");
});
