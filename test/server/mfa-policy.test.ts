// Policy around second factors (docs/mfa.md): a role that requires one
// (TESSERA_MFA_REQUIRED_ROLES) — enrolment at the next sign-in, on the password
// grant and the cookie login, before any session, with an authenticator app or
// a passkey — and step-up on every admin
// route that changes something, with the RFC 9470 challenge.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { base32Decode, totpAt } from "../../src/core/mfa/totp.js";
import { loadConfig } from "../../src/core/config.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { signIn, signInAdmin } from "../helpers/admin.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";

const MFA = "urn:tessera:params:oauth:grant-type:mfa";
const PASSWORD = "mandatory factor test password";
const clock = testClock(Math.floor(Date.now() / 30_000) * 30_000 + 10_000);
let server: TestServer;
let origin = "";

before(async () => {
  server = await startTestServer({ clock, hashConcurrency: 2, config: { mfaRequiredRoles: ["admin", "ops"] } });
  origin = new URL(server.issuer).origin;
});
after(() => server.close());

interface Refusal { error: string; mfa_token?: string; methods?: string[] }
interface Enrolment { factor_id: string; secret: string; otpauth_uri: string }
interface Tokens { access_token: string; refresh_token: string; recovery_codes?: string[] }

let n = 0;
async function user(roles: string[]): Promise<string> {
  const username = `policy${process.pid}x${++n}`;
  await server.tessera.admin.users.create({ username, password: PASSWORD, roles }, { id: "test" });
  return username;
}
const passwordGrant = (username: string) => server.request<Refusal & Tokens>("POST", "/oauth/token", { form: { grant_type: "password", username, password: PASSWORD } });
const code = (secret: string) => totpAt(base32Decode(secret), clock.now());
const sessionsOf = (username: string) => server.tessera.admin.users.sessions(username);

describe("a role that requires a second factor", () => {
  test("the setting is validated: role names only", () => {
    assert.deepEqual(loadConfig({ TESSERA_MFA_REQUIRED_ROLES: "admin, ops,admin" }).mfaRequiredRoles, ["admin", "ops"]);
    assert.deepEqual(loadConfig({}).mfaRequiredRoles, []);
    assert.throws(() => loadConfig({ TESSERA_MFA_REQUIRED_ROLES: "Admin" }), /TESSERA_MFA_REQUIRED_ROLES/);
  });

  test("a user outside those roles signs in as before", async () => {
    const res = await passwordGrant(await user(["user"]));
    assert.equal(res.status, 200, res.text);
  });

  test("password grant: 403 mfa_enrollment_required, no session; enrol with the token, the first code signs in with recovery codes", async () => {
    const name = await user(["user", "ops"]);
    const first = await passwordGrant(name);
    assert.equal(first.status, 403, first.text);
    assert.equal(first.body.error, "mfa_enrollment_required");
    assert.deepEqual(first.body.methods, ["totp"]);
    assert.match(first.body.mfa_token!, /^tmfa_[A-Za-z0-9_-]{43}$/);
    assert.equal((await sessionsOf(name)).length, 0, "no session before a factor");

    const enrol = await server.request<Enrolment>("POST", "/auth/mfa-enrollment/totp", { json: { mfa_token: first.body.mfa_token, name: "Phone" } });
    assert.equal(enrol.status, 200, enrol.text);
    assert.match(enrol.body.otpauth_uri, /^otpauth:\/\/totp\//);

    const wrong = await server.request<Refusal>("POST", "/oauth/token", { form: { grant_type: MFA, mfa_token: first.body.mfa_token!, otp: code(enrol.body.secret) === "000000" ? "111111" : "000000" } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, "invalid_grant");
    assert.equal((await server.tessera.factors.list((await server.tessera.users.find(name))!.id)).factors.length, 0, "a wrong code confirms nothing");

    const done = await server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: MFA, mfa_token: first.body.mfa_token!, otp: code(enrol.body.secret) } });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.recovery_codes?.length, 10);
    const claims = JSON.parse(Buffer.from(done.body.access_token.split(".")[1]!, "base64url").toString()) as { amr: string[] };
    assert.deepEqual(claims.amr, ["pwd", "otp", "mfa"]);

    const again = await server.request<Refusal>("POST", "/oauth/token", { form: { grant_type: MFA, mfa_token: first.body.mfa_token!, otp: code(enrol.body.secret) } });
    assert.equal(again.status, 400, "the token is single use");
    clock.advance(30_000);
    const next = await passwordGrant(name);
    assert.equal(next.status, 403);
    assert.equal(next.body.error, "mfa_required", "from now on the usual second step");
  });

  test("cookie login: the same enrolment, finished by /session/mfa with the recovery codes in the answer", async () => {
    const name = await user(["admin"]);
    const login = await server.request<Refusal>("POST", "/session/login", { json: { username: name, password: PASSWORD }, headers: { origin } });
    assert.equal(login.status, 403, login.text);
    assert.equal(login.body.error, "mfa_enrollment_required");
    assert.equal(login.headers.get("set-cookie"), null, "no cookie before a factor");
    const enrol = await server.request<Enrolment>("POST", "/auth/mfa-enrollment/totp", { json: { mfa_token: login.body.mfa_token } });
    assert.equal(enrol.status, 200, enrol.text);
    const done = await server.request<{ csrf_token: string; recovery_codes: string[] }>("POST", "/session/mfa", { json: { mfa_token: login.body.mfa_token, otp: code(enrol.body.secret) }, headers: { origin } });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.recovery_codes.length, 10);
    assert.ok(done.headers.get("set-cookie"));
  });

  test("the enrolment token allows nothing else: no recovery code, no passkey, not for another client, not a second step's token", async () => {
    const name = await user(["ops"]);
    const first = await passwordGrant(name);
    const token = first.body.mfa_token!;
    const forms: Array<Record<string, string>> = [{ recovery_code: "aaaa-bbbb-cccc-dddd" }, { webauthn: "{}" }, {}, { otp: "123456", recovery_code: "x" }];
    for (const form of forms) {
      const res = await server.request<Refusal>("POST", "/oauth/token", { form: { grant_type: MFA, mfa_token: token, ...form } });
      assert.equal(res.status, 400, `${JSON.stringify(form)} → ${res.text}`);
    }
    const noPending = await server.request<Refusal>("POST", "/oauth/token", { form: { grant_type: MFA, mfa_token: token, otp: "123456" } });
    assert.equal(noPending.status, 400, "nothing enrolled yet: no code can finish");
    const other = await server.tessera.admin.resources.createClient({ name: "other", id: `other${n}`, grantTypes: ["password"], public: true, firstParty: true }, { id: "test" });
    const foreign = await server.request<Refusal>("POST", "/auth/mfa-enrollment/totp", { json: { mfa_token: token, client_id: other.client.id } });
    assert.equal(foreign.status, 400, foreign.text);
    // A user with a factor gets a second-step token, which cannot start an enrolment.
    const bad = await server.request<Refusal>("POST", "/auth/mfa-enrollment/totp", { json: { mfa_token: "tmfa_" + "A".repeat(43) } });
    assert.equal(bad.status, 400);
    for (const json of [{}, { mfa_token: 5 }, { mfa_token: token, extra: 1 }, { mfa_token: token, name: 7 }]) {
      const res = await server.request("POST", "/auth/mfa-enrollment/totp", { json });
      assert.equal(res.status, 400, `${JSON.stringify(json)} → ${res.text}`);
    }
  });

  test("30 parallel codes on one enrolment token: attempts are reserved first, one sign-in at most", async () => {
    const name = await user(["ops"]);
    const first = await passwordGrant(name);
    const enrol = await server.request<Enrolment>("POST", "/auth/mfa-enrollment/totp", { json: { mfa_token: first.body.mfa_token } });
    const right = code(enrol.body.secret);
    const results = await Promise.all(Array.from({ length: 30 }, () =>
      server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: MFA, mfa_token: first.body.mfa_token!, otp: right } })));
    assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(","));
    assert.equal((await sessionsOf(name)).length, 1);
  });

  test("events, audit and metrics see the enrolment asked for and finished", async () => {
    const name = await user(["ops"]);
    const first = await passwordGrant(name);
    const enrol = await server.request<Enrolment>("POST", "/auth/mfa-enrollment/totp", { json: { mfa_token: first.body.mfa_token } });
    await server.request("POST", "/oauth/token", { form: { grant_type: MFA, mfa_token: first.body.mfa_token!, otp: code(enrol.body.secret) } });
    await server.tessera.parts.audit.flush();
    const userId = (await server.tessera.users.find(name))!.id;
    const rows = (await server.tessera.parts.store.queryAuditEvents({ userId, limit: 100 })).map((e) => `${e.type}:${e.outcome}`);
    for (const want of ["second_factor:enrollment_required", "factor:enrolled", "factor:confirmed", "factor:recovery_codes_created", "second_factor:success"]) {
      assert.ok(rows.includes(want), `${want} in ${rows.join(", ")}`);
    }
    const metrics = await server.request("GET", "/metrics");
    if (metrics.status === 200) assert.match(metrics.text, /tessera_second_factor_total\{method="unknown",outcome="enrollment_required"\} [1-9]/);
  });
});

describe("a passkey enrolled at the sign-in a role requires a factor for", () => {
  // Passkeys need a domain: a server of its own, named localhost (RP ID "localhost").
  let pk: TestServer;
  before(async () => {
    pk = await startTestServer({ clock, hashConcurrency: 2, config: { issuer: "http://localhost:0", mfaRequiredRoles: ["ops"] } });
  });
  after(() => pk.close());
  const passkeyUser = async () => {
    const username = `pkpolicy${process.pid}x${++n}`;
    const created = await pk.tessera.admin.users.create({ username, password: PASSWORD, roles: ["ops"] }, { id: "test" });
    return { username, id: created.user.id };
  };
  const enrolmentToken = async (username: string) => {
    const first = await pk.request<Refusal>("POST", "/oauth/token", { form: { grant_type: "password", username, password: PASSWORD } });
    assert.equal(first.status, 403, first.text);
    assert.equal(first.body.error, "mfa_enrollment_required");
    return first.body;
  };
  const creationOptions = async (mfaToken: string) => {
    const res = await pk.request<Record<string, unknown>>("POST", "/auth/mfa-enrollment/passkey/options", { json: { mfa_token: mfaToken } });
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const factorsOf = async (id: string) => (await pk.tessera.factors.list(id)).factors;
  const pkSessionsOf = (username: string) => pk.tessera.admin.users.sessions(username);
  const finish = (mfaToken: string, webauthn: unknown) => pk.request<Tokens & Refusal>("POST", "/oauth/token", { json: { grant_type: MFA, mfa_token: mfaToken, webauthn } });

  test("mfa_enrollment_required offers totp and passkey; the new passkey's creation response finishes the sign-in with recovery codes", async () => {
    const u = await passkeyUser();
    const first = await enrolmentToken(u.username);
    assert.deepEqual(first.methods, ["totp", "passkey"]);
    const options = await creationOptions(first.mfa_token!);
    assert.deepEqual((options.authenticatorSelection as Record<string, string>).userVerification, "required");
    assert.equal((options.rp as { id: string }).id, "localhost");
    assert.equal((await factorsOf(u.id)).length, 0, "options enrol nothing");
    const auth = new SoftAuthenticator({ origin: pk.issuer });
    const done = await finish(first.mfa_token!, auth.create(options));
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.recovery_codes?.length, 10);
    const claims = JSON.parse(Buffer.from(done.body.access_token.split(".")[1]!, "base64url").toString()) as { amr: string[] };
    assert.deepEqual(claims.amr, ["pwd", "hwk", "user", "mfa"]);
    const factors = await factorsOf(u.id);
    assert.deepEqual(factors.map((f) => [f.type, f.name]), [["passkey", "Passkey"]]);
    assert.equal((await pkSessionsOf(u.username)).length, 1);

    // From now on: the usual second step, and the passkey proves it.
    const next = await pk.request<Refusal>("POST", "/oauth/token", { form: { grant_type: "password", username: u.username, password: PASSWORD } });
    assert.equal(next.body.error, "mfa_required");
    assert.deepEqual(next.body.methods, ["passkey", "recovery_code"]);
    const request = await pk.request<{ options: Record<string, unknown> }>("POST", "/auth/passkeys/mfa-options", { json: { mfa_token: next.body.mfa_token } });
    const second = await finish(next.body.mfa_token!, auth.get(request.body.options));
    assert.equal(second.status, 200, second.text);
    assert.equal(second.body.recovery_codes, undefined, "codes only when the sign-in enrolled the first factor");
  });

  test("cookie login: the same enrolment, finished by /session/mfa", async () => {
    const u = await passkeyUser();
    const login = await pk.request<Refusal>("POST", "/session/login", { json: { username: u.username, password: PASSWORD }, headers: { origin: pk.issuer } });
    assert.equal(login.status, 403, login.text);
    assert.equal(login.body.error, "mfa_enrollment_required");
    const auth = new SoftAuthenticator({ origin: pk.issuer });
    const creation = auth.create(await creationOptions(login.body.mfa_token!));
    const done = await pk.request<{ csrf_token: string; recovery_codes: string[] }>("POST", "/session/mfa", { json: { mfa_token: login.body.mfa_token, webauthn: creation }, headers: { origin: pk.issuer } });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.recovery_codes.length, 10);
    assert.ok(done.headers.getSetCookie().some((c) => c.startsWith("__Host-tessera_session=")));
  });

  test("refused: a creation for another origin or RP ID, a replayed creation, an assertion, a second step's token, another client, bad input — nothing stored", async () => {
    const u = await passkeyUser();
    const first = await enrolmentToken(u.username);
    const token = first.mfa_token!;
    const auth = new SoftAuthenticator({ origin: pk.issuer });
    const wrongOrigin = await finish(token, auth.create(await creationOptions(token), { origin: "https://evil.example" }));
    assert.equal(wrongOrigin.status, 400, wrongOrigin.text);
    assert.equal(wrongOrigin.body.error, "invalid_grant");
    const wrongRp = await finish(token, auth.create(await creationOptions(token), { rpId: "evil.example" }));
    assert.equal(wrongRp.body.error, "invalid_grant", wrongRp.text);
    assert.equal((await factorsOf(u.id)).length, 0, "a refused creation stores no passkey");
    for (const webauthn of ["{}", "not json", JSON.stringify({ type: "public-key", id: "AAAA", rawId: "AAAA", response: { clientDataJSON: "AAAA", attestationObject: "A".repeat(9000) } })]) {
      const res = await pk.request<Refusal>("POST", "/oauth/token", { form: { grant_type: MFA, mfa_token: token, webauthn } });
      assert.equal(res.status, 400, `${webauthn.slice(0, 40)} → ${res.text}`);
      assert.equal(res.body.error, "invalid_request");
    }
    // A fresh token (each refusal above spent one of this one's attempts): the right creation finishes.
    const fresh = await enrolmentToken(u.username);
    const options = await creationOptions(fresh.mfa_token!);
    const creation = auth.create(options);
    const other = await pk.tessera.admin.resources.createClient({ name: "other", id: `pkother${n}`, grantTypes: ["password"], public: true, firstParty: true }, { id: "test" });
    const foreign = await pk.request<Refusal>("POST", "/oauth/token", { json: { grant_type: MFA, mfa_token: fresh.mfa_token, webauthn: creation, client_id: other.client.id } });
    assert.equal(foreign.status, 400, foreign.text);
    const foreignOptions = await pk.request<Refusal>("POST", "/auth/mfa-enrollment/passkey/options", { json: { mfa_token: fresh.mfa_token, client_id: other.client.id } });
    assert.equal(foreignOptions.body.error, "invalid_grant", foreignOptions.text);
    const done = await finish(fresh.mfa_token!, creation);
    assert.equal(done.status, 200, done.text);
    // The same creation again, with a new token (the user now has the passkey, so a second-step token).
    const again = await pk.request<Refusal>("POST", "/oauth/token", { form: { grant_type: "password", username: u.username, password: PASSWORD } });
    assert.equal(again.body.error, "mfa_required");
    const replay = await finish(again.body.mfa_token!, creation);
    assert.equal(replay.status, 400, replay.text);
    const secondStepOptions = await pk.request<Refusal>("POST", "/auth/mfa-enrollment/passkey/options", { json: { mfa_token: again.body.mfa_token } });
    assert.equal(secondStepOptions.body.error, "invalid_grant", "a second step's token starts no enrolment");
    assert.equal((await factorsOf(u.id)).length, 1);
    for (const json of [{}, { mfa_token: 5 }, { mfa_token: token, extra: 1 }]) {
      const res = await pk.request<Refusal>("POST", "/auth/mfa-enrollment/passkey/options", { json });
      assert.equal(res.status, 400, `${JSON.stringify(json)} → ${res.text}`);
    }
  });

  test("30 parallel finishes with one creation response: one sign-in, one passkey", async () => {
    const u = await passkeyUser();
    const first = await enrolmentToken(u.username);
    const creation = new SoftAuthenticator({ origin: pk.issuer }).create(await creationOptions(first.mfa_token!));
    const results = await Promise.all(Array.from({ length: 30 }, () => finish(first.mfa_token!, creation)));
    assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(","));
    assert.ok(results.every((r) => r.status === 200 || r.status === 400), results.map((r) => r.status).join(","));
    assert.equal((await factorsOf(u.id)).length, 1);
    assert.equal((await pkSessionsOf(u.username)).length, 1);
  });
});

describe("step-up on admin routes that change things", () => {
  test("a stale admin sign-in reads, but is refused every change with the RFC 9470 challenge; a fresh sign-in passes", async () => {
    const factorFree = await startTestServer({ clock, hashConcurrency: 2 });
    try {
      const admin = await signInAdmin(factorFree);
      const target = await factorFree.tessera.admin.users.create({ username: `target${n}`, password: PASSWORD, roles: ["user"] }, { id: "test" });
      clock.advance(16 * 60_000);
      // A live access token of an old sign-in: refreshed, so it carries the sign-in's auth_time.
      const refreshed = await factorFree.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: admin.refresh_token! } });
      assert.equal(refreshed.status, 200, refreshed.text);
      const stale = refreshed.body.access_token;
      const read = await factorFree.request("GET", "/admin/users", { token: stale });
      assert.equal(read.status, 200, "reads are not gated");
      const changes: Array<[string, string, object | undefined]> = [
        ["POST", "/admin/users", { username: `new${n}` }],
        ["PUT", `/admin/users/${target.user.id}/roles`, { roles: ["admin"] }],
        ["PATCH", `/admin/users/${target.user.id}`, { disabled: true }],
        ["POST", `/admin/users/${target.user.id}/reset-password`, undefined],
        ["POST", `/admin/users/${target.user.id}/reset-factors`, undefined],
        ["POST", "/admin/keys/rotate", undefined],
        ["POST", "/admin/clients", { name: "x" }],
        ["POST", "/admin/apis", { identifier: "https://api.example", scopes: ["read"] }],
        ["DELETE", "/admin/sessions/nope", undefined],
      ];
      for (const [method, path, json] of changes) {
        const res = await factorFree.request<Refusal>(method, path, { token: stale, ...(json ? { json } : {}) });
        assert.equal(res.status, 401, `${method} ${path} → ${res.text}`);
        assert.equal(res.body.error, "insufficient_user_authentication");
        assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer realm="tessera", error="insufficient_user_authentication", error_description="[^"]*", max_age=900$/);
      }
      assert.deepEqual(JSON.parse((await factorFree.tessera.users.find(target.user.id))!.roles) as string[], ["user"], "nothing changed");
      const fresh = await signIn(factorFree, admin.username, admin.password);
      const roles = await factorFree.request("PUT", `/admin/users/${target.user.id}/roles`, { token: fresh.access_token, json: { roles: ["user", "ops"] } });
      assert.equal(roles.status, 200, roles.text);
    } finally {
      await factorFree.close();
    }
  });
});
