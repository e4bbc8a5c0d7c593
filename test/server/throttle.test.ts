// Throttling over HTTP: it kicks in on the password grant, the cookie login,
// the password change, registration, refresh and reset tokens (429,
// too_many_requests, Retry-After); it releases after the delay; a blocked
// request is not counted; a success resets the account+IP count but not the
// IP's; the window ends. Time is the server's injected clock: nothing sleeps.
// Concurrent attempts: throttle-races.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Config } from "../../src/core/config.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";

type Body = { error: string; error_description: string };
const limits: Partial<Config> = {
  throttleSignInAccount: 2, throttleSignInIp: 1000, throttleRegisterIp: 3, throttleTokenIp: 2,
  throttleBaseDelaySeconds: 1, throttleMaxDelaySeconds: 8, throttleWindowSeconds: 60,
};

async function withServer(run: (server: TestServer) => Promise<void>, config: Partial<Config> = {}): Promise<void> {
  const server = await startTestServer({ config: { ...limits, ...config }, clock: testClock() });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

const grant = (server: TestServer, username: string, password: string) =>
  server.request<Body>("POST", "/oauth/token", { form: { grant_type: "password", username, password } });

function assertThrottled(res: { status: number; headers: Headers; body: Body }, retryAfter?: number): void {
  assert.equal(res.status, 429);
  assert.equal(res.body.error, "too_many_requests");
  assert.match(res.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
  if (retryAfter !== undefined) assert.equal(res.headers.get("retry-after"), String(retryAfter));
  assert.equal(res.headers.get("cache-control"), "no-store");
}

describe("sign-in", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: limits, clock: testClock() });
    await server.request("POST", "/auth/register", { json: { username: "target", password: "the real passphrase" } });
  });
  after(() => server.close());

  test("kicks in at the free failures, and refuses even the right password while it lasts", async () => {
    assert.equal((await grant(server, "target", "guess one")).status, 400);
    assert.equal((await grant(server, "target", "guess two")).status, 400, "the second failure is answered, then blocks");
    assertThrottled(await grant(server, "target", "the real passphrase"), 1);
  });

  test("the cookie login is the same account+IP counter", async () => {
    const res = await server.request<Body>("POST", "/session/login", { json: { username: "TARGET", password: "the real passphrase" }, headers: { origin: server.issuer } });
    assertThrottled(res);
  });

  test("a blocked request is not counted: after Retry-After one attempt goes through, and the next block is only twice as long", async () => {
    for (let i = 0; i < 10; i++) assertThrottled(await grant(server, "target", `blocked guess ${i}`), 1);
    server.clock!.advance(1000);
    assert.equal((await grant(server, "target", "guess three")).status, 400);
    assertThrottled(await grant(server, "target", "the real passphrase"), 2);
  });

  test("releases after Retry-After; a success then resets the account count", async () => {
    server.clock!.advance(2000);
    assert.equal((await grant(server, "target", "the real passphrase")).status, 200);
    assert.equal((await grant(server, "target", "guess four")).status, 400, "one failure after a reset is under the limit");
    assert.equal((await grant(server, "target", "the real passphrase")).status, 200);
  });

  test("an unknown username is throttled like a real one (no enumeration through the throttle)", async () => {
    for (let i = 0; i < 2; i++) assert.equal((await grant(server, "nobody-real", `guess ${i}`)).status, 400);
    assertThrottled(await grant(server, "nobody-real", "guess"), 1);
  });
});

test("a success resets the account+IP count but not the IP's", () => withServer(async (server) => {
  await server.signUpAndSignIn("ip-user", "the ip user phrase");
  for (let i = 0; i < 2; i++) assert.equal((await grant(server, `stranger-${i}`, "guess")).status, 400);
  assert.equal((await grant(server, "ip-user", "wrong phrase")).status, 400);
  assert.equal((await grant(server, "ip-user", "the ip user phrase")).status, 200);
  assert.equal((await grant(server, "ip-user", "wrong again")).status, 400);
  assert.equal((await grant(server, "ip-user", "the ip user phrase")).status, 200, "one failure since the success: the account count was reset");
  // Four failures from this address so far, two successes between them: the fifth blocks every account.
  assert.equal((await grant(server, "stranger-8", "guess")).status, 400);
  assertThrottled(await grant(server, "stranger-9", "guess"), 1);
  assertThrottled(await grant(server, "ip-user", "the ip user phrase"), 1);
}, { throttleSignInIp: 5 }));

test("the window ends on the server's clock: old failures are forgotten", () => withServer(async (server) => {
  assert.equal((await grant(server, "windowed", "guess one")).status, 400);
  server.clock!.advance(59_000);
  assert.equal((await grant(server, "windowed", "guess two")).status, 400);
  assertThrottled(await grant(server, "windowed", "guess"), 1);
  server.clock!.advance(61_000); // the block and the window (from the first failure) have both ended
  assert.equal((await grant(server, "windowed", "guess three")).status, 400);
  assert.equal((await grant(server, "windowed", "guess four")).status, 400, "a fresh window: two free again");
  assertThrottled(await grant(server, "windowed", "guess"), 1);
}));

test("password change: wrong current passwords count like failed sign-ins (a stolen token is no password oracle)", () => withServer(async (server) => {
  const user = await server.signUpAndSignIn("changer", "the current phrase");
  for (let i = 0; i < 2; i++) {
    const res = await server.request<Body>("POST", "/auth/password", { token: user.access_token, json: { current_password: `guess ${i}`, new_password: "a new long phrase" } });
    assert.equal(res.body.error, "invalid_credentials");
  }
  assertThrottled(await server.request<Body>("POST", "/auth/password", { token: user.access_token, json: { current_password: "the current phrase", new_password: "a new long phrase" } }));
  assertThrottled(await grant(server, "changer", "the current phrase"));
}));

test("registration: every attempt counts per IP, taken names included; a refused shape does not", () => withServer(async (server) => {
  // A name or password refused for its shape counts for nothing: five of them, and the three free attempts are still there.
  for (const json of [{ username: "ab", password: "a long pass phrase" }, { username: "reg-x", password: "short" }, { username: "\u0430lice", password: "a long pass phrase" }, { username: "reg-y", password: "password123" }, { username: "reg-z", password: "reg-z reg-z reg-z" }]) {
    const res = await server.request<Body>("POST", "/auth/register", { json });
    assert.equal(res.status, 400, JSON.stringify(json));
    assert.equal(res.body.error, "invalid_request");
  }
  assert.equal((await server.request("POST", "/auth/register", { json: { username: "reg-one", password: "a long pass phrase" } })).status, 201);
  assert.equal((await server.request("POST", "/auth/register", { json: { username: "reg-one", password: "a long pass phrase" } })).status, 409);
  assert.equal((await server.request("POST", "/auth/register", { json: { username: "reg-two", password: "a long pass phrase" } })).status, 201, "the third is counted, then blocks");
  assertThrottled(await server.request<Body>("POST", "/auth/register", { json: { username: "reg-three", password: "a long pass phrase" } }));
  assert.equal(await server.tessera.parts.users.find("reg-three"), undefined);
}));

test("refresh grant: refused tokens count per IP; a valid token is refused too while blocked, then works", () => withServer(async (server) => {
  const user = await server.signUpAndSignIn("refresher", "some pass phrase");
  for (let i = 0; i < 2; i++) {
    const res = await server.request<Body>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: `tsr_${"A".repeat(42)}${i}` } });
    assert.equal(res.body.error, "invalid_grant");
  }
  assertThrottled(await server.request<Body>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } }), 1);
  server.clock!.advance(1000);
  assert.equal((await server.request("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } })).status, 200);
}));

test("reset tokens: refused ones count per IP", () => withServer(async (server) => {
  for (let i = 0; i < 2; i++) {
    const res = await server.request<Body>("POST", "/auth/password/reset", { json: { reset_token: `tsp_${"B".repeat(42)}${i}`, new_password: "a new long phrase" } });
    assert.equal(res.body.error, "invalid_grant");
  }
  assertThrottled(await server.request<Body>("POST", "/auth/password/reset", { json: { reset_token: `tsp_${"B".repeat(43)}`, new_password: "a new long phrase" } }));
}));

test("the default limits are on outside tests", async () => {
  const { loadConfig } = await import("../../src/core/config.js");
  const config = loadConfig({});
  assert.deepEqual([config.throttleSignInAccount, config.throttleSignInIp, config.throttleRegisterIp, config.throttleTokenIp], [5, 100, 20, 100]);
  assert.deepEqual([config.throttleSecondFactorAccount, config.throttleEmailCodeAccount, config.throttleEmailSendAddress, config.throttleEmailSendIp], [5, 5, 3, 20]);
  assert.deepEqual([config.throttleBaseDelaySeconds, config.throttleMaxDelaySeconds, config.throttleWindowSeconds], [1, 900, 3600]);
});
