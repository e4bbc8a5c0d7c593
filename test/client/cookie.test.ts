// Cookie mode of tessera/client against a real server, in Node. Node's fetch
// keeps no cookies and sends no Origin, so the client is given a fetch that
// plays the browser's part (a cookie jar, the page's Origin: see setup.ts);
// the browser suite runs the same mode in Chromium. Also the combined ("BFF")
// mode: a cookie-mode client calling a real API through /bff.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { TesseraError } from "../../packages/client/src/index.js";
import { useTessera } from "./setup.js";

// A stand-in API behind /bff: answers with what it received, or refuses when asked to.
// It binds first (port 0), before the server that forwards to it is configured.
const received: { method: string; url: string; authorization: string; body: string }[] = [];
const api: Server = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk: Buffer) => (body += chunk.toString()));
  req.on("end", () => {
    received.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization ?? "", body });
    if (req.url === "/refuse") res.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"' }).end();
    else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
  });
});
await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
const apiPort = (api.address() as AddressInfo).port;
after(() => new Promise((resolve) => api.close(resolve)));

const tessera = useTessera({ bffUpstream: `http://127.0.0.1:${apiPort}` });

const SESSION = "__Host-tessera_session";
const CSRF = "__Host-tessera_csrf";

test("signIn posts /session/login and keeps the CSRF token; the session is an HttpOnly cookie", async (t) => {
  const { net, client, jar, types, signIn, account } = tessera.setup(t, { mode: "cookie", browserLike: true });
  const session = await signIn();
  assert.deepEqual(Object.keys(session), ["mode", "csrfToken"], "no token in the client's hands");
  assert.equal(session.csrfToken, jar.get(CSRF), "the token the server set in the readable cookie");
  assert.ok(jar.get(SESSION), "the session cookie was set");
  const { username, password } = await account();
  const login = net.calls[0];
  assert.deepEqual([login?.path, login?.credentials, login?.status], ["/session/login", "include", 200]);
  assert.deepEqual(login?.form, { username, password });
  assert.equal(await client.getAccessToken(), null);
  assert.deepEqual(types(), ["SIGNED_IN:password"]);

  const user = await client.getUser();
  assert.equal(user.auth, "cookie");
  assert.equal(user.username, username);
  assert.equal((await client.refresh()).csrfToken, session.csrfToken, "nothing to refresh: the cookie slides");
  assert.equal(net.count("/oauth/token"), 0);
});

test("unsafe requests carry X-CSRF-Token (which the server requires), safe ones do not; never a Bearer header", async (t) => {
  const { server, net, client, jar, signIn, account } = tessera.setup(t, { mode: "cookie", browserLike: true });
  const { csrfToken } = await signIn();
  const sessions = await client.getSessions();
  assert.deepEqual(sessions.map((s) => [s.kind, s.current]), [["cookie", true]]);
  await client.changePassword((await account()).password, "another long passphrase");
  const [get, post] = net.calls.slice(1);
  assert.deepEqual([get?.method, get?.csrf, get?.credentials, get?.authorization], ["GET", null, "include", null]);
  assert.deepEqual([post?.method, post?.csrf, post?.credentials, post?.authorization, post?.status], ["POST", csrfToken, "include", null, 204]);

  // Without the header the server refuses the same request: the SDK's header is what lets it through.
  const cookie = `${SESSION}=${jar.get(SESSION)}`;
  const origin = new URL(server.issuer).origin;
  const bare = await server.request("POST", "/auth/logout", { headers: { cookie, origin } });
  assert.equal(bare.status, 403);
  assert.equal((bare.body as { error: string }).error, "csrf_failed");
});

test("a session ended elsewhere makes the next call raise SESSION_EXPIRED (invalid_session)", async (t) => {
  const { server, client, types, signIn, account } = tessera.setup(t, { mode: "cookie", browserLike: true });
  await signIn();
  const [current] = await client.getSessions();
  const { username, password } = await account();
  const elsewhere = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username, password } });
  await server.request("DELETE", `/auth/sessions/${current?.id}`, { token: elsewhere.body.access_token });
  await assert.rejects(client.fetch("/userinfo"), (e: unknown) => e instanceof TesseraError && e.code === "session_expired" && e.reason === "invalid_session");
  assert.deepEqual(types(), ["SIGNED_IN:password", "SESSION_EXPIRED:invalid_session"]);
  assert.equal(await client.getSession(), null);
  await assert.rejects(client.getUser(), (e: unknown) => e instanceof TesseraError && e.code === "not_signed_in");
});

test("signOut posts /session/logout with the CSRF token; the server ends the session and clears the cookies", async (t) => {
  const { server, net, client, jar, types, signIn } = tessera.setup(t, { mode: "cookie", browserLike: true });
  const { csrfToken } = await signIn();
  const secret = jar.get(SESSION);
  await client.signOut();
  const logout = net.calls.at(-1);
  assert.deepEqual([logout?.path, logout?.csrf, logout?.credentials, logout?.status], ["/session/logout", csrfToken, "include", 204]);
  assert.deepEqual(types(), ["SIGNED_IN:password", "SIGNED_OUT:sign_out"]);
  assert.equal(jar.size, 0, "both cookies cleared");
  assert.equal((await server.request("GET", "/userinfo", { headers: { cookie: `${SESSION}=${secret}` } })).status, 401, "the old cookie is dead");
});

test("a page on an origin the server does not trust cannot sign in: csrf_failed, no cookie, no session", async (t) => {
  const { client, jar, types, signIn } = tessera.setup(t, { mode: "cookie", browserLike: true, origin: "http://other.example" });
  await assert.rejects(signIn(), (e: unknown) => e instanceof TesseraError && e.code === "csrf_failed" && e.status === 403);
  assert.equal(jar.size, 0);
  assert.equal(await client.getSession(), null);
  assert.deepEqual(types(), []);
});

test("a sign-out the server refused or never received keeps the session: only the server can clear the cookie", async (t) => {
  const { net, client, types, signIn } = tessera.setup(t, { mode: "cookie", browserLike: true });
  await signIn();
  // The server's refusal of a logout (a page its operator no longer trusts, say), then a network failure.
  net.fault = (call) => call.path === "/session/logout"
    ? new Response(JSON.stringify({ error: "csrf_failed", error_description: "not allowed" }), { status: 403, headers: { "content-type": "application/json" } })
    : undefined;
  await assert.rejects(client.signOut(), (e: unknown) => e instanceof TesseraError && e.code === "csrf_failed" && e.status === 403);
  net.fault = (call) => {
    if (call.path === "/session/logout") throw new TypeError("fetch failed");
    return undefined;
  };
  await assert.rejects(client.signOut(), TypeError);
  assert.ok(await client.getSession());
  assert.equal((await client.getUser()).auth, "cookie", "still signed in, as the page says");
  assert.deepEqual(types(), ["SIGNED_IN:password"]);
});

test("endSession on the current cookie session (known from getSessions) signs out; signOutEverywhere ends all", async (t) => {
  const { client, make, types, signIn } = tessera.setup(t, { mode: "cookie", browserLike: true });
  await signIn();
  const [current] = await client.getSessions();
  await client.endSession(String(current?.id));
  assert.deepEqual(types(), ["SIGNED_IN:password", "SIGNED_OUT:session_ended"]);

  const second = make({ crossTab: false });
  await signIn(second);
  await second.signOutEverywhere();
  assert.equal(await second.getSession(), null);
  await assert.rejects(second.getUser(), (e: unknown) => e instanceof TesseraError && e.code === "not_signed_in");
});

test("combined mode: /bff calls reach the API with a Bearer token the client never holds", async (t) => {
  const { client, signIn } = tessera.setup(t, { mode: "cookie", browserLike: true });
  const { csrfToken } = await signIn();
  received.length = 0;
  assert.equal((await client.fetch("/bff/orders?page=2")).status, 200);
  const post = await client.fetch("/bff/orders", { method: "POST", headers: { "content-type": "application/json" }, body: '{"item":1}' });
  assert.equal(post.status, 200, "the CSRF header let the unsafe request through");
  assert.deepEqual(received.map((r) => [r.method, r.url, r.body]), [["GET", "/orders?page=2", ""], ["POST", "/orders", '{"item":1}']]);
  assert.ok(received.every((r) => /^Bearer ey/.test(r.authorization)), "the API got a JWT");
  assert.deepEqual(Object.keys((await client.getSession()) ?? {}), ["mode", "csrfToken"]);
  assert.ok(csrfToken);

  // The API refusing its token is not the cookie session ending: the answer is returned, the session kept.
  const refused = await client.fetch("/bff/refuse");
  assert.equal(refused.status, 401);
  assert.ok(await client.getSession());
  assert.equal((await client.getUser()).auth, "cookie");
});
