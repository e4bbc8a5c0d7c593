// tessera/client's second factors against a real server: the mfa_required
// outcome, then each second step (TOTP, recovery code, passkey) in token and
// cookie mode; passwordless passkey sign-in; factor management; the RFC 9470
// step-up event and the one retry after the app's re-authentication; the
// Session union. Passkeys use the software authenticator (real keys and
// signatures); Chromium's own WebAuthn is in mfa.browser.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TesseraError, type Session, type TesseraClient, type WebAuthnCeremonies } from "../../packages/client/src/index.js";
import { base32Decode, totpAt } from "../../src/core/mfa/totp.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { useTessera } from "./setup.js";

// WebAuthn needs a domain: the issuer is localhost (RP ID "localhost").
const tessera = useTessera({ issuer: "http://localhost:0" });

/** The software authenticator as the client's WebAuthn ceremonies. */
function softWebAuthn(): { authenticator: SoftAuthenticator; webauthn: WebAuthnCeremonies } {
  const authenticator = new SoftAuthenticator({ origin: tessera.server().issuer });
  return { authenticator, webauthn: { create: async (o) => authenticator.create(o), get: async (o) => authenticator.get(o) } };
}

async function rejection(promise: Promise<unknown>): Promise<TesseraError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof TesseraError, `expected a TesseraError, got ${String(error)}`);
  return error;
}

/** Enrols an authenticator app through the client; returns its secret and the recovery codes. */
async function enrolTotp(client: TesseraClient, now: () => number) {
  const started = await client.enrolTotp("Phone");
  assert.match(started.otpauth_uri, /^otpauth:\/\/totp\//);
  const wrong = await rejection(client.confirmTotp(started.factor_id, "000000" === totpAt(base32Decode(started.secret), now()) ? "111111" : "000000"));
  assert.equal(wrong.status, 400);
  const confirmed = await client.confirmTotp(started.factor_id, totpAt(base32Decode(started.secret), now()));
  assert.equal(confirmed.recovery_codes?.length, 10);
  return { secret: started.secret, factorId: started.factor_id, recovery: confirmed.recovery_codes ?? [] };
}

const claims = (session: Session) => (session.mode === "token" ? session.claims : undefined);

for (const mode of ["token", "cookie"] as const) {
  test(`${mode} mode: mfa_required names the methods; a wrong code may be retried; a TOTP code finishes it (amr pwd+otp+mfa)`, async (t) => {
    const { client, account, signIn, advance, types, net } = tessera.setup(t, { mode, browserLike: mode === "cookie" });
    await signIn();
    const { secret } = await enrolTotp(client, Date.now);
    advance(30); // the confirming code's step is spent
    await client.signOut();
    const { username, password } = await account();

    const first = await rejection(client.signIn(username, password));
    assert.equal(first.code, "mfa_required");
    assert.equal(first.status, 403);
    assert.deepEqual(first.methods, ["totp", "recovery_code"]);
    assert.equal(JSON.stringify(first).includes("tmfa_"), false, "the mfa_token is not on the error");
    assert.equal(await client.getSession(), null, "not signed in after the first step");

    const code = totpAt(base32Decode(secret), Date.now());
    const wrong = await rejection(client.completeSignIn({ otp: code === "000000" ? "111111" : "000000" }));
    assert.equal(wrong.code, "invalid_grant");
    const session = await client.completeSignIn({ otp: code });
    assert.equal(session.mode, mode);
    assert.deepEqual(types().slice(-1), ["SIGNED_IN:mfa"]);
    assert.deepEqual((await client.getUser()).amr, ["pwd", "otp", "mfa"]);
    if (mode === "token") assert.deepEqual(claims(session)?.amr, ["pwd", "otp", "mfa"]);
    else assert.ok(session.csrfToken);
    const step = net.calls.find((c) => c.path === (mode === "token" ? "/oauth/token" : "/session/mfa") && c.form.otp === code);
    assert.ok(step?.form.mfa_token?.startsWith("tmfa_"));

    const spent = await rejection(client.completeSignIn({ otp: code }));
    assert.equal(spent.code, "no_pending_sign_in", "the pending step is gone once it succeeded");
  });
}

test("a recovery code finishes the sign-in once; new codes kill the old set; the step-up guards them", async (t) => {
  const { client, account, signIn, advance } = tessera.setup(t);
  await signIn();
  const { recovery } = await enrolTotp(client, Date.now);
  const { username, password } = await account();
  await client.signOut();
  await rejection(client.signIn(username, password));
  await client.completeSignIn({ recoveryCode: recovery[0]! });
  assert.equal((await client.getFactors()).recovery_codes_left, 9);

  await client.signOut();
  await rejection(client.signIn(username, password));
  assert.equal((await rejection(client.completeSignIn({ recoveryCode: recovery[0]! }))).code, "invalid_grant", "a recovery code works once");
  await client.completeSignIn({ recoveryCode: recovery[1]! });
  const fresh = await client.newRecoveryCodes();
  assert.equal(fresh.length, 10);
  assert.equal(fresh.some((c) => recovery.includes(c)), false);
  await client.signOut();
  await rejection(client.signIn(username, password));
  assert.equal((await rejection(client.completeSignIn({ recoveryCode: recovery[2]! }))).code, "invalid_grant", "the old set is dead");
  await client.completeSignIn({ recoveryCode: fresh[0]! });

  // 16 minutes on, the sign-in is too old for new codes: a 401 step-up challenge, as a TesseraError without onStepUp.
  advance(16 * 60);
  const old = await rejection(client.newRecoveryCodes());
  assert.equal(old.code, "insufficient_user_authentication");
  assert.equal(old.status, 401);
});

test("step-up: the event carries the parsed challenge; onStepUp re-authenticates and the request is retried once", async (t) => {
  const reauth: string[] = [];
  // What the app's re-authentication needs, filled in below.
  const app = { client: undefined as TesseraClient | undefined, account: { username: "", password: "" }, secret: "" };
  const { advance, make, newUser, net } = tessera.setup(t, {
    onStepUp: async (challenge) => {
      reauth.push(`${challenge.maxAge}`);
      await rejection(app.client!.signIn(app.account.username, app.account.password));
      await app.client!.completeSignIn({ otp: totpAt(base32Decode(app.secret), Date.now()) });
    },
  });
  const client = make();
  app.client = client;
  const seen: string[] = [];
  client.onAuthChange((e) => seen.push(`${e.type}:${e.reason}`));
  app.account = await newUser();
  await client.signIn(app.account.username, app.account.password);
  const enrolled = await enrolTotp(client, Date.now);
  app.secret = enrolled.secret;
  advance(16 * 60);

  const before = (await client.getSession())?.accessToken;
  await client.removeFactor(enrolled.factorId);
  assert.deepEqual(reauth, ["900"]);
  assert.deepEqual(seen.slice(-2), ["STEP_UP_REQUIRED:max_age", "SIGNED_IN:mfa"]);
  assert.deepEqual(net.statuses(`/auth/factors/${enrolled.factorId}`), [401, 204], "one refusal, one retry with the new sign-in");
  assert.notEqual((await client.getSession())?.accessToken, before);
  assert.deepEqual((await client.getFactors()).factors, []);
});

test("step-up: the challenge is parsed from the header; a second refusal is returned without a loop; a failed re-auth returns the 401", async (t) => {
  let asked = 0;
  let giveUp = false;
  const { net, make, signIn } = tessera.setup(t, {
    onStepUp: async () => {
      asked++;
      if (giveUp) throw new Error("the user closed the dialog");
    },
  });
  const client = make();
  const events: { reason: string; challenge?: unknown; description?: string }[] = [];
  client.onAuthChange((e) => e.type === "STEP_UP_REQUIRED" && events.push(e));
  await signIn(client);
  const header = 'Bearer realm="api", error="insufficient_user_authentication", error_description="A sign-in with a second factor is required", acr_values="mfa hwk", max_age=300';
  net.fault = (call) => (call.path === "/orders" ? new Response("{}", { status: 401, headers: { "www-authenticate": header } }) : undefined);
  const res = await client.fetch("/orders");
  assert.equal(res.status, 401);
  assert.equal(asked, 1, "asked once, retried once, then the second 401 is the answer");
  assert.equal(net.count("/orders"), 2);
  assert.deepEqual(events[0]?.challenge, { url: `${tessera.server().url}/orders`, maxAge: 300, acrValues: ["mfa", "hwk"], description: "A sign-in with a second factor is required" });
  assert.equal(events[0]?.reason, "max_age");

  giveUp = true;
  const refused = await client.fetch("/orders");
  assert.equal(refused.status, 401);
  assert.equal(net.count("/orders"), 3, "no retry when the re-auth failed");

  // invalid_token is not a step-up: the usual refresh path, no event.
  net.fault = (call) => (call.path === "/orders" ? new Response("{}", { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } }) : undefined);
  await client.fetch("/orders");
  assert.equal(events.length, 2);
});

for (const mode of ["token", "cookie"] as const) {
  test(`${mode} mode: add a named passkey, sign in with it alone, and as the second step; list and remove factors`, async (t) => {
    const { webauthn } = softWebAuthn();
    const { client, signIn, account, types } = tessera.setup(t, { mode, browserLike: mode === "cookie", webauthn });
    await signIn();
    const added = await client.addPasskey("Laptop");
    assert.equal(added.name, "Laptop");
    assert.equal(added.recovery_codes?.length, 10, "the first factor brings recovery codes");
    const second = await client.addPasskey("Phone");
    assert.equal(second.recovery_codes, undefined);
    const listed = await client.getFactors();
    assert.deepEqual(listed.factors.map((f) => `${f.type}:${f.name}`).sort(), ["passkey:Laptop", "passkey:Phone"]);
    await client.signOut();

    const alone = await client.signInWithPasskey();
    assert.equal(alone.mode, mode);
    assert.deepEqual(types().slice(-1), ["SIGNED_IN:passkey"]);
    const amr = (await client.getUser()).amr ?? [];
    assert.ok(amr.includes("user") && !amr.includes("pwd"), amr.join());
    await client.signOut();

    const { username, password } = await account();
    const first = await rejection(client.signIn(username, password));
    assert.deepEqual(first.methods, ["passkey", "recovery_code"]);
    await client.completeSignIn({ passkey: true });
    assert.deepEqual(types().slice(-1), ["SIGNED_IN:mfa"]);
    assert.ok((await client.getUser()).amr?.includes("mfa"));

    await client.removeFactor(second.id);
    assert.deepEqual((await client.getFactors()).factors.map((f) => f.name), ["Laptop"]);
    const unknown = await rejection(client.removeFactor("no-such-factor"));
    assert.equal(unknown.status, 404);
  });
}

test("passkey failures are TesseraErrors: no WebAuthn in Node, a replayed assertion, no pending sign-in", async (t) => {
  const { client, make, signIn } = tessera.setup(t);
  assert.equal((await rejection(client.signInWithPasskey())).code, "webauthn_unavailable");
  assert.equal((await rejection(client.completeSignIn({ otp: "123456" }))).code, "no_pending_sign_in");

  // A ceremony that answers an assertion made for an earlier challenge: refused.
  const { authenticator, webauthn } = softWebAuthn();
  const enrolling = make({ webauthn });
  await signIn(enrolling);
  await enrolling.addPasskey();
  let first: Record<string, unknown> | undefined;
  const replaying = make({ webauthn: { create: webauthn.create, get: async (o) => (first ??= authenticator.get(o)) } });
  await replaying.signInWithPasskey();
  await replaying.signOut();
  assert.equal((await rejection(replaying.signInWithPasskey())).code, "invalid_grant");
});
