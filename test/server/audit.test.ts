// The audit log: every event type is recorded by the action that
// causes it, with time, user, session, IP, user agent and outcome; it is
// queryable with filters and paging; and no row holds a password or token.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AUDIT_TYPES, EMAIL_AUDIT_TYPES } from "../../src/core/audit/audit-events.js";
import { signInAdmin } from "../helpers/admin.js";
import { startTestServer, testClock, type SignedIn, type TestServer } from "../helpers/server.js";
import { sidOf } from "../helpers/tokens.js";
import { base32Decode, totpAt } from "../../src/core/mfa/totp.js";

interface Event { id: number; at: string; type: string; outcome: string; user_id: string | null; session_id: string | null; client_id: string | null; actor: string | null; ip: string | null; user_agent: string | null; detail: Record<string, unknown> | null }

const clock = testClock();
const UA = "audit-test-agent/1.0";
let server: TestServer;
let admin: SignedIn;
const secrets: string[] = [];

before(async () => {
  server = await startTestServer({ clock });
  admin = await signInAdmin(server, "audit-admin");
  secrets.push(admin.password, admin.access_token, admin.refresh_token);
});
after(() => server.close());

/** A fresh admin token: the test clock jumps past access-token lifetimes and key rotations. */
async function adminToken(): Promise<string> {
  const res = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username: admin.username, password: admin.password } });
  secrets.push(res.body.access_token);
  return res.body.access_token;
}

async function events(query = ""): Promise<Event[]> {
  const res = await server.request<{ events: Event[] }>("GET", `/admin/audit${query}`, { token: await adminToken() });
  assert.equal(res.status, 200, res.text);
  return res.body.events;
}

const headers = { "user-agent": UA };
const form = (body: Record<string, string>) => ({ form: body, headers });

describe("every event type, recorded by its cause", () => {
  let alice: SignedIn;

  before(async () => {
    // user_registered, sign_in success
    alice = await server.signUpAndSignIn("alice", "my own pass phrase");
    secrets.push(alice.password, alice.access_token, alice.refresh_token);
  });

  test("user_registered and sign_in (success and failure) carry user, session, IP, user agent", async () => {
    await server.request("POST", "/oauth/token", form({ grant_type: "password", username: "alice", password: "wrong guess here" }));
    await server.request("POST", "/oauth/token", form({ grant_type: "password", username: "no-such-user", password: "wrong guess here" }));
    const ok = await server.request<{ refresh_token: string; access_token: string }>("POST", "/oauth/token", form({ grant_type: "password", username: "alice", password: alice.password }));
    secrets.push(ok.body.refresh_token, ok.body.access_token, "wrong guess here");
    const signIns = await events(`?type=sign_in&user=alice`);
    const success = signIns.find((e) => e.outcome === "success" && e.user_agent === UA)!;
    assert.equal(success.user_id, alice.userId);
    assert.ok(success.session_id);
    assert.equal(success.ip, "127.0.0.1");
    assert.equal(success.client_id, "tessera-web");
    const failure = signIns.find((e) => e.outcome === "failure")!;
    assert.deepEqual(failure.detail, { reason: "invalid_credentials" });
    assert.equal(failure.user_id, alice.userId, "a wrong password names the account it was tried on");
    const unknown = (await events("?type=sign_in")).find((e) => e.detail?.reason === "unknown_user")!;
    assert.equal(unknown.user_id, null, "an unknown name is not stored: it might be a password typed in the wrong field");
    assert.equal((await events(`?type=user_registered&user=${alice.userId}`)).length, 1);
  });

  test("refresh (success and failure) and refresh_reuse", async () => {
    const first = await server.request<{ refresh_token: string; access_token: string }>("POST", "/oauth/token", form({ grant_type: "refresh_token", refresh_token: alice.refresh_token }));
    secrets.push(first.body.refresh_token, first.body.access_token);
    clock.advance(60_000); // past the grace window: replaying the spent token is theft
    await server.request("POST", "/oauth/token", form({ grant_type: "refresh_token", refresh_token: alice.refresh_token }));
    const refreshes = await events(`?type=refresh&user=alice`);
    assert.ok(refreshes.some((e) => e.outcome === "success" && e.detail?.result === "rotated" && e.ip === "127.0.0.1" && e.user_agent === UA && e.client_id === "tessera-web"));
    assert.ok(refreshes.some((e) => e.outcome === "failure" && e.detail?.result === "reuse"));
    const reuse = await events("?type=refresh_reuse");
    assert.equal(reuse[0]!.outcome, "suspected_theft");
    assert.equal(reuse[0]!.user_id, alice.userId);
    const revoked = await events("?type=session_revoked");
    assert.ok(revoked.some((e) => e.detail?.reason === "refresh_token_reuse" && e.user_id === alice.userId));
  });

  test("logout, session_revoked (by the user, by an admin), session_expired", async () => {
    const s1 = await server.request<{ access_token: string }>("POST", "/oauth/token", form({ grant_type: "password", username: "alice", password: alice.password }));
    await server.request("POST", "/auth/logout", { token: s1.body.access_token, headers });
    const logout = (await events("?type=logout"))[0]!;
    assert.equal(logout.user_id, alice.userId);
    assert.equal(logout.user_agent, UA);
    const s2 = await server.request<{ access_token: string }>("POST", "/oauth/token", form({ grant_type: "password", username: "alice", password: alice.password }));
    const s3 = await server.request<{ access_token: string; refresh_token: string }>("POST", "/oauth/token", form({ grant_type: "password", username: "alice", password: alice.password }));
    const sid3 = sidOf(s3.body.access_token);
    await server.request("DELETE", `/admin/sessions/${sid3}`, { token: await adminToken() });
    const byAdmin = (await events("?type=session_revoked")).find((e) => e.session_id === sid3)!;
    assert.equal(byAdmin.actor, admin.userId);
    assert.equal(byAdmin.detail?.reason, "admin");
    const action = (await events("?type=admin_action")).find((e) => e.detail?.action === "session.revoke")!;
    assert.equal(action.detail?.target, sid3);
    secrets.push(s2.body.access_token, s3.body.refresh_token);
    clock.advance(8 * 86_400_000); // past the idle timeout
    await server.request("POST", "/oauth/token", form({ grant_type: "refresh_token", refresh_token: alice.refresh_token }));
    const s4 = await server.request<{ refresh_token: string }>("POST", "/oauth/token", form({ grant_type: "password", username: "alice", password: alice.password }));
    clock.advance(8 * 86_400_000);
    await server.request("POST", "/oauth/token", form({ grant_type: "refresh_token", refresh_token: s4.body.refresh_token }));
    const expired = await events("?type=session_expired");
    assert.equal(expired[0]!.detail?.reason, "idle_timeout");
    assert.equal(expired[0]!.user_id, alice.userId);
  });

  test("password_changed (self and reset), password_reset refused, admin_action", async () => {
    const s = await server.request<{ access_token: string }>("POST", "/oauth/token", form({ grant_type: "password", username: "alice", password: alice.password }));
    await server.request("POST", "/auth/password", { token: s.body.access_token, headers, json: { current_password: alice.password, new_password: "my newer phrase" } });
    const reset = await server.request<{ reset_token: string }>("POST", "/admin/users/alice/reset-password", { token: await adminToken() });
    await server.request("POST", "/auth/password/reset", { headers, json: { reset_token: `tsp_${"x".repeat(43)}`, new_password: "a third new phrase" } });
    await server.request("POST", "/auth/password/reset", { headers, json: { reset_token: reset.body.reset_token, new_password: "a third new phrase" } });
    secrets.push("my newer phrase", reset.body.reset_token, "a third new phrase");
    const changes = await events(`?type=password_changed&user=${alice.userId}`);
    assert.deepEqual(changes.map((e) => e.detail?.via), ["reset", "self"]);
    assert.equal((await events("?type=password_reset"))[0]!.outcome, "failure");
    const actions = (await events("?type=admin_action")).map((e) => e.detail?.action);
    assert.ok(actions.includes("user.reset_password") && actions.includes("user.create"));
  });

  test("key_rotated, key_revoked, key_deleted, and the admin_action of each", async () => {
    await server.request("POST", "/admin/keys/rotate", { token: await adminToken() });
    const rotated = (await events("?type=key_rotated"))[0]!;
    assert.equal(rotated.actor, admin.userId);
    clock.advance(400_000); // the new key signs; the old one retires and expires one token lifetime later
    clock.advance(900_000);
    await server.tessera.parts.keyRotation.tick();
    assert.ok((await events("?type=key_deleted"))[0]!.detail?.kids);
    const current = server.tessera.parts.keys.signingKey().kid;
    await server.tessera.parts.admin.resources.revokeKey(current, { id: "cli" });
    assert.equal((await server.tessera.parts.audit.query({ limit: 1, types: ["key_revoked"] }))[0]!.detail, JSON.stringify({ kid: current }));
  });

  test("factor and second_factor: enrolment, confirmation, a failed and a passed second step", async () => {
    const bob = await server.signUpAndSignIn("bob", "a second user's phrase");
    const started = await server.request<{ factor_id: string; secret: string }>("POST", "/auth/factors/totp", { token: bob.access_token, headers, json: {} });
    const code = () => totpAt(base32Decode(started.body.secret), clock.now());
    await server.request("POST", "/auth/factors/totp/confirm", { token: bob.access_token, headers, json: { factor_id: started.body.factor_id, code: code() } });
    clock.advance(30_000);
    secrets.push(started.body.secret, bob.access_token);
    const mfa = async () => (await server.request<{ mfa_token: string }>("POST", "/oauth/token", form({ grant_type: "password", username: "bob", password: bob.password }))).body.mfa_token;
    await server.request("POST", "/oauth/token", form({ grant_type: "urn:tessera:params:oauth:grant-type:mfa", mfa_token: await mfa(), otp: code() === "000000" ? "111111" : "000000" }));
    await server.request("POST", "/oauth/token", form({ grant_type: "urn:tessera:params:oauth:grant-type:mfa", mfa_token: await mfa(), otp: code() }));
    const factor = (await events(`?type=factor&user=${bob.userId}`)).map((e) => e.outcome);
    assert.deepEqual(factor.sort(), ["confirmed", "enrolled", "recovery_codes_created"]);
    const steps = await events(`?type=second_factor&user=${bob.userId}`);
    // Newest first: each password grant asked for the second step (required), then the step was tried.
    assert.deepEqual(steps.map((e) => e.outcome), ["success", "required", "failure", "required"]);
    assert.equal(steps[0]!.detail?.method, "totp");
    assert.equal(steps[0]!.user_agent, UA);
  });

  test("the list of types is exactly what was recorded above", async () => {
    const rows = await server.tessera.parts.audit.query({ limit: 10_000 });
    // Written out, not read from the code under test: a type that stops being recorded fails here.
    // The email types are recorded by test/server/email*.test.ts, with a real SMTP server.
    const recorded = ["admin_action", "factor", "key_deleted", "key_revoked", "key_rotated", "logout", "password_changed", "password_reset",
      "refresh", "refresh_reuse", "second_factor", "session_expired", "session_revoked", "sign_in", "user_registered"];
    const emailTypes: readonly string[] = EMAIL_AUDIT_TYPES;
    assert.deepEqual([...new Set(rows.map((r) => r.type))].sort(), recorded);
    assert.deepEqual([...AUDIT_TYPES].filter((t) => !emailTypes.includes(t)).sort(), recorded, "and the code knows no other type than these and the email ones");
  });
});

describe("queries", () => {
  test("filters by time and pages newest first without gaps or repeats", async () => {
    const token = (await signInAdmin(server)).access_token; // signed by the key that replaced the revoked one
    const all = await server.tessera.parts.audit.query({ limit: 10_000 });
    const ids: number[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/admin/audit?limit=7${cursor ? `&cursor=${cursor}` : ""}`;
      const res: { body: { events: Event[]; next_cursor: string | null } } = await server.request<{ events: Event[]; next_cursor: string | null }>("GET", path, { token });
      ids.push(...res.body.events.map((e) => e.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    assert.deepEqual(ids, all.map((r) => r.id));
    const middle = all[Math.floor(all.length / 2)]!;
    const until = await server.tessera.parts.admin.resources.audit({ to: String(middle.at), limit: 500 }, async (w) => w);
    assert.ok(until.events.length > 0 && until.events.every((e) => Date.parse(e.at) < middle.at), `${until.events.length} events before the middle one`);
    const since = await server.tessera.parts.admin.resources.audit({ from: new Date(middle.at).toISOString(), limit: 500 }, async (w) => w);
    assert.ok(since.events.every((e) => Date.parse(e.at) >= middle.at) && since.events.length > 0);
  });

  test("bad filters are 400 naming the field", async () => {
    const token = (await signInAdmin(server)).access_token;
    for (const [query, field] of [["type=nope", "type"], ["from=yesterday", "from"], ["cursor=abc", "cursor"], ["limit=9999", "limit"]] as const) {
      const res = await server.request<{ error: string; error_description: string }>("GET", `/admin/audit?${query}`, { token });
      assert.equal(res.status, 400, query);
      assert.match(res.body.error_description, new RegExp(`^${field}:`));
    }
  });
});

test("no stored row holds a password, token or secret used above", async () => {
  await server.tessera.parts.audit.flush();
  const rows = await server.tessera.parts.store.queryAuditEvents({ limit: 100_000 });
  assert.ok(rows.length > 30);
  const dump = JSON.stringify(rows);
  for (const secret of secrets.filter(Boolean)) assert.ok(!dump.includes(secret), `a secret leaked into the audit log: ${secret.slice(0, 12)}…`);
  assert.ok(!/tsr_|tsp_|tss_|eyJ|argon2/.test(dump), "no token-shaped or hash-shaped value");
});
