// The admin API ("Administration"): every /admin route refuses the
// anonymous (401) and non-admins (403 forbidden); admins list, page, search,
// create, disable, set roles, force resets, revoke sessions, register clients,
// rotate and revoke keys. docs/admin.md.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { signIn, signInAdmin } from "../helpers/admin.js";
import { startTestServer, type SignedIn, type TestServer } from "../helpers/server.js";

type Body = Record<string, unknown> & { error?: string; error_description?: string };
let server: TestServer;
let admin: SignedIn;
let plain: SignedIn;

before(async () => {
  server = await startTestServer();
  admin = await signInAdmin(server, "root-admin");
  plain = await server.signUpAndSignIn("plain-user", "plain user pass phrase");
});
after(() => server.close());

const routes: Array<[string, string, unknown?]> = [
  ["GET", "/admin/users"], ["POST", "/admin/users", { username: "x-new" }], ["GET", "/admin/users/plain-user"],
  ["PATCH", "/admin/users/plain-user", { disabled: true }], ["POST", "/admin/users/plain-user/disable"], ["POST", "/admin/users/plain-user/enable"],
  ["PUT", "/admin/users/plain-user/roles", { roles: ["user", "admin"] }], ["POST", "/admin/users/plain-user/reset-password"],
  ["GET", "/admin/sessions?user=plain-user"], ["DELETE", "/admin/sessions/abc"], ["GET", "/admin/clients"], ["POST", "/admin/clients", { name: "x" }],
  ["GET", "/admin/keys"], ["POST", "/admin/keys/rotate"], ["POST", "/admin/keys/some-kid/revoke"], ["GET", "/admin/audit"],
];

/** What the refused admin routes would change: users, the plain user's sessions, clients, keys, the audit log. */
async function storedState() {
  const store = server.tessera.parts.store;
  // Audit rows are written in batches: what is already recorded must be in the table before it is counted.
  await server.tessera.parts.audit.flush();
  return {
    users: await store.listUsers({ limit: 1000 }),
    sessions: (await store.listLiveSessions(plain.userId, Date.now(), 0)).map((s) => [s.id, s.revoked_at]),
    clients: await store.listClients(),
    keys: (await store.listSigningKeys()).map((k) => [k.kid, k.revoked_at, k.retires_at, k.activates_at]),
    adminActions: (await store.queryAuditEvents({ limit: 1000, types: ["admin_action"] })).length,
  };
}

describe("access", () => {
  for (const [method, path, json] of routes) {
    test(`${method} ${path}: 401 without credentials, 403 forbidden for a user, nothing changed`, async () => {
      const before = await storedState();
      const anonymous = await server.request<Body>(method, path, json === undefined ? {} : { json });
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.error, "unauthorized");
      const user = await server.request<Body>(method, path, { token: plain.access_token, ...(json === undefined ? {} : { json }) });
      assert.equal(user.status, 403);
      assert.deepEqual(user.body, { error: "forbidden", error_description: "This needs the admin role." });
      assert.equal(user.headers.get("cache-control"), "no-store");
      assert.deepEqual(await storedState(), before, "nothing changed in the store");
    });
  }

  test("the role is read from the store at each request: a demoted admin is refused at once", async () => {
    const other = await signInAdmin(server);
    assert.equal((await server.request("GET", "/admin/users", { token: other.access_token })).status, 200);
    await server.tessera.parts.users.setRoles(other.userId, ["user"]);
    assert.equal((await server.request("GET", "/admin/users", { token: other.access_token })).status, 403);
  });

  test("a forged token claiming the admin role is 401, not admin", async () => {
    const [h, p] = plain.access_token.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, roles: ["admin"] })).toString("base64url")}.${plain.access_token.split(".")[2]}`;
    assert.equal((await server.request("GET", "/admin/users", { token: forged })).status, 401);
  });
});

describe("users", () => {
  test("create with a generated password, shown once; it signs in", async () => {
    const res = await server.request<{ user: Body; password: string }>("POST", "/admin/users", { token: admin.access_token, json: { username: "made-by-admin", email: "m@example.com" } });
    assert.equal(res.status, 201);
    assert.equal(res.body.user.username, "made-by-admin");
    assert.deepEqual(res.body.user.roles, ["user"]);
    assert.equal(res.body.user.disabled, false);
    assert.ok(!("password_hash" in res.body.user));
    assert.equal((await signIn(server, "made-by-admin", res.body.password)).username, "made-by-admin");
  });

  test("create refuses a common password, a taken name and unknown fields", async () => {
    const common = await server.request<Body>("POST", "/admin/users", { token: admin.access_token, json: { username: "weak-one", password: "password1" } });
    assert.equal(common.status, 400);
    assert.match(common.body.error_description!, /^password: is too common/);
    assert.equal((await server.request<Body>("POST", "/admin/users", { token: admin.access_token, json: { username: "plain-user", password: "another long phrase" } })).status, 409);
    const extra = await server.request<Body>("POST", "/admin/users", { token: admin.access_token, json: { username: "x-user", is_admin: true } });
    assert.deepEqual(extra.body, { error: "invalid_request", error_description: "is_admin: is not a known field" });
  });

  test("list pages with limit and cursor, in username order, and searches", async () => {
    for (const name of ["page-a", "page-b", "page-c", "page-d", "page-e"]) await server.tessera.parts.admin.users.create({ username: name, password: "a fine long phrase" }, { id: "test" });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/admin/users?search=page-&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await server.request<{ users: Array<{ username: string }>; next_cursor: string | null }>("GET", query, { token: admin.access_token });
      assert.equal(res.status, 200);
      assert.ok(res.body.users.length <= 2);
      seen.push(...res.body.users.map((u) => u.username));
      cursor = res.body.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, ["page-a", "page-b", "page-c", "page-d", "page-e"]);
    for (const bad of ["limit=0", "limit=501", "limit=abc", "cursor=%25%25", "sort=name"]) {
      const res = await server.request<Body>("GET", `/admin/users?${bad}`, { token: admin.access_token });
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.error, "invalid_request", bad);
    }
  });

  test("disable ends the user's sessions and refuses sign-in; enable restores sign-in", async () => {
    const victim = await server.signUpAndSignIn("to-disable", "to disable pass phrase");
    const off = await server.request<Body>("POST", "/admin/users/to-disable/disable", { token: admin.access_token });
    assert.equal(off.status, 200);
    assert.equal(off.body.disabled, true);
    assert.equal((await server.request("GET", "/userinfo", { token: victim.access_token })).status, 401);
    assert.equal((await server.request("POST", "/oauth/token", { form: { grant_type: "password", username: "to-disable", password: victim.password } })).status, 400);
    const on = await server.request<Body>("PATCH", `/admin/users/${victim.userId}`, { token: admin.access_token, json: { disabled: false } });
    assert.equal(on.body.disabled, false);
    assert.equal((await signIn(server, "to-disable", victim.password)).username, "to-disable");
  });

  test("roles: replaced, validated; an admin cannot disable or demote themselves", async () => {
    const res = await server.request<Body>("PUT", "/admin/users/page-a/roles", { token: admin.access_token, json: { roles: ["user", "auditor"] } });
    assert.deepEqual(res.body.roles, ["user", "auditor"]);
    const bad = await server.request<Body>("PUT", "/admin/users/page-a/roles", { token: admin.access_token, json: { roles: ["Not A Role"] } });
    assert.match(bad.body.error_description!, /^roles: /);
    assert.equal((await server.request<Body>("PUT", "/admin/users/root-admin/roles", { token: admin.access_token, json: { roles: ["user"] } })).status, 403);
    assert.equal((await server.request<Body>("POST", "/admin/users/root-admin/disable", { token: admin.access_token })).status, 403);
    assert.equal((await server.request<Body>("GET", "/admin/users/nobody-at-all", { token: admin.access_token })).status, 404);
  });

  test("force a password reset: old password and sessions dead; the token sets a new password once", async () => {
    const user = await server.signUpAndSignIn("forgetful", "my old pass phrase");
    const res = await server.request<{ reset_token: string; expires_at: string; ended_sessions: number }>("POST", "/admin/users/forgetful/reset-password", { token: admin.access_token });
    assert.equal(res.status, 200);
    assert.match(res.body.reset_token, /^tsp_[A-Za-z0-9_-]{43}$/);
    assert.equal(res.body.ended_sessions, 1);
    assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 401);
    const old = await server.request<Body>("POST", "/oauth/token", { form: { grant_type: "password", username: "forgetful", password: user.password } });
    assert.deepEqual(old.body, { error: "invalid_grant", error_description: "The username or password is incorrect." });
    const weak = await server.request<Body>("POST", "/auth/password/reset", { json: { reset_token: res.body.reset_token, new_password: "forgetful123" } });
    assert.equal(weak.status, 400, "the policy applies (contains the username), and the token is not spent");
    assert.equal((await server.request("POST", "/auth/password/reset", { json: { reset_token: res.body.reset_token, new_password: "a brand new phrase" } })).status, 204);
    const again = await server.request<Body>("POST", "/auth/password/reset", { json: { reset_token: res.body.reset_token, new_password: "another new phrase" } });
    assert.deepEqual(again.body, { error: "invalid_grant", error_description: "The reset token is invalid, expired or already used." });
    assert.equal((await signIn(server, "forgetful", "a brand new phrase")).username, "forgetful");
  });
});

describe("sessions, clients, keys", () => {
  test("list a user's sessions and revoke one: its token is refused at once", async () => {
    const user = await server.signUpAndSignIn("session-owner", "session owner phrase");
    const list = await server.request<{ sessions: Array<{ id: string; user_id: string; ip: string }> }>("GET", "/admin/sessions?user=session-owner", { token: admin.access_token });
    assert.equal(list.body.sessions.length, 1);
    assert.equal(list.body.sessions[0]!.user_id, user.userId);
    assert.equal(list.body.sessions[0]!.ip, "127.0.0.1");
    assert.equal((await server.request("DELETE", `/admin/sessions/${list.body.sessions[0]!.id}`, { token: admin.access_token })).status, 204);
    assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 401);
    assert.equal((await server.request("DELETE", `/admin/sessions/${list.body.sessions[0]!.id}`, { token: admin.access_token })).status, 404);
    assert.equal((await server.request("GET", "/admin/sessions", { token: admin.access_token })).status, 400, "user is required");
  });

  test("register a confidential client: the secret is in that answer only, and works", async () => {
    const res = await server.request<Body>("POST", "/admin/clients", { token: admin.access_token, json: { name: "Reports", client_id: "reports", grant_types: ["client_credentials"] } });
    assert.equal(res.status, 201);
    assert.match(String(res.body.client_secret), /^tss_/);
    const list = await server.request<{ clients: Body[] }>("GET", "/admin/clients", { token: admin.access_token });
    const listed = list.body.clients.find((c) => c.client_id === "reports")!;
    assert.equal(listed.type, "confidential");
    assert.ok(!("client_secret" in listed) && !list.text.includes(String(res.body.client_secret)));
    const token = await server.request("POST", "/oauth/token", { form: { grant_type: "client_credentials", client_id: "reports", client_secret: String(res.body.client_secret) } });
    assert.equal(token.status, 200);
  });

  test("keys: list, rotate (published, not yet signing), revoke (tokens refused)", async () => {
    const before = await server.request<{ keys: Array<{ kid: string; signing: boolean }> }>("GET", "/admin/keys", { token: admin.access_token });
    const signing = before.body.keys.find((k) => k.signing)!;
    const rotated = await server.request<{ kid: string; signing: boolean; activates_at: string }>("POST", "/admin/keys/rotate", { token: admin.access_token });
    assert.equal(rotated.status, 201);
    assert.equal(rotated.body.signing, false, "publish before sign");
    const jwks = await server.request<{ keys: Array<{ kid: string }> }>("GET", "/.well-known/jwks.json");
    assert.ok(jwks.body.keys.some((k) => k.kid === rotated.body.kid));
    const victim = await server.signUpAndSignIn("key-victim", "key victim phrase");
    const revoked = await server.request<{ keys: Array<{ kid: string; revoked_at: string | null }> }>("POST", `/admin/keys/${signing.kid}/revoke`, { token: admin.access_token });
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.keys.find((k) => k.kid === signing.kid)!.revoked_at);
    assert.equal((await server.request("GET", "/userinfo", { token: victim.access_token })).status, 401);
    assert.equal((await server.request("POST", `/admin/keys/${signing.kid}/revoke`, { token: admin.access_token })).status, 401, "the admin's own token was signed by that key too");
  });
});

describe("malformed admin requests: 4xx with a JSON error, never 5xx", () => {
  // The key test above revoked the key that signed the admin's token: sign in again.
  before(async () => { admin = await signIn(server, admin.username, admin.password); });
  const cases: Array<[string, string, { json?: unknown; body?: string; headers?: Record<string, string> }]> = [
    ["PATCH", "/admin/users/plain-user", { json: {} }],
    ["PATCH", "/admin/users/plain-user", { json: { disabled: "yes" } }],
    ["PATCH", "/admin/users/plain-user", { json: { roles: "admin" } }],
    ["PUT", "/admin/users/plain-user/roles", { json: { roles: [1, 2] } }],
    ["PUT", "/admin/users/plain-user/roles", { json: { roles: Array.from({ length: 40 }, (_, i) => `r${i}`) } }],
    ["PUT", "/admin/users/plain-user/roles", { json: [] }],
    ["POST", "/admin/users", { json: { username: ["a"] } }],
    ["POST", "/admin/users", { json: { username: "ok-name", email: 5 } }],
    ["POST", "/admin/users", { body: "{not json", headers: { "content-type": "application/json" } }],
    ["POST", "/admin/users", { body: "username=x", headers: { "content-type": "text/plain" } }],
    ["POST", "/admin/clients", { json: { name: "x", grant_types: ["implicit"] } }],
    ["POST", "/admin/clients", { json: { name: "", client_id: "no spaces allowed" } }],
    ["POST", "/admin/clients", { json: { name: "x".repeat(101) } }],
    ["GET", `/admin/users/${"x".repeat(300)}`, {}],
    ["GET", "/admin/sessions?user=", {}],
    ["GET", "/admin/audit?from=1e999", {}],
    ["GET", "/admin/audit?to=2026-13-45T99:99:99Z", {}],
    ["GET", "/admin/audit?cursor=" + "A".repeat(600), {}],
    ["DELETE", `/admin/sessions/${"s".repeat(100)}`, {}],
    ["POST", "/admin/keys/%00/revoke", {}],
  ];
  for (const [method, path, options] of cases) {
    test(`${method} ${path.slice(0, 60)} ${JSON.stringify(options.json ?? options.body ?? "").slice(0, 40)}`, async () => {
      const res = await server.request<Body>(method, path, { token: admin.access_token, ...options });
      assert.ok(res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403, `${res.status} ${res.text}`);
      assert.equal(typeof res.body.error, "string");
    });
  }

  test("the server is healthy afterwards and the plain user unchanged", async () => {
    assert.equal((await server.request("GET", "/healthz")).status, 200);
    const user = await server.request<Body>("GET", "/admin/users/plain-user", { token: admin.access_token });
    assert.deepEqual(user.body.roles, ["user"]);
    assert.equal(user.body.disabled, false);
  });
});
