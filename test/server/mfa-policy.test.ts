// Policy around second factors (docs/mfa.md): a role that requires one
// (TESSERA_MFA_REQUIRED_ROLES) — enrolment at the next sign-in, on the password
// grant and the cookie login, before any session — and step-up on every admin
// route that changes something, with the RFC 9470 challenge.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { base32Decode, totpAt } from "../../src/core/mfa/totp.js";
import { loadConfig } from "../../src/core/config.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { signIn, signInAdmin } from "../helpers/admin.js";

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
