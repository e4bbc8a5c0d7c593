// Clients can be disabled, enabled, removed and given a new secret, through
// the admin API (and the CLI, which calls the same core), each audited; a
// disabled or removed client cannot authenticate and Tessera refuses its
// tokens at once; the built-in clients cannot be touched.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { signInAdmin } from "../helpers/admin.js";
import { startTestServer, type SignedIn, type TestServer } from "../helpers/server.js";

let server: TestServer;
let admin: SignedIn;
before(async () => {
  server = await startTestServer();
  admin = await signInAdmin(server);
});
after(() => server.close());

const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}` });
const adminCall = (method: string, path: string, json?: unknown) => server.request<Record<string, string>>(method, path, { token: admin.access_token, ...(json === undefined ? {} : { json }) });
const serviceToken = (id: string, secret: string) => server.request<{ access_token: string; error?: string }>("POST", "/oauth/token", { form: { grant_type: "client_credentials" }, headers: basic(id, secret) });

test("disable refuses the client and its tokens at once; enable restores it", async () => {
  const { client_id, client_secret } = (await adminCall("POST", "/admin/clients", { name: "svc" })).body as { client_id: string; client_secret: string };
  const checker = (await adminCall("POST", "/admin/clients", { name: "checker" })).body as { client_id: string; client_secret: string };
  const issued = await serviceToken(client_id, client_secret);
  assert.equal(issued.status, 200);
  const disabled = await adminCall("POST", `/admin/clients/${client_id}/disable`);
  assert.equal(disabled.status, 200, disabled.text);
  assert.equal((disabled.body as unknown as { disabled: boolean }).disabled, true);
  const refused = await serviceToken(client_id, client_secret);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error, "invalid_client");
  const introspected = await server.request<{ active: boolean }>("POST", "/oauth/introspect", { form: { token: issued.body.access_token }, headers: basic(checker.client_id, checker.client_secret) });
  assert.equal(introspected.body.active, false, "its tokens are no longer active");
  assert.equal((await adminCall("POST", `/admin/clients/${client_id}/enable`)).status, 200);
  assert.equal((await serviceToken(client_id, client_secret)).status, 200);
});

test("a user's tokens of a disabled first-party client are refused by Tessera's routes, and its refresh token too", async () => {
  const app = (await adminCall("POST", "/admin/clients", { name: "mobile", public: true, first_party: true, grant_types: ["password", "refresh_token"] })).body as { client_id: string };
  const user = await server.signUpAndSignIn(undefined, undefined, { client_id: app.client_id });
  assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 200);
  await adminCall("POST", `/admin/clients/${app.client_id}/disable`);
  assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 401);
  const refresh = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token, client_id: app.client_id } });
  assert.equal(refresh.body.error, "invalid_client");
});

test("rotate-secret: the new secret works, the old one does not; a public client has none", async () => {
  const { client_id, client_secret } = (await adminCall("POST", "/admin/clients", { name: "rotating" })).body as { client_id: string; client_secret: string };
  const rotated = await adminCall("POST", `/admin/clients/${client_id}/secret`);
  assert.equal(rotated.status, 201);
  assert.match(rotated.body.client_secret!, /^tss_/);
  assert.equal(rotated.headers.get("cache-control"), "no-store");
  assert.equal((await serviceToken(client_id, client_secret)).status, 401);
  assert.equal((await serviceToken(client_id, rotated.body.client_secret!)).status, 200);
  const pub = (await adminCall("POST", "/admin/clients", { name: "pub", public: true, grant_types: ["refresh_token"] })).body as { client_id: string };
  assert.equal((await adminCall("POST", `/admin/clients/${pub.client_id}/secret`)).status, 400);
});

test("remove: the client is gone (404 after); built-ins are refused; every act is audited", async () => {
  const { client_id, client_secret } = (await adminCall("POST", "/admin/clients", { name: "gone" })).body as { client_id: string; client_secret: string };
  assert.equal((await adminCall("DELETE", `/admin/clients/${client_id}`)).status, 204);
  assert.equal((await serviceToken(client_id, client_secret)).status, 401);
  assert.equal((await adminCall("DELETE", `/admin/clients/${client_id}`)).status, 404);
  for (const [method, path] of [["DELETE", "/admin/clients/tessera-web"], ["POST", "/admin/clients/tessera-web/disable"], ["POST", "/admin/clients/tessera-demo/secret"]] as const) {
    const res = await adminCall(method, path);
    assert.equal(res.status, 403, path);
    assert.equal(res.body.error, "forbidden");
  }
  const audit = await server.request<{ events: Array<{ detail: { action: string } }> }>("GET", "/admin/audit?type=admin_action&limit=500", { token: admin.access_token });
  const actions = new Set(audit.body.events.map((e) => e.detail.action));
  for (const a of ["client.disable", "client.enable", "client.remove", "client.rotate_secret"]) assert.ok(actions.has(a), a);
  assert.ok(audit.body.events.every((e) => !JSON.stringify(e).includes("tss_")), "no secret in the audit log");
});

test("a non-admin may not", async () => {
  const user = await server.signUpAndSignIn();
  assert.equal((await server.request("POST", "/admin/clients/tessera-web/disable", { token: user.access_token })).status, 403);
});
