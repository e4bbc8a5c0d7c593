// The refresh logic of tessera/client against the fake server and a fake
// clock: leeway, clock skew, single flight, the 401 path and its limits.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TesseraError } from "../../src/client/index.js";
import { setup } from "./setup.js";

test("refreshes quietly within the leeway and not before", async (t) => {
  const { fake, client, types, advance } = setup(t, { ttl: 900 }, { refreshLeeway: 30 });
  await client.signIn("ada", "correct horse");
  advance(865);
  assert.equal((await client.fetch("/userinfo")).status, 200);
  assert.equal(fake.count("/oauth/token", "refresh_token"), 0);
  advance(10); // 875 s: inside the last 30 s
  assert.equal((await client.fetch("/userinfo")).status, 200);
  assert.equal(fake.count("/oauth/token", "refresh_token"), 1);
  assert.deepEqual(types(), ["SIGNED_IN:password", "TOKEN_REFRESHED:expiring"]);
  assert.ok(fake.calls.every((c) => c.path !== "/userinfo" || c.authorization?.startsWith("Bearer ey")));
});

test("caps the leeway at a quarter of a short token's lifetime", async (t) => {
  const { fake, client, advance } = setup(t, { ttl: 20 }, { refreshLeeway: 30 });
  await client.signIn("ada", "correct horse");
  advance(14);
  await client.fetch("/userinfo");
  assert.equal(fake.count("/oauth/token", "refresh_token"), 0, "a 30 s leeway must not refresh a 20 s token on every call");
  advance(2); // 16 s: in the last 5 s
  await client.fetch("/userinfo");
  assert.equal(fake.count("/oauth/token", "refresh_token"), 1);
});

for (const [label, offset] of [["ahead of", -600_000], ["behind", 600_000]] as const) {
  test(`corrects for a client clock ten minutes ${label} the server's`, async (t) => {
    const { fake, client, advance } = setup(t, { ttl: 900, offset }, { refreshLeeway: 30 });
    const session = await client.signIn("ada", "correct horse");
    assert.ok(Math.abs((session.skew ?? 0) - offset) < 1000, `skew ${session.skew} should be about ${offset}`);
    advance(500);
    await client.fetch("/userinfo");
    assert.equal(fake.count("/oauth/token", "refresh_token"), 0, "no early refresh");
    advance(380); // 880 s of a 900 s token, on both clocks
    const res = await client.fetch("/userinfo");
    assert.equal(res.status, 200);
    assert.equal(fake.count("/oauth/token", "refresh_token"), 1, "refreshed before expiry");
    assert.equal(fake.calls.filter((c) => c.path === "/userinfo").length, 2, "never sent an expired token");
  });
}

test("50 concurrent calls after expiry share one refresh", async (t) => {
  const { fake, client, types, advance } = setup(t, { ttl: 60 });
  await client.signIn("ada", "correct horse");
  advance(120);
  const results = await Promise.all(Array.from({ length: 50 }, () => client.fetch("/userinfo")));
  assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
  assert.equal(fake.count("/oauth/token", "refresh_token"), 1);
  assert.equal(fake.count("/userinfo"), 50);
  assert.deepEqual(types(), ["SIGNED_IN:password", "TOKEN_REFRESHED:expiring"]);
});

test("a 401 invalid_token leads to one refresh and one retry", async (t) => {
  const { fake, client, types } = setup(t);
  await client.signIn("ada", "correct horse");
  let refused = 0;
  fake.userinfo = () =>
    refused++ === 0
      ? new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } })
      : undefined;
  const res = await client.fetch("/userinfo");
  assert.equal(res.status, 200);
  assert.equal(fake.count("/oauth/token", "refresh_token"), 1);
  const [first, retry] = fake.calls.filter((c) => c.path === "/userinfo");
  assert.notEqual(first?.authorization, retry?.authorization, "retried with the new token");
  assert.deepEqual(types(), ["SIGNED_IN:password", "TOKEN_REFRESHED:invalid_token"]);
});

test("a second 401 is returned, not retried: no loop", async (t) => {
  const { fake, client } = setup(t);
  await client.signIn("ada", "correct horse");
  fake.userinfo = () => new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } });
  const res = await client.fetch("/userinfo");
  assert.equal(res.status, 401);
  assert.equal(fake.count("/userinfo"), 2);
  assert.equal(fake.count("/oauth/token", "refresh_token"), 1);
});

test("a 401 that does not blame the token is returned without a refresh", async (t) => {
  const { fake, client } = setup(t);
  await client.signIn("ada", "correct horse");
  fake.userinfo = () => new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_request"' } });
  assert.equal((await client.fetch("/userinfo")).status, 401);
  assert.equal(fake.count("/userinfo"), 1);
  assert.equal(fake.count("/oauth/token", "refresh_token"), 0);
});

test("concurrent 401s share one refresh, each call retried once", async (t) => {
  const { fake, client } = setup(t);
  const { accessToken } = await client.signIn("ada", "correct horse");
  fake.userinfo = (call) =>
    call.authorization === `Bearer ${accessToken}`
      ? new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } })
      : undefined;
  const results = await Promise.all(Array.from({ length: 10 }, () => client.fetch("/userinfo")));
  assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
  assert.equal(fake.count("/oauth/token", "refresh_token"), 1);
  assert.equal(fake.count("/userinfo"), 20);
});

test("the retry carries the request body again", async (t) => {
  const { fake, client } = setup(t);
  await client.signIn("ada", "correct horse");
  let refused = 0;
  fake.userinfo = () => (refused++ === 0 ? new Response(null, { status: 401 }) : new Response("ok"));
  await client.fetch("/userinfo", { method: "POST", body: "a=1" });
  assert.deepEqual(fake.calls.filter((c) => c.path === "/userinfo").map((c) => c.body), [{ a: "1" }, { a: "1" }]);
});

test("a reused refresh token ends the session with SESSION_EXPIRED and its reason", async (t) => {
  const { fake, client, types, events, advance } = setup(t);
  const stolen = (await client.signIn("ada", "correct horse")).refreshToken as string;
  await client.refresh(); // the client rotates; `stolen` is now spent
  advance(11); // past the 10 s grace window
  const attacker = await fake.fetch("http://fake/oauth/token", {
    method: "POST",
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: stolen }),
  });
  assert.equal(attacker.status, 400); // reuse detected: the server ends the session
  await assert.rejects(client.fetch("/userinfo"), (e: unknown) => e instanceof TesseraError && e.code === "session_expired" && e.reason === "reuse");
  assert.deepEqual(types(), ["SIGNED_IN:password", "TOKEN_REFRESHED:manual", "SESSION_EXPIRED:reuse"]);
  assert.equal(events.at(-1)?.description, "refresh token is not valid");
  assert.equal(await client.getSession(), null);
  await assert.rejects(client.fetch("/userinfo"), (e: unknown) => e instanceof TesseraError && e.code === "not_signed_in");
});

test("a network failure during refresh keeps the session for the next try", async (t) => {
  const { fake, client, events, advance } = setup(t, { ttl: 60 });
  await client.signIn("ada", "correct horse");
  advance(120);
  fake.onRefresh = () => {
    throw new TypeError("fetch failed");
  };
  await assert.rejects(client.fetch("/userinfo"), TypeError);
  assert.ok(await client.getSession());
  fake.onRefresh = undefined;
  assert.equal((await client.fetch("/userinfo")).status, 200);
  assert.equal(events.at(-1)?.type, "TOKEN_REFRESHED");
});

test("calls before sign-in reject with not_signed_in and send nothing", async (t) => {
  const { fake, client } = setup(t);
  await assert.rejects(client.fetch("/userinfo"), (e: unknown) => e instanceof TesseraError && e.code === "not_signed_in");
  assert.equal(fake.calls.length, 0);
});
