// tessera/client when a role requires a second factor (TESSERA_MFA_REQUIRED_ROLES)
// and the user has none: the sign-in answers mfa_enrollment_required, and the
// client finishes it by enrolling an authenticator app or a passkey with the
// pending mfa_token, in token and cookie mode, against a real server. The
// recovery codes come back once, to the caller, and are kept nowhere.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TesseraError, type TesseraClient } from "../../packages/client/src/index.js";
import { base32Decode, totpAt } from "../../src/core/mfa/totp.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { useTessera } from "./setup.js";

// WebAuthn needs a domain: the issuer is localhost (RP ID "localhost").
const tessera = useTessera({ issuer: "http://localhost:0", mfaRequiredRoles: ["ops"] });
const PASSWORD = "enrolment at sign-in password";

async function rejection(promise: Promise<unknown>): Promise<TesseraError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof TesseraError, `expected a TesseraError, got ${String(error)}`);
  return error;
}

let n = 0;
/** A user in the role that requires a factor; the client's first step answers mfa_enrollment_required. */
async function enrolmentRequired(client: TesseraClient) {
  const username = `sdkenrol${process.pid}x${++n}`;
  await tessera.server().tessera.admin.users.create({ username, password: PASSWORD, roles: ["ops"] }, { id: "test" });
  const first = await rejection(client.signIn(username, PASSWORD));
  assert.equal(first.code, "mfa_enrollment_required");
  assert.equal(first.status, 403);
  assert.deepEqual(first.methods, ["totp", "passkey"]);
  assert.equal(await client.getSession(), null, "no session before a factor");
  return username;
}

for (const mode of ["token", "cookie"] as const) {
  test(`${mode} mode: an authenticator app enrolled with the pending token; its first code signs in with ten recovery codes`, async (t) => {
    const { client, types, net } = tessera.setup(t, { mode, browserLike: mode === "cookie" });
    await enrolmentRequired(client);
    const started = await client.enrolTotpToSignIn("Phone");
    assert.match(started.otpauth_uri, /^otpauth:\/\/totp\/.*issuer=/);
    const code = totpAt(base32Decode(started.secret), Date.now());
    const wrong = await rejection(client.finishEnrolment({ otp: code === "000000" ? "111111" : "000000" }));
    assert.equal(wrong.code, "invalid_grant", "a wrong code may be retried");

    const done = await client.finishEnrolment({ otp: code });
    assert.equal(done.session.mode, mode);
    assert.equal(done.recoveryCodes.length, 10);
    assert.equal(new Set(done.recoveryCodes).size, 10);
    assert.deepEqual(types().slice(-1), ["SIGNED_IN:mfa"]);
    assert.deepEqual((await client.getUser()).amr, ["pwd", "otp", "mfa"]);
    assert.equal(JSON.stringify(await client.getSession()).includes(done.recoveryCodes[0]!), false, "the codes are not in the session");
    const factors = await client.getFactors();
    assert.deepEqual(factors.factors.map((f) => `${f.type}:${f.name}`), ["totp:Phone"]);
    assert.equal(factors.recovery_codes_left, 10);
    const enrolCall = net.calls.find((c) => c.path === "/auth/mfa-enrollment/totp");
    assert.ok(enrolCall?.form.mfa_token?.startsWith("tmfa_"));

    assert.equal((await rejection(client.finishEnrolment({ otp: code }))).code, "no_pending_sign_in", "the pending step is gone once it succeeded");
    assert.equal((await rejection(client.enrolTotpToSignIn())).code, "no_pending_sign_in");
  });

  test(`${mode} mode: a passkey created on this device finishes the sign-in; it then signs in alone`, async (t) => {
    const authenticator = new SoftAuthenticator({ origin: tessera.server().issuer });
    const webauthn = { create: async (o: Record<string, unknown>) => authenticator.create(o), get: async (o: Record<string, unknown>) => authenticator.get(o) };
    const { client, types } = tessera.setup(t, { mode, browserLike: mode === "cookie", webauthn });
    await enrolmentRequired(client);
    const done = await client.finishEnrolment({ passkey: true });
    assert.equal(done.session.mode, mode);
    assert.equal(done.recoveryCodes.length, 10);
    assert.deepEqual(types().slice(-1), ["SIGNED_IN:mfa"]);
    assert.deepEqual((await client.getUser()).amr, ["pwd", "hwk", "user", "mfa"]);
    assert.deepEqual((await client.getFactors()).factors.map((f) => f.type), ["passkey"]);
    await client.signOut();
    await client.signInWithPasskey();
    assert.deepEqual(types().slice(-1), ["SIGNED_IN:passkey"]);
  });
}

test("without a pending enrolment, or with a second step's token, enrolment is refused", async (t) => {
  const { client, signIn, account } = tessera.setup(t);
  assert.equal((await rejection(client.finishEnrolment({ otp: "123456" }))).code, "no_pending_sign_in");
  // A user outside the role, with a factor: the sign-in asks for the second step, whose token enrols nothing.
  await signIn();
  const started = await client.enrolTotp("App");
  await client.confirmTotp(started.factor_id, totpAt(base32Decode(started.secret), Date.now()));
  const { username, password } = await account();
  await client.signOut();
  const first = await rejection(client.signIn(username, password));
  assert.equal(first.code, "mfa_required");
  const refused = await rejection(client.enrolTotpToSignIn());
  assert.equal(refused.code, "invalid_grant");
});
