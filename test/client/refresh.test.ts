// The refresh logic of tessera/client against a real server whose clock the
// test drives: leeway, clock skew, single flight, the 401 path and its limits,
// and the server's reasons for refusing a refresh.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TesseraError, type TokenStorage } from "../../packages/client/src/index.js";
import { refusal, useTessera } from "./setup.js";

// Short session limits, so that the idle timeout and the absolute lifetime can
// be reached by moving the clocks a little.
const tessera = useTessera({ sessionIdleTimeoutMs: 3_600_000, sessionAbsoluteLifetimeMs: 7_200_000 });

const sessionExpired = (reason: string) => (e: unknown) => e instanceof TesseraError && e.code === "session_expired" && e.reason === reason;

test("refreshes quietly within the leeway and not before", async (t) => {
  const { net, client, types, advance, signIn } = tessera.setup(t, { refreshLeeway: 30 });
  const session = await signIn();
  assert.equal(session.lifetime, 900_000, "the server's default 900 s token");
  advance(865);
  assert.equal((await client.fetch("/userinfo")).status, 200);
  assert.equal(net.count("/oauth/token", "refresh_token"), 0);
  advance(10); // 875 s: inside the last 30 s
  assert.equal((await client.fetch("/userinfo")).status, 200);
  assert.equal(net.count("/oauth/token", "refresh_token"), 1);
  assert.deepEqual(types(), ["SIGNED_IN:password", "TOKEN_REFRESHED:expiring"]);
  assert.deepEqual(net.statuses("/userinfo"), [200, 200]);
  assert.ok(net.calls.every((c) => c.path !== "/userinfo" || c.authorization?.startsWith("Bearer ey")));
});

test("caps the leeway at a quarter of a short token's lifetime", async (t) => {
  // tessera-demo is the server's built-in client with 20 s access tokens.
  const { net, client, advance, signIn } = tessera.setup(t, { clientId: "tessera-demo", refreshLeeway: 30 });
  const session = await signIn();
  assert.equal((session.claims?.exp ?? 0) - (session.claims?.iat ?? 0), 20);
  advance(14);
  await client.fetch("/userinfo");
  assert.equal(net.count("/oauth/token", "refresh_token"), 0, "a 30 s leeway must not refresh a 20 s token on every call");
  advance(2); // 16 s: in the last 5 s
  await client.fetch("/userinfo");
  assert.equal(net.count("/oauth/token", "refresh_token"), 1);
  assert.deepEqual(net.statuses("/userinfo"), [200, 200]);
});

for (const [label, skew] of [["ahead of", -600_000], ["behind", 600_000]] as const) {
  test(`corrects for a client clock ten minutes ${label} the server's`, async (t) => {
    const { net, client, advance, signIn } = tessera.setup(t, { skew, refreshLeeway: 30 });
    const session = await signIn();
    assert.ok(Math.abs((session.skew ?? 0) - skew) < 1000, `skew ${session.skew} should be about ${skew}`);
    advance(500);
    await client.fetch("/userinfo");
    assert.equal(net.count("/oauth/token", "refresh_token"), 0, "no early refresh");
    advance(380); // 880 s of a 900 s token, on both clocks
    const res = await client.fetch("/userinfo");
    assert.equal(res.status, 200);
    assert.equal(net.count("/oauth/token", "refresh_token"), 1, "refreshed before expiry");
    assert.deepEqual(net.statuses("/userinfo"), [200, 200], "the server never saw an expired token");
  });
}

test("50 concurrent calls after expiry share one refresh", async (t) => {
  const { net, client, types, advance, signIn } = tessera.setup(t, { clientId: "tessera-demo" });
  await signIn();
  advance(25);
  const results = await Promise.all(Array.from({ length: 50 }, () => client.fetch("/userinfo")));
  assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
  assert.equal(net.count("/oauth/token", "refresh_token"), 1);
  assert.equal(net.count("/userinfo"), 50, "no call needed a retry");
  assert.deepEqual(types(), ["SIGNED_IN:password", "TOKEN_REFRESHED:expiring"]);
});

test("a 401 invalid_token leads to one refresh and one retry", async (t) => {
  const { net, client, types, advanceServer, signIn } = tessera.setup(t, { clientId: "tessera-demo" });
  await signIn();
  // The server's clock jumps past the token's expiry; the client's does not,
  // so the client sends a token it believes fresh and the server refuses it.
  advanceServer(21);
  const res = await client.fetch("/userinfo");
  assert.equal(res.status, 200);
  assert.deepEqual(net.statuses("/userinfo"), [401, 200]);
  assert.equal(net.count("/oauth/token", "refresh_token"), 1);
  const [first, retry] = net.calls.filter((c) => c.path === "/userinfo");
  assert.ok(!first?.injected, "the 401 came from the server");
  assert.notEqual(first?.authorization, retry?.authorization, "retried with the new token");
  assert.deepEqual(types(), ["SIGNED_IN:password", "TOKEN_REFRESHED:invalid_token"]);
});

test("a second 401 is returned, not retried: no loop", async (t) => {
  const { net, client, signIn } = tessera.setup(t);
  await signIn();
  net.fault = (call) => (call.path === "/userinfo" ? refusal() : undefined);
  const res = await client.fetch("/userinfo");
  assert.equal(res.status, 401);
  assert.equal(net.count("/userinfo"), 2);
  assert.equal(net.count("/oauth/token", "refresh_token"), 1);
  assert.deepEqual(net.statuses("/oauth/token"), [200, 200], "the refresh itself succeeded");
});

test("a 401 that does not blame the token, or any other refusal, is returned without a refresh", async (t) => {
  const { net, client, signIn } = tessera.setup(t);
  await signIn();
  net.fault = (call) => (call.path === "/userinfo" ? refusal("invalid_request") : undefined);
  assert.equal((await client.fetch("/userinfo")).status, 401);
  net.fault = undefined;
  // A real refusal that is not about the token: a session that is not ours.
  const notFound = await client.fetch("/auth/sessions/no-such-session", { method: "DELETE" });
  assert.equal(notFound.status, 404);
  assert.equal(net.count("/userinfo"), 1);
  assert.equal(net.count("/auth/sessions/no-such-session"), 1);
  assert.equal(net.count("/oauth/token", "refresh_token"), 0);
});

test("concurrent 401s share one refresh, each call retried once", async (t) => {
  const { net, client, advanceServer, signIn } = tessera.setup(t, { clientId: "tessera-demo" });
  await signIn();
  advanceServer(21); // every call goes out with a token the server finds expired
  const results = await Promise.all(Array.from({ length: 10 }, () => client.fetch("/userinfo")));
  assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
  assert.equal(net.count("/oauth/token", "refresh_token"), 1);
  assert.equal(net.count("/userinfo"), 20);
  assert.equal(net.statuses("/userinfo").filter((s) => s === 401).length, 10);
});

test("the retry carries the request body again", async (t) => {
  const { server, net, client, advanceServer, signIn, account } = tessera.setup(t, { clientId: "tessera-demo" });
  await signIn();
  const { username, password } = await account();
  advanceServer(21);
  const body = JSON.stringify({ current_password: password, new_password: "a brand new passphrase" });
  const res = await client.fetch("/auth/password", { method: "POST", headers: { "content-type": "application/json" }, body });
  assert.equal(res.status, 204, "the retry reached the server with its body");
  const attempts = net.calls.filter((c) => c.path === "/auth/password");
  assert.deepEqual(attempts.map((c) => [c.status, c.text]), [[401, body], [204, body]]);
  const signIn2 = await server.request("POST", "/oauth/token", { form: { grant_type: "password", username, password: "a brand new passphrase" } });
  assert.equal(signIn2.status, 200, "the password was changed");
});

test("a reused refresh token ends the session: SESSION_EXPIRED with the server's reason `reuse`", async (t) => {
  const { server, net, client, types, events, advance, signIn } = tessera.setup(t);
  const stolen = (await signIn()).refreshToken as string;
  await client.refresh(); // the client rotates; `stolen` is now spent
  advance(11); // past the 10 s grace window
  const attacker = await server.request<{ error: string; reason: string }>("POST", "/oauth/token", {
    form: { grant_type: "refresh_token", refresh_token: stolen },
  });
  assert.deepEqual([attacker.status, attacker.body.error, attacker.body.reason], [400, "invalid_grant", "reuse"]);
  await assert.rejects(client.fetch("/userinfo"), sessionExpired("reuse"));
  assert.deepEqual(types(), ["SIGNED_IN:password", "TOKEN_REFRESHED:manual", "SESSION_EXPIRED:reuse"]);
  assert.equal(events.at(-1)?.description, "The refresh token is invalid, expired or revoked.");
  assert.deepEqual(net.statuses("/userinfo"), [401], "the ended session's access token was refused at once");
  assert.equal(await client.getSession(), null);
  await assert.rejects(client.fetch("/userinfo"), (e: unknown) => e instanceof TesseraError && e.code === "not_signed_in");
});

test("a session ended from another session: SESSION_EXPIRED with reason `revoked`", async (t) => {
  const { server, client, types, signIn, account } = tessera.setup(t);
  const { claims } = await signIn();
  const { username, password } = await account();
  const elsewhere = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username, password } });
  assert.equal((await server.request("DELETE", `/auth/sessions/${claims?.sid}`, { token: elsewhere.body.access_token })).status, 204);
  await assert.rejects(client.fetch("/userinfo"), sessionExpired("revoked"));
  assert.deepEqual(types(), ["SIGNED_IN:password", "SESSION_EXPIRED:revoked"]);
});

test("a session left unused past the idle timeout: SESSION_EXPIRED with reason `idle_timeout`", async (t) => {
  const { net, client, types, advance, signIn } = tessera.setup(t);
  await signIn();
  advance(3601);
  await assert.rejects(client.fetch("/userinfo"), sessionExpired("idle_timeout"));
  assert.equal(net.count("/userinfo"), 0, "the expired token was never sent");
  assert.deepEqual(types(), ["SIGNED_IN:password", "SESSION_EXPIRED:idle_timeout"]);
});

test("a session past its absolute lifetime: SESSION_EXPIRED with reason `absolute_lifetime`", async (t) => {
  const { client, types, advance, signIn } = tessera.setup(t);
  await signIn();
  for (const step of [3000, 3000]) {
    advance(step); // used within the idle timeout, so only the absolute lifetime can end it
    assert.equal((await client.fetch("/userinfo")).status, 200);
  }
  advance(1300); // 7300 s after sign-in
  await assert.rejects(client.fetch("/userinfo"), sessionExpired("absolute_lifetime"));
  assert.deepEqual(types(), ["SIGNED_IN:password", "TOKEN_REFRESHED:expiring", "TOKEN_REFRESHED:expiring", "SESSION_EXPIRED:absolute_lifetime"]);
});

test("a network failure during refresh keeps the session for the next try", async (t) => {
  const { net, client, events, advance, signIn } = tessera.setup(t, { clientId: "tessera-demo" });
  await signIn();
  advance(25);
  net.fault = (call) => {
    if (call.form.grant_type === "refresh_token") throw new TypeError("fetch failed");
    return undefined;
  };
  await assert.rejects(client.fetch("/userinfo"), TypeError);
  assert.ok(await client.getSession());
  net.fault = undefined;
  assert.equal((await client.fetch("/userinfo")).status, 200);
  assert.equal(events.at(-1)?.type, "TOKEN_REFRESHED");
  assert.equal(net.count("/oauth/token", "refresh_token"), 2);
});

test("uncoordinated clients spending one refresh token at once both stay signed in (the server's grace window)", async (t) => {
  // Two clients on one store with no channel between them: nothing stops
  // both from refreshing. The server answers the second, within its grace
  // window, with the same new refresh token instead of calling it reuse.
  const items = new Map<string, string>();
  const storage: TokenStorage = { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) };
  const { net, client, make, types, advance, signIn } = tessera.setup(t, { clientId: "tessera-demo", crossTab: false, storage });
  await signIn();
  const other = make();
  assert.ok(await other.getSession());
  advance(25);
  const statuses = await Promise.all([client, other].map((c) => c.fetch("/userinfo").then((r) => r.status)));
  assert.deepEqual(statuses, [200, 200]);
  assert.deepEqual(net.statuses("/oauth/token"), [200, 200, 200], "sign-in, then two refreshes, neither refused");
  const [mine, theirs] = await Promise.all([client.getSession(), other.getSession()]);
  assert.equal(mine?.refreshToken, theirs?.refreshToken, "both hold the one current refresh token");
  advance(11); // past the grace window: the shared token is still the current one
  assert.equal((await other.fetch("/userinfo")).status, 200);
  assert.deepEqual(types(), ["SIGNED_IN:password", "TOKEN_REFRESHED:expiring"]);
});

test("calls before sign-in reject with not_signed_in and send nothing", async (t) => {
  const { net, client } = tessera.setup(t);
  await assert.rejects(client.fetch("/userinfo"), (e: unknown) => e instanceof TesseraError && e.code === "not_signed_in");
  await assert.rejects(client.refresh(), (e: unknown) => e instanceof TesseraError && e.code === "not_signed_in");
  assert.equal(net.calls.length, 0);
});
