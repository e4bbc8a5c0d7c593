// Storage, sign-out, tabs, cookie mode and URL handling of tessera/client,
// against the fake server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeJwt, TesseraError, type TokenStorage } from "../../src/client/index.js";
import { setup } from "./setup.js";

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

test("an async custom store keeps the session across clients and restores it", async (t) => {
  const storage = slowStorage();
  const { client, make } = setup(t, {}, { storage, crossTab: false });
  const signedIn = await client.signIn("ada", "correct horse");
  const [key, raw] = [...storage.items][0] ?? [];
  assert.equal(key, "test:an async custom store keeps the session across clients and restores it");
  const stored = JSON.parse(raw as string) as Record<string, unknown>;
  assert.equal(stored.refreshToken, signedIn.refreshToken);
  assert.equal(stored.claims, undefined, "claims are derived, not stored");

  const later = make({ storage, crossTab: false });
  const restored = new Promise((resolve) => later.onAuthChange(resolve));
  assert.deepEqual(await restored, { type: "SIGNED_IN", reason: "restored", session: signedIn });
  assert.equal((await later.fetch("/userinfo")).status, 200);
});

test("a corrupt stored value counts as signed out", async (t) => {
  const storage = slowStorage();
  storage.items.set("k", "{not json");
  const { client } = setup(t, {}, { storage, storageKey: "k", crossTab: false });
  assert.equal(await client.getSession(), null);
});

test("signOut clears the store, reports SIGNED_OUT and revokes the refresh token", async (t) => {
  const storage = slowStorage();
  const { fake, client, types } = setup(t, {}, { storage, crossTab: false, clientId: "tessera-demo" });
  const { refreshToken } = await client.signIn("ada", "correct horse");
  await client.signOut();
  assert.equal(storage.items.size, 0);
  assert.deepEqual(types(), ["SIGNED_IN:password", "SIGNED_OUT:sign_out"]);
  const revoke = fake.calls.find((c) => c.path === "/oauth/revoke");
  assert.deepEqual(revoke?.body, { token: refreshToken, token_type_hint: "refresh_token", client_id: "tessera-demo" });
  assert.equal(fake.calls[0]?.body.client_id, "tessera-demo");
});

test("signOutEverywhere ends every session, then signs out here", async (t) => {
  const { fake, client, types } = setup(t);
  await client.signIn("ada", "correct horse");
  await client.signOutEverywhere();
  const call = fake.calls.find((c) => c.path === "/auth/logout-all");
  assert.match(call?.authorization ?? "", /^Bearer ey/);
  assert.deepEqual(types(), ["SIGNED_IN:password", "SIGNED_OUT:everywhere"]);
});

test("two tabs without Web Locks: sign-in, one shared refresh, sign-out all travel", async (t) => {
  const { fake, client, make, types, advance } = setup(t, { ttl: 60 });
  const other = make();
  const seen: string[] = [];
  other.onAuthChange((e) => seen.push(`${e.type}:${e.reason}`));
  const signedIn = await client.signIn("ada", "correct horse");
  await waitFor(() => seen.length === 1);
  assert.equal((await other.getSession())?.refreshToken, signedIn.refreshToken);

  advance(120); // both tabs hold an expired token and call at the same instant
  const [a, b] = await Promise.all([client.fetch("/userinfo"), other.fetch("/userinfo")]);
  assert.deepEqual([a.status, b.status], [200, 200]);
  assert.equal(fake.count("/oauth/token", "refresh_token"), 1, "one rotation for both tabs");
  assert.equal((await client.getSession())?.refreshToken, (await other.getSession())?.refreshToken);

  await other.signOut();
  await waitFor(() => types().length === 3);
  assert.equal(types()[2], "SIGNED_OUT:other_tab");
  assert.equal(await client.getSession(), null);
  assert.deepEqual(seen.slice(0, 1), ["SIGNED_IN:other_tab"]);
});

test("cookie mode: credentials included, CSRF header on unsafe methods only, 401 ends the session", async (t) => {
  const { fake, client, types } = setup(t, {}, { mode: "cookie" });
  const session = await client.signIn("ada", "correct horse");
  assert.deepEqual(session, { csrfToken: "csrf-1" });
  const login = fake.calls[0];
  assert.equal(login?.path, "/session/login");
  assert.deepEqual(login?.body, { username: "ada", password: "correct horse" });
  assert.equal(login?.credentials, "include");

  await client.changePassword("correct horse", "new horse battery");
  await client.fetch("/userinfo").catch(() => undefined);
  const [post, get] = fake.calls.slice(1);
  assert.deepEqual([post?.csrf, post?.credentials, post?.authorization], ["csrf-1", "include", null]);
  assert.deepEqual([get?.csrf, get?.credentials], [null, "include"]);
  assert.deepEqual(types(), ["SIGNED_IN:password", "SESSION_EXPIRED:invalid_session"]);
  assert.equal(await client.getAccessToken(), null);
});

test("cookie mode: signOut posts /session/logout with the CSRF token", async (t) => {
  const { fake, client, types } = setup(t, {}, { mode: "cookie" });
  await client.signIn("ada", "correct horse");
  await client.signOut();
  const logout = fake.calls.at(-1);
  assert.deepEqual([logout?.path, logout?.csrf, logout?.credentials], ["/session/logout", "csrf-1", "include"]);
  assert.deepEqual(types(), ["SIGNED_IN:password", "SIGNED_OUT:sign_out"]);
});

test("paths resolve under baseUrl's own path; absolute URLs pass through", async (t) => {
  const { fake, client } = setup(t);
  await client.signIn("ada", "correct horse");
  await client.fetch("userinfo");
  await client.fetch("http://api.example/orders");
  assert.deepEqual(fake.calls.map((c) => c.path), ["/oauth/token", "/userinfo", "/orders"]);
});

test("server errors surface as TesseraError with the server's code", async (t) => {
  const { client } = setup(t);
  await assert.rejects(client.signIn("ada", "wrong"), (e: unknown) => {
    assert.ok(e instanceof TesseraError);
    assert.deepEqual([e.code, e.status, e.message], ["invalid_grant", 400, "bad credentials"]);
    return true;
  });
});

test("decodeJwt reads UTF-8 claims and refuses what is not a JWT", () => {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const token = `${part({ alg: "ES256" })}.${part({ name: "Zoë 🦊", exp: 1 })}.sig`;
  assert.deepEqual(decodeJwt(token), { header: { alg: "ES256" }, claims: { name: "Zoë 🦊", exp: 1 } });
  for (const bad of ["", "opaque_token", "a.b.c", `${part({})}.${part(42)}.x`]) assert.equal(decodeJwt(bad), null, bad);
});

async function waitFor(ok: () => boolean, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test("a store that fails to read counts as signed out, and sign-in still works", async (t) => {
  const storage: TokenStorage = {
    getItem: () => Promise.reject(new Error("keychain locked")),
    setItem: () => undefined,
    removeItem: () => undefined,
  };
  const { client } = setup(t, {}, { storage, crossTab: false });
  assert.equal(await client.getSession(), null);
  assert.ok((await client.signIn("ada", "correct horse")).accessToken);
});
