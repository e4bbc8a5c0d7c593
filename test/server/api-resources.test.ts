// APIs as resources (RFC 8707): an operator registers an API with its scopes
// and the roles that grant them; a token request names it with `resource` and
// gets that audience and only the scopes the user's roles (or the client's
// registration) grant. Scopes are permissions: a `user` must not get
// `orders:write` by asking for it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { signIn, signInAdmin } from "../helpers/admin.js";
import { startTestServer, type SignedIn, type TestServer } from "../helpers/server.js";

const ORDERS = "https://orders.example";
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { aud: string; scope: string; sid?: string; roles: string[] };
const path = (id: string) => `/admin/apis/${encodeURIComponent(id)}`;

let server: TestServer;
let admin: SignedIn;
let alice: SignedIn;

before(async () => {
  server = await startTestServer();
  admin = await signInAdmin(server);
  alice = await server.signUpAndSignIn("alice", "a long pass phrase");
  const res = await server.request("POST", "/admin/apis", { token: admin.access_token, json: { identifier: ORDERS, name: "Orders", scopes: ["orders:read", "orders:write"], grants: { "orders:read": ["user"], "orders:write": ["admin"] } } });
  assert.equal(res.status, 201, res.text);
});
after(() => server.close());

type Token = { access_token: string; refresh_token?: string; scope: string; error?: string; error_description?: string };
const token = (form: Record<string, string>, headers?: Record<string, string>) => server.request<Token>("POST", "/oauth/token", { form, ...(headers ? { headers } : {}) });
const password = (who: SignedIn, extra: Record<string, string> = {}) => token({ grant_type: "password", username: who.username, password: who.password, ...extra });

describe("the admin API", () => {
  test("registers, shows, lists, changes and removes an API, each audited", async () => {
    const id = "https://billing.example/api";
    const created = await server.request<{ identifier: string; scopes: string[]; grants: Record<string, string[]> }>("POST", "/admin/apis", { token: admin.access_token, json: { identifier: id, scopes: ["billing:read"], grants: { "billing:read": ["user"] } } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.identifier, id, "kept exactly as written: `aud` is compared as a string");
    assert.deepEqual((await server.request<{ scopes: string[] }>("GET", path(id), { token: admin.access_token })).body.scopes, ["billing:read"]);
    const listed = await server.request<{ apis: Array<{ identifier: string }> }>("GET", "/admin/apis", { token: admin.access_token });
    assert.deepEqual(listed.body.apis.map((a) => a.identifier).sort(), [id, ORDERS].sort());
    const changed = await server.request<{ scopes: string[]; grants: Record<string, string[]> }>("PATCH", path(id), { token: admin.access_token, json: { scopes: ["billing:read", "billing:pay"], grants: { "billing:pay": ["admin"] } } });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.body.grants, { "billing:pay": ["admin"] }, "named grants replace the old ones");
    const dropped = await server.request<{ grants: Record<string, string[]> }>("PATCH", path(id), { token: admin.access_token, json: { scopes: ["billing:read"] } });
    assert.deepEqual(dropped.body.grants, {}, "a scope removed takes its grants with it");
    assert.equal((await server.request("DELETE", path(id), { token: admin.access_token })).status, 204);
    assert.equal((await server.request("GET", path(id), { token: admin.access_token })).status, 404);
    assert.equal((await server.request("DELETE", path(id), { token: admin.access_token })).status, 404);
    const audit = await server.request<{ events: Array<{ detail: { action: string; target: string } }> }>("GET", "/admin/audit?type=admin_action", { token: admin.access_token });
    const actions = audit.body.events.filter((e) => e.detail.target === id).map((e) => e.detail.action);
    assert.deepEqual(actions.sort(), ["api.create", "api.remove", "api.update", "api.update"]);
  });

  test("refuses bad input with 400 naming the field, a second registration with 409, a non-admin with 403", async () => {
    const bad = async (json: unknown) => {
      const res = await server.request<{ error: string; error_description: string }>("POST", "/admin/apis", { token: admin.access_token, json });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error, "invalid_request");
      return res.body.error_description;
    };
    assert.match(await bad({ identifier: "orders", scopes: ["a"] }), /identifier: must be an absolute URI/);
    assert.match(await bad({ identifier: "https://x.example/#frag", scopes: ["a"] }), /identifier: .*fragment/);
    assert.match(await bad({ identifier: server.tessera.config.audience, scopes: ["a"] }), /Tessera's own audience/);
    assert.match(await bad({ identifier: "https://x.example", scopes: ["has space"] }), /scopes: /);
    assert.match(await bad({ identifier: "https://x.example", scopes: ["a"], grants: { b: ["user"] } }), /grants: "b" is not one of the API's scopes/);
    assert.match(await bad({ identifier: "https://x.example", scopes: ["a"], grants: { a: ["Not A Role"] } }), /roles: /);
    assert.equal((await server.request("GET", "/admin/apis", { token: admin.access_token })).body !== undefined, true);
    const again = await server.request<{ error: string }>("POST", "/admin/apis", { token: admin.access_token, json: { identifier: ORDERS, scopes: ["x"] } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error, "api_exists");
    const asUser = await server.request<{ error: string }>("POST", "/admin/apis", { token: alice.access_token, json: { identifier: "https://y.example", scopes: ["y"] } });
    assert.equal(asUser.status, 403);
    assert.equal((await server.request("GET", path("https://x.example"), { token: admin.access_token })).status, 404, "nothing half-written");
  });

  test("30 registrations of one identifier at once: exactly one is created", async () => {
    const id = "https://race.example";
    const answers = await Promise.all(Array.from({ length: 30 }, () => server.request("POST", "/admin/apis", { token: admin.access_token, json: { identifier: id, scopes: ["r"] } })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, ...Array<number>(29).fill(409)]);
  });
});

describe("the password grant with resource", () => {
  test("a user asking for read and write gets read only; the token's aud is the API", async () => {
    const res = await password(alice, { resource: ORDERS, scope: "orders:read orders:write" });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.scope, "orders:read", "a scope the roles do not grant is left out, and the answer says so");
    const claims = claimsOf(res.body.access_token);
    assert.equal(claims.aud, ORDERS);
    assert.equal(claims.scope, "orders:read");
  });

  test("without scope, every scope the roles grant; an admin (roles user and admin) gets both", async () => {
    assert.equal((await password(alice, { resource: ORDERS })).body.scope, "orders:read");
    assert.equal((await password(admin, { resource: ORDERS })).body.scope, "orders:read orders:write");
  });

  test("an unknown or malformed resource is 400 invalid_target; a scope the API does not define is invalid_scope", async () => {
    for (const resource of ["https://unknown.example", "not a uri", ""]) {
      const res = await password(alice, { resource });
      assert.equal(res.status, 400, `${resource}: ${res.text}`);
      assert.equal(res.body.error, "invalid_target", resource);
    }
    const res = await password(alice, { resource: ORDERS, scope: "orders:read openid" });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "invalid_scope");
    assert.match(res.body.error_description!, /openid is not defined by the API https:\/\/orders\.example/);
  });

  test("without resource, today's behaviour: Tessera's own audience and scopes", async () => {
    const res = await password(alice);
    assert.equal(claimsOf(res.body.access_token).aud, server.tessera.config.audience);
    assert.equal(res.body.scope, "openid profile email");
    assert.equal((await password(alice, { scope: "orders:read" })).body.error, "invalid_scope", "API scopes are not the server's");
  });

  test("Tessera's own routes refuse a token for an API (its audience is not Tessera's)", async () => {
    const res = await password(alice, { resource: ORDERS });
    const me = await server.request("GET", "/userinfo", { token: res.body.access_token });
    assert.equal(me.status, 401);
    assert.match(me.headers.get("www-authenticate")!, /invalid_token/);
  });

  test("revocation and introspection take the tokens issued for an API", async () => {
    const { client_id, client_secret } = (await server.request<{ client_id: string; client_secret: string }>("POST", "/admin/clients", { token: admin.access_token, json: { name: "introspector" } })).body;
    const res = await password(alice, { resource: ORDERS });
    const basic = `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString("base64")}`;
    const active = await server.request<{ active: boolean; aud: string; scope: string }>("POST", "/oauth/introspect", { form: { token: res.body.access_token }, headers: { authorization: basic } });
    assert.deepEqual([active.body.active, active.body.aud, active.body.scope], [true, ORDERS, "orders:read"]);
    assert.equal((await server.request("POST", "/oauth/revoke", { form: { token: res.body.access_token, client_id: "tessera-web" } })).status, 200);
    const after = await server.request<{ active: boolean }>("POST", "/oauth/introspect", { form: { token: res.body.access_token }, headers: { authorization: basic } });
    assert.equal(after.body.active, false, "revoking the API's access token ended its session");
  });
});

describe("the refresh grant keeps the session's API", () => {
  test("keeps aud and scope, may narrow, never widens; a refused refresh spends nothing", async () => {
    const first = await password(admin, { resource: ORDERS, scope: "orders:read" });
    const wider = await token({ grant_type: "refresh_token", refresh_token: first.body.refresh_token!, scope: "orders:read orders:write" });
    assert.equal(wider.status, 400);
    assert.equal(wider.body.error, "invalid_scope", "the admin's roles would grant write, but the session was granted read only");
    const other = await token({ grant_type: "refresh_token", refresh_token: first.body.refresh_token!, resource: "https://race.example" });
    assert.equal(other.status, 400);
    assert.equal(other.body.error, "invalid_target", "no switching to another API");
    const own = await token({ grant_type: "refresh_token", refresh_token: first.body.refresh_token!, resource: server.tessera.config.audience });
    assert.equal(own.body.error, "invalid_target", "nor to Tessera's own audience");
    const same = await token({ grant_type: "refresh_token", refresh_token: first.body.refresh_token!, resource: ORDERS });
    assert.equal(same.status, 200, `the refused requests left the token unspent: ${same.text}`);
    assert.equal(claimsOf(same.body.access_token).aud, ORDERS);
    const plain = await token({ grant_type: "refresh_token", refresh_token: same.body.refresh_token! });
    assert.equal(claimsOf(plain.body.access_token).aud, ORDERS, "without resource, the session's API");
    assert.equal(plain.body.scope, "orders:read");
  });

  test("a role taken away takes its scopes away at the next refresh", async () => {
    const bob = await server.signUpAndSignIn("bob", "another pass phrase");
    await server.tessera.parts.admin.users.setRoles(bob.userId, ["user", "admin"], { id: "test" });
    const first = await password(bob, { resource: ORDERS });
    assert.equal(first.body.scope, "orders:read orders:write");
    await server.tessera.parts.admin.users.setRoles(bob.userId, ["user"], { id: "test" });
    const next = await token({ grant_type: "refresh_token", refresh_token: first.body.refresh_token! });
    assert.equal(next.status, 200);
    assert.equal(next.body.scope, "orders:read");
    assert.equal(claimsOf(next.body.access_token).scope, "orders:read");
  });

  test("a session of a removed API cannot refresh (invalid_target)", async () => {
    const id = "https://gone.example";
    await server.request("POST", "/admin/apis", { token: admin.access_token, json: { identifier: id, scopes: ["g"], grants: { g: ["user"] } } });
    const first = await password(alice, { resource: id });
    assert.equal(first.body.scope, "g");
    await server.request("DELETE", path(id), { token: admin.access_token });
    const next = await token({ grant_type: "refresh_token", refresh_token: first.body.refresh_token! });
    assert.equal(next.body.error, "invalid_target");
  });

  test("30 refreshes of one token at once with resource: one rotation, the rest the grace answer or refused, never two chains", async () => {
    const first = await password(alice, { resource: ORDERS });
    const answers = await Promise.all(Array.from({ length: 30 }, () => token({ grant_type: "refresh_token", refresh_token: first.body.refresh_token!, resource: ORDERS })));
    const issued = new Set(answers.filter((a) => a.status === 200).map((a) => a.body.refresh_token));
    assert.equal(issued.size, 1, "every success carries the same successor");
    for (const a of answers.filter((x) => x.status === 200)) assert.equal(claimsOf(a.body.access_token).aud, ORDERS);
  });
});

describe("client credentials with resource", () => {
  let reader: { client_id: string; client_secret: string };
  let stranger: { client_id: string; client_secret: string };
  const basic = (c: { client_id: string; client_secret: string }) => ({ authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString("base64")}` });

  before(async () => {
    const add = async (json: unknown) => (await server.request<{ client_id: string; client_secret: string }>("POST", "/admin/clients", { token: admin.access_token, json })).body;
    reader = await add({ name: "order reader", scopes: ["orders:read"] });
    stranger = await add({ name: "stranger" });
  });

  test("the client's registration says what it gets", async () => {
    const res = await token({ grant_type: "client_credentials", resource: ORDERS }, basic(reader));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.scope, "orders:read");
    assert.equal(claimsOf(res.body.access_token).aud, ORDERS);
    const asked = await token({ grant_type: "client_credentials", resource: ORDERS, scope: "orders:read orders:write" }, basic(reader));
    assert.equal(asked.body.scope, "orders:read", "narrowed to the registration");
  });

  test("a client registered for no scope of the API gets no token for it; unknown resource and scope refused", async () => {
    const res = await token({ grant_type: "client_credentials", resource: ORDERS }, basic(stranger));
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "invalid_target");
    assert.equal((await token({ grant_type: "client_credentials", resource: "https://nope.example" }, basic(reader))).body.error, "invalid_target");
    assert.equal((await token({ grant_type: "client_credentials", resource: ORDERS, scope: "orders:delete" }, basic(reader))).body.error, "invalid_scope");
  });

  test("registering a client for a scope no API nor the server defines is refused", async () => {
    const res = await server.request<{ error_description: string }>("POST", "/admin/clients", { token: admin.access_token, json: { name: "x", scopes: ["invoices:read"] } });
    assert.equal(res.status, 400);
    assert.match(res.body.error_description, /unknown scope invoices:read/);
  });
});

test("signIn helper still works for users of the helpers", async () => {
  assert.equal((await signIn(server, alice.username, alice.password)).scope, "openid profile email");
});
