// tessera/client asks for scopes and an API (RFC 8707 resource) per sign-in,
// by default for every sign-in (ClientOptions), and narrows per refresh; what
// was granted is in session.scope and session.claims.aud. Real server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TesseraError } from "../../packages/client/src/index.js";
import { useTessera } from "./setup.js";

const ORDERS = "https://orders.example";
const tessera = useTessera();

let registered: Promise<unknown> | undefined;
/** The API, registered once on the file's server (which starts in useTessera's hook). */
const orders = () => (registered ??= tessera.server().tessera.parts.admin.apis.create({ identifier: ORDERS, scopes: ["orders:read", "orders:write"], grants: { "orders:read": ["user"], "orders:write": ["admin"] } }, { id: "test" }));

test("signIn asks for the API and scopes; the session says what was granted (read, not write)", async (t) => {
  await orders();
  const { client, net, account } = tessera.setup(t);
  const { username, password } = await account();
  const session = await client.signIn(username, password, { resource: ORDERS, scope: ["orders:read", "orders:write"] });
  assert.equal(session.scope, "orders:read");
  assert.equal(session.claims?.aud, ORDERS);
  const sent = net.calls.find((c) => c.path === "/oauth/token")!;
  assert.equal(sent.form.resource, ORDERS);
  assert.equal(sent.form.scope, "orders:read orders:write");
});

test("ClientOptions.scope and resource apply to every sign-in, and the quiet refresh keeps the API", async (t) => {
  await orders();
  const { client, net, signIn } = tessera.setup(t, { resource: ORDERS, scope: "orders:read" });
  const session = await signIn();
  assert.equal(session.claims?.aud, ORDERS);
  const renewed = await client.refresh();
  assert.equal(renewed.claims?.aud, ORDERS);
  assert.equal(renewed.scope, "orders:read");
  const refreshCall = net.calls.filter((c) => c.path === "/oauth/token")[1]!;
  assert.equal(refreshCall.form.scope, undefined, "a quiet refresh keeps what the session holds");
});

test("refresh({ scope }) narrows; a wider scope is refused and the session survives", async (t) => {
  await orders();
  const { client, account } = tessera.setup(t);
  const { username, password } = await account();
  await tessera.server().tessera.parts.admin.users.setRoles(username, ["user", "admin"], { id: "test" });
  const session = await client.signIn(username, password, { resource: ORDERS });
  assert.equal(session.scope, "orders:read orders:write");
  const narrowed = await client.refresh({ scope: "orders:read" });
  assert.equal(narrowed.scope, "orders:read");
  assert.equal(narrowed.claims?.scope, "orders:read");
  await assert.rejects(client.refresh({ scope: "orders:read orders:delete" }), (e: unknown) => e instanceof TesseraError && e.code === "invalid_scope");
  assert.ok((await client.getSession())?.refreshToken, "a refused narrowing does not sign out");
  assert.equal((await client.refresh()).scope, "orders:read orders:write", "the session still holds what it was granted");
});

test("an unknown API is invalid_target, and nothing is signed in", async (t) => {
  await orders();
  const { client, account, events } = tessera.setup(t);
  const { username, password } = await account();
  await assert.rejects(client.signIn(username, password, { resource: "https://nope.example" }), (e: unknown) => e instanceof TesseraError && e.code === "invalid_target" && e.status === 400);
  assert.equal(await client.getSession(), null);
  assert.deepEqual(events, []);
});
