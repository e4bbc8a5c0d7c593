// Storage, sign-up, sign-out, tabs, URL handling and errors of tessera/client,
// against a real server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeJwt, TesseraError, type TokenStorage } from "../../packages/client/src/index.js";
import { PASSWORD, useTessera, waitFor } from "./setup.js";

const tessera = useTessera();

/** An async store, like mobile secure storage: every call takes a few ms. */
function slowStorage(): TokenStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  const later = <T>(fn: () => T) => new Promise<T>((resolve) => setTimeout(() => resolve(fn()), 3));
  return {
    items,
    getItem: (key) => later(() => items.get(key) ?? null),
    setItem: (key, value) => later(() => void items.set(key, value)),
    removeItem: (key) => later(() => void items.delete(key)),
  };
}

test("signUp creates the account without signing in; a taken name is username_taken", async (t) => {
  const { client, events } = tessera.setup(t);
  const username = `sdk${process.pid}signup`;
  const created = await client.signUp({ username, password: PASSWORD, email: "ada@example.com" });
  assert.equal(created.username, username);
  assert.ok(created.id && created.created_at);
  assert.deepEqual(events, []);
  await assert.rejects(client.signUp({ username, password: PASSWORD }), (e: unknown) => e instanceof TesseraError && e.code === "username_taken" && e.status === 409);
  assert.ok((await client.signIn(username, PASSWORD)).accessToken);
});

test("an async custom store keeps the session across clients and restores it", async (t) => {
  const storage = slowStorage();
  const { client, make, signIn } = tessera.setup(t, { storage, crossTab: false });
  const signedIn = await signIn();
  const [key, raw] = [...storage.items][0] ?? [];
  assert.equal(key, "test:an async custom store keeps the session across clients and restores it");
  const stored = JSON.parse(raw as string) as Record<string, unknown>;
  assert.equal(stored.refreshToken, signedIn.refreshToken);
  assert.equal(stored.claims, undefined, "claims are derived, not stored");

  const later = make({ storage, crossTab: false });
  const restored = new Promise((resolve) => later.onAuthChange(resolve));
  assert.deepEqual(await restored, { type: "SIGNED_IN", reason: "restored", session: signedIn });
  assert.equal((await later.fetch("/userinfo")).status, 200);
  assert.equal((await client.getUser()).auth, "bearer");
});

test("a corrupt stored value counts as signed out", async (t) => {
  const storage = slowStorage();
  storage.items.set("k", "{not json");
  const { client } = tessera.setup(t, { storage, storageKey: "k", crossTab: false });
  assert.equal(await client.getSession(), null);
});

test("a store that fails to read counts as signed out, and sign-in still works", async (t) => {
  const storage: TokenStorage = {
    getItem: () => Promise.reject(new Error("keychain locked")),
    setItem: () => undefined,
    removeItem: () => undefined,
  };
  const { client, signIn } = tessera.setup(t, { storage, crossTab: false });
  assert.equal(await client.getSession(), null);
  assert.ok((await signIn()).accessToken);
});

test("signOut clears the store, reports SIGNED_OUT and revokes the session on the server", async (t) => {
  const storage = slowStorage();
  const { server, net, client, types, signIn } = tessera.setup(t, { storage, crossTab: false, clientId: "tessera-demo" });
  const { refreshToken, accessToken } = await signIn();
  await client.signOut();
  assert.equal(storage.items.size, 0);
  assert.deepEqual(types(), ["SIGNED_IN:password", "SIGNED_OUT:sign_out"]);
  const revoke = net.calls.find((c) => c.path === "/oauth/revoke");
  assert.deepEqual(revoke?.form, { token: refreshToken, token_type_hint: "refresh_token", client_id: "tessera-demo" });
  assert.equal(revoke?.status, 200);
  assert.equal(net.calls[0]?.form.client_id, "tessera-demo");
  // The server ended the session: both of its tokens are dead.
  const refresh = await server.request<{ reason: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: String(refreshToken), client_id: "tessera-demo" } });
  assert.deepEqual([refresh.status, refresh.body.reason], [400, "revoked"]);
  assert.equal((await server.request("GET", "/userinfo", { token: accessToken })).status, 401);
});

test("signOut while the server is unreachable signs out here and rejects", async (t) => {
  const { net, client, types, signIn } = tessera.setup(t);
  await signIn();
  net.fault = () => {
    throw new TypeError("fetch failed");
  };
  await assert.rejects(client.signOut(), TypeError);
  assert.equal(await client.getSession(), null);
  assert.deepEqual(types(), ["SIGNED_IN:password", "SIGNED_OUT:sign_out"]);
});

test("signOutEverywhere ends every session of the user, then signs out here", async (t) => {
  const { server, net, client, types, signIn, account } = tessera.setup(t);
  await signIn();
  const { username, password } = await account();
  const elsewhere = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username, password } });
  await client.signOutEverywhere();
  const call = net.calls.find((c) => c.path === "/auth/logout-all");
  assert.match(call?.authorization ?? "", /^Bearer ey/);
  assert.equal(call?.status, 204);
  assert.deepEqual(types(), ["SIGNED_IN:password", "SIGNED_OUT:everywhere"]);
  assert.equal((await server.request("GET", "/userinfo", { token: elsewhere.body.access_token })).status, 401);
});

test("getSessions lists the live sessions; endSession ends one, and ending this one signs out", async (t) => {
  const { server, client, types, signIn, account } = tessera.setup(t);
  const { claims } = await signIn();
  const { username, password } = await account();
  const other = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username, password } });
  const sessions = await client.getSessions();
  assert.equal(sessions.length, 2);
  assert.equal(sessions.find((s) => s.current)?.id, claims?.sid);
  const elsewhere = sessions.find((s) => !s.current);
  await client.endSession(String(elsewhere?.id));
  assert.equal((await server.request("GET", "/userinfo", { token: other.body.access_token })).status, 401);
  assert.deepEqual(types(), ["SIGNED_IN:password"]);
  await client.endSession(String(claims?.sid));
  assert.deepEqual(types(), ["SIGNED_IN:password", "SIGNED_OUT:session_ended"]);
  assert.equal(await client.getSession(), null);
});

test("two tabs without Web Locks: sign-in, one shared refresh, sign-out all travel", async (t) => {
  const { net, client, make, types, advance, signIn } = tessera.setup(t, { clientId: "tessera-demo" });
  const other = make();
  const seen: string[] = [];
  other.onAuthChange((e) => seen.push(`${e.type}:${e.reason}`));
  const signedIn = await signIn();
  await waitFor(() => seen.length === 1);
  assert.equal((await other.getSession())?.refreshToken, signedIn.refreshToken);

  advance(25); // both tabs hold an expired token and call at the same instant
  const [a, b] = await Promise.all([client.fetch("/userinfo"), other.fetch("/userinfo")]);
  assert.deepEqual([a.status, b.status], [200, 200]);
  assert.equal(net.count("/oauth/token", "refresh_token"), 1, "one rotation for both tabs");
  assert.equal((await client.getSession())?.refreshToken, (await other.getSession())?.refreshToken);

  await other.signOut();
  await waitFor(() => types().length === 3);
  assert.equal(types()[2], "SIGNED_OUT:other_tab");
  assert.equal(await client.getSession(), null);
  assert.deepEqual(seen.slice(0, 1), ["SIGNED_IN:other_tab"]);
});

test("a refused refresh in one tab signs the other out too, with SESSION_EXPIRED", async (t) => {
  const { server, client, make, advance, signIn } = tessera.setup(t, { clientId: "tessera-demo" });
  const other = make();
  const seen: string[] = [];
  other.onAuthChange((e) => seen.push(`${e.type}:${e.reason}`));
  const { refreshToken } = await signIn();
  await waitFor(() => seen.length === 1);
  await server.request("POST", "/oauth/revoke", { form: { token: String(refreshToken), client_id: "tessera-demo" } });
  advance(25);
  await assert.rejects(client.fetch("/userinfo"), (e: unknown) => e instanceof TesseraError && e.code === "session_expired" && e.reason === "revoked");
  await waitFor(() => seen.length === 2);
  assert.deepEqual(seen, ["SIGNED_IN:other_tab", "SESSION_EXPIRED:other_tab"]);
  assert.equal(await other.getSession(), null);
});

test("paths resolve against baseUrl, whose own path is kept; absolute URLs pass through", async (t) => {
  const { server, net, client, make, signIn } = tessera.setup(t, { baseUrl: `${tessera.server().url}//` });
  await signIn();
  assert.equal((await client.fetch("userinfo")).status, 200);
  assert.equal((await client.fetch(`${server.url}/healthz`)).status, 200);
  assert.deepEqual(net.calls.map((c) => c.url.slice(server.url.length)), ["/oauth/token", "/userinfo", "/healthz"]);

  // A server mounted under a prefix: the client keeps it (this one is not, so it answers 404).
  const prefixed = make({ baseUrl: `${server.url}/auth/` });
  await assert.rejects(prefixed.signIn("ada", PASSWORD), (e: unknown) => e instanceof TesseraError && e.code === "not_found" && e.status === 404);
  assert.equal(net.calls.at(-1)?.url, `${server.url}/auth/oauth/token`);
});

test("server errors surface as TesseraError with the server's code, status and message", async (t) => {
  const { client, account } = tessera.setup(t);
  const { username } = await account();
  await assert.rejects(client.signIn(username, "not the password"), (e: unknown) => {
    assert.ok(e instanceof TesseraError);
    assert.deepEqual([e.code, e.status, e.message], ["invalid_grant", 400, "The username or password is incorrect."]);
    return true;
  });
});

test("decodeJwt reads UTF-8 claims and refuses what is not a JWT", () => {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const token = `${part({ alg: "ES256" })}.${part({ name: "Zoë 🦊", exp: 1 })}.sig`;
  assert.deepEqual(decodeJwt(token), { header: { alg: "ES256" }, claims: { name: "Zoë 🦊", exp: 1 } });
  for (const bad of ["", "opaque_token", "a.b.c", `${part({})}.${part(42)}.x`]) assert.equal(decodeJwt(bad), null, bad);
});
