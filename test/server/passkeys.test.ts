// Passkeys over HTTP (docs/mfa.md) with a software authenticator: enrolment,
// passwordless sign-in (token and cookie), a passkey as the second step,
// wrong origin / RP ID, replay, single-use challenges raced 30 ways, bad input.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { base32Decode, totpAt } from "../../src/core/mfa/totp.js";

const PASSKEY = "urn:tessera:params:oauth:grant-type:passkey";
const MFA = "urn:tessera:params:oauth:grant-type:mfa";
const PASSWORD = "passkey test password";
let server: TestServer;
let origin = "";
const clock = testClock();

before(async () => {
  // WebAuthn needs a domain: the issuer is localhost (RP ID "localhost").
  server = await startTestServer({ clock, config: { issuer: "http://localhost:0" } });
  origin = server.issuer;
});
after(() => server.close());

interface Tokens { access_token: string; refresh_token: string; error?: string; mfa_token?: string; methods?: string[] }
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;

let n = 0;
async function withPasskey(auth = new SoftAuthenticator({ origin: "" })) {
  auth.options.origin ||= origin;
  const user = await server.signUpAndSignIn(`pk${process.pid}x${++n}`, PASSWORD);
  const options = await server.request<Record<string, unknown>>("POST", "/auth/passkeys/options", { token: user.access_token });
  assert.equal(options.status, 200, options.text);
  const created = await server.request<{ id: string; name: string; created_at: string; recovery_codes?: string[] }>("POST", "/auth/passkeys", {
    token: user.access_token, json: { response: auth.create(options.body), name: "Laptop" },
  });
  assert.equal(created.status, 201, created.text);
  return { user, auth, created: created.body };
}

async function loginOptions() {
  const res = await server.request<{ challenge_id: string; options: Record<string, unknown> }>("POST", "/auth/passkeys/login-options");
  assert.equal(res.status, 200, res.text);
  return res.body;
}

function passkeyGrant(challengeId: string, webauthn: unknown) {
  return server.request<Tokens>("POST", "/oauth/token", { json: { grant_type: PASSKEY, challenge_id: challengeId, webauthn } });
}

describe("enrolment", () => {
  test("creation options ask for a discoverable credential with user verification, for the issuer's host", async () => {
    const user = await server.signUpAndSignIn(`pkopt${++n}`, PASSWORD);
    const res = await server.request<{ rp: { id: string }; user: { name: string; displayName: string }; authenticatorSelection: Record<string, string>; challenge: string }>("POST", "/auth/passkeys/options", { token: user.access_token });
    assert.equal(res.body.rp.id, "localhost");
    // Audit: password managers list a passkey by its displayName; "" showed a blank entry.
    assert.deepEqual([res.body.user.name, res.body.user.displayName], [user.username, user.username]);
    assert.equal(res.body.authenticatorSelection.residentKey, "required");
    assert.equal(res.body.authenticatorSelection.userVerification, "required");
    assert.match(res.body.challenge, /^[A-Za-z0-9_-]{32,}$/);
  });

  test("a passkey is stored with its name, counter and backup flags; the first factor gets recovery codes", async () => {
    const { user, created } = await withPasskey(new SoftAuthenticator({ origin: "", backedUp: true }));
    assert.equal(created.name, "Laptop");
    assert.equal(created.recovery_codes?.length, 10);
    const listed = await server.request<{ factors: Array<Record<string, unknown>> }>("GET", "/auth/factors", { token: user.access_token });
    assert.equal(listed.body.factors.length, 1);
    assert.equal(listed.body.factors[0]!.type, "passkey");
    assert.equal(listed.body.factors[0]!.backed_up, true);
    assert.equal(listed.body.factors[0]!.device_type, "multiDevice");
  });

  test("the registration challenge is single use; a wrong origin or RP ID is refused", async () => {
    const user = await server.signUpAndSignIn(`pkreg${++n}`, PASSWORD);
    const auth = new SoftAuthenticator({ origin });
    const options = (await server.request<Record<string, unknown>>("POST", "/auth/passkeys/options", { token: user.access_token })).body;
    const wrongOrigin = await server.request("POST", "/auth/passkeys", { token: user.access_token, json: { response: auth.create(options, { origin: "https://evil.example" }) } });
    assert.equal(wrongOrigin.status, 400);
    const again = await server.request("POST", "/auth/passkeys", { token: user.access_token, json: { response: auth.create(options) } });
    assert.equal(again.status, 400, "the challenge was spent by the refused attempt");
    const fresh = (await server.request<Record<string, unknown>>("POST", "/auth/passkeys/options", { token: user.access_token })).body;
    const wrongRp = await server.request("POST", "/auth/passkeys", { token: user.access_token, json: { response: auth.create(fresh, { rpId: "evil.example" }) } });
    assert.equal(wrongRp.status, 400);
  });
});

describe("passwordless sign-in", () => {
  test("a passkey alone signs in: amr hwk+user, auth_time, refresh keeps them", async () => {
    const { user, auth } = await withPasskey();
    const { challenge_id, options } = await loginOptions();
    assert.equal(options.userVerification, "required");
    assert.equal(options.allowCredentials, undefined, "discoverable: no credentials listed");
    const res = await passkeyGrant(challenge_id, auth.get(options));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const claims = claimsOf(res.body.access_token);
    assert.equal(claims.sub, user.userId);
    assert.deepEqual(claims.amr, ["hwk", "user"]);
    const refreshed = await server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: res.body.refresh_token } });
    assert.deepEqual(claimsOf(refreshed.body.access_token).amr, ["hwk", "user"]);
    const [factor] = await server.tessera.parts.store.factors.listFactors(user.userId);
    assert.equal(factor!.counter, 1, "the signature counter is recorded");
  });

  test("the form encoding carries the assertion as JSON text", async () => {
    const { auth } = await withPasskey();
    const { challenge_id, options } = await loginOptions();
    const res = await server.request("POST", "/oauth/token", { form: { grant_type: PASSKEY, challenge_id, webauthn: JSON.stringify(auth.get(options)) } });
    assert.equal(res.status, 200, res.text);
  });

  test("without user verification, a wrong origin, a wrong RP ID, or a replay: refused", async () => {
    const { auth } = await withPasskey();
    const noUv = new SoftAuthenticator({ origin, userVerified: false });
    noUv.credentials.push(...auth.credentials);
    let o = await loginOptions();
    assert.equal((await passkeyGrant(o.challenge_id, noUv.get(o.options))).status, 400, "no user verification");
    o = await loginOptions();
    assert.equal((await passkeyGrant(o.challenge_id, auth.get(o.options, { origin: "https://evil.example" }))).status, 400, "wrong origin");
    o = await loginOptions();
    assert.equal((await passkeyGrant(o.challenge_id, auth.get(o.options, { rpId: "evil.example" }))).status, 400, "wrong RP ID");
    o = await loginOptions();
    const assertion = auth.get(o.options);
    assert.equal((await passkeyGrant(o.challenge_id, assertion)).status, 200);
    const replay = await passkeyGrant(o.challenge_id, assertion);
    assert.equal(replay.status, 400, "replayed assertion");
    assert.equal(replay.body.error, "invalid_grant");
    const o2 = await loginOptions();
    assert.equal((await passkeyGrant(o2.challenge_id, assertion)).status, 400, "an old assertion on a new challenge");
  });

  test("challenges expire after two minutes", async () => {
    const { auth } = await withPasskey();
    const o = await loginOptions();
    clock.advance(2 * 60_000 + 1);
    assert.equal((await passkeyGrant(o.challenge_id, auth.get(o.options))).status, 400);
  });

  test("30 uses of one challenge at once: exactly one signs in", async () => {
    const { auth } = await withPasskey();
    const o = await loginOptions();
    const assertions = Array.from({ length: 30 }, () => auth.get(o.options));
    const answers = await Promise.all(assertions.map((a) => passkeyGrant(o.challenge_id, a)));
    assert.equal(answers.filter((a) => a.status === 200).length, 1, answers.map((a) => a.status).join(","));
  });

  test("cookie sessions: /session/passkey (JSON from an allowed Origin)", async () => {
    const { auth } = await withPasskey();
    const o = await loginOptions();
    const foreign = await server.request("POST", "/session/passkey", { json: { challenge_id: o.challenge_id, webauthn: auth.get(o.options) }, headers: { origin: "https://evil.example" } });
    assert.equal(foreign.status, 403);
    const o2 = await loginOptions();
    const res = await server.request("POST", "/session/passkey", { json: { challenge_id: o2.challenge_id, webauthn: auth.get(o2.options) }, headers: { origin } });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.headers.getSetCookie().some((c) => c.startsWith("__Host-tessera_session=")));
  });
});

describe("a passkey as the second step", () => {
  test("password, then mfa_required with methods passkey and recovery_code, then the passkey: amr pwd+hwk+user+mfa", async () => {
    const { user, auth } = await withPasskey();
    const first = await server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: "password", username: user.username, password: PASSWORD } });
    assert.equal(first.status, 403);
    assert.deepEqual(first.body.methods, ["passkey", "recovery_code"]);
    const options = await server.request<{ challenge_id: string; options: Record<string, unknown> }>("POST", "/auth/passkeys/mfa-options", { json: { mfa_token: first.body.mfa_token } });
    assert.equal(options.status, 200, options.text);
    assert.equal((options.body.options.allowCredentials as unknown[]).length, 1);
    const assertion = auth.get(options.body.options);
    const done = await server.request<Tokens>("POST", "/oauth/token", { json: { grant_type: MFA, mfa_token: first.body.mfa_token, webauthn: assertion } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(claimsOf(done.body.access_token).amr, ["pwd", "hwk", "user", "mfa"]);
    // The same assertion with a new mfa_token: the challenge is spent.
    const again = await server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: "password", username: user.username, password: PASSWORD } });
    const replay = await server.request("POST", "/oauth/token", { json: { grant_type: MFA, mfa_token: again.body.mfa_token, webauthn: assertion } });
    assert.equal(replay.status, 400);
  });

  test("audit: mfa-options for a user without a passkey is 400 invalid_grant, and the mfa_token still works", async () => {
    const user = await server.signUpAndSignIn(`pknone${process.pid}x${++n}`, PASSWORD);
    const started = await server.request<{ factor_id: string; secret: string }>("POST", "/auth/factors/totp", { token: user.access_token });
    const code = (offsetMs = 0) => totpAt(base32Decode(started.body.secret), clock.now() + offsetMs);
    const confirmed = await server.request("POST", "/auth/factors/totp/confirm", { token: user.access_token, json: { factor_id: started.body.factor_id, code: code() } });
    assert.equal(confirmed.status, 200, confirmed.text);
    const first = await server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: "password", username: user.username, password: PASSWORD } });
    assert.deepEqual([first.status, first.body.methods], [403, ["totp", "recovery_code"]]);
    const options = await server.request("POST", "/auth/passkeys/mfa-options", { json: { mfa_token: first.body.mfa_token } });
    assert.equal(options.status, 400, options.text);
    assert.equal(options.body.error, "invalid_grant", "as a second step refuses a method the user does not have");
    assert.equal(options.body.challenge_id, undefined);
    // Nothing was spent: the token finishes the sign-in with the app (the next step's code: the confirming one is used).
    const done = await server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: MFA, mfa_token: first.body.mfa_token!, otp: code(30_000) } });
    assert.equal(done.status, 200, done.text);
  });

  test("another user's passkey does not pass this user's second step", async () => {
    const a = await withPasskey();
    const b = await withPasskey();
    const first = await server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: "password", username: a.user.username, password: PASSWORD } });
    const options = await server.request<{ options: Record<string, unknown> }>("POST", "/auth/passkeys/mfa-options", { json: { mfa_token: first.body.mfa_token } });
    const foreign = b.auth.get({ ...options.body.options, allowCredentials: [] });
    const res = await server.request("POST", "/oauth/token", { json: { grant_type: MFA, mfa_token: first.body.mfa_token, webauthn: foreign } });
    assert.equal(res.status, 400);
  });
});

describe("bad input: a 4xx with a stable code, never a 500", () => {
  test("malformed WebAuthn JSON, wrong types, oversized fields, unknown credentials", async () => {
    const { user, auth } = await withPasskey();
    const o = await loginOptions();
    const good = auth.get(o.options) as { response: Record<string, unknown> } & Record<string, unknown>;
    const big = "A".repeat(9000);
    const cases: unknown[] = [
      null, 1, "x", [], {}, { type: "public-key" }, { ...good, type: "other" }, { ...good, id: 5 }, { ...good, response: "x" },
      { ...good, response: { ...good.response, clientDataJSON: "not base64url!" } }, { ...good, response: { ...good.response, signature: big } },
      { ...good, response: { ...good.response, clientDataJSON: Buffer.from("{not json").toString("base64url") } },
      { ...good, id: "AAAA", rawId: "AAAA" }, { ...good, response: { ...good.response, userHandle: "AAAA" } },
      { ...good, response: { ...good.response, authenticatorData: "AAAA" } },
    ];
    for (const webauthn of cases) {
      const res = await server.request("POST", "/oauth/token", { json: { grant_type: PASSKEY, challenge_id: o.challenge_id, webauthn } });
      assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(webauthn)?.slice(0, 80)} → ${res.status} ${res.text}`);
      assert.ok(["invalid_request", "invalid_grant"].includes(res.body.error as string), res.text);
    }
    for (const text of ["{", "[]", "null", "1"]) {
      const res = await server.request("POST", "/oauth/token", { form: { grant_type: PASSKEY, challenge_id: o.challenge_id, webauthn: text } });
      assert.equal(res.status, 400, text);
    }
    const options = (await server.request<Record<string, unknown>>("POST", "/auth/passkeys/options", { token: user.access_token })).body;
    const att = auth.create(options) as { response: Record<string, unknown> } & Record<string, unknown>;
    const registrations: unknown[] = [
      { response: { ...att, response: { ...att.response, attestationObject: "A".repeat(9000) } } },
      { response: { ...att, response: { ...att.response, attestationObject: "AAAA" } } },
      { response: "x" }, { response: { ...att, response: { ...att.response, transports: "usb" } }, name: 5 }, {},
    ];
    for (const json of registrations) {
      const res = await server.request("POST", "/auth/passkeys", { token: user.access_token, json });
      assert.ok(res.status === 400 || res.status === 413, `${JSON.stringify(json).slice(0, 80)} → ${res.status} ${res.text}`);
    }
    const huge = await server.request("POST", "/auth/passkeys", { token: user.access_token, json: { response: { ...att, response: { ...att.response, attestationObject: "A".repeat(20_000) } } } });
    assert.equal(huge.status, 413);
    for (const json of [{}, { mfa_token: 5 }, { mfa_token: "tmfa_x" }]) {
      const res = await server.request("POST", "/auth/passkeys/mfa-options", { json });
      assert.equal(res.status, 400, JSON.stringify(json));
    }
    const badChallenge = await passkeyGrant("\u0000", good);
    assert.equal(badChallenge.status, 400);
  });

  test("audit: the three options routes refuse an unknown field, like every other body", async () => {
    const { user } = await withPasskey();
    const first = await server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: "password", username: user.username, password: PASSWORD } });
    const calls: Array<[string, Record<string, unknown>, string | undefined]> = [
      ["/auth/passkeys/options", { extra: 1 }, user.access_token],
      ["/auth/passkeys/login-options", { extra: 1 }, undefined],
      ["/auth/passkeys/mfa-options", { mfa_token: first.body.mfa_token, extra: 1 }, undefined],
    ];
    for (const [path, json, token] of calls) {
      const res = await server.request("POST", path, { json, ...(token === undefined ? {} : { token }) });
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.deepEqual(res.body, { error: "invalid_request", error_description: "extra: is not a known field" }, path);
    }
    // Without the unknown field each answers (an empty body, {} or none, is fine where no field is read).
    assert.equal((await server.request("POST", "/auth/passkeys/options", { token: user.access_token, json: {} })).status, 200);
    assert.equal((await server.request("POST", "/auth/passkeys/login-options", { json: {} })).status, 200);
    assert.equal((await server.request("POST", "/auth/passkeys/mfa-options", { json: { mfa_token: first.body.mfa_token } })).status, 200);
  });
});
