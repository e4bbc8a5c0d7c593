// Throttling over HTTP (issue #7): it kicks in on the password grant, the
// cookie login, registration, refresh and reset tokens (429, too_many_requests,
// Retry-After), it releases after the delay, and a successful sign-in resets
// the account+IP count. Low limits and a 1 s base delay keep the waits short.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../../src/core/config.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

type Body = { error: string; error_description: string };
const limits: Partial<Config> = {
  throttleSignInAccount: 2, throttleSignInIp: 1000, throttleRegisterIp: 3, throttleTokenIp: 2,
  throttleBaseDelay: 1, throttleMaxDelay: 2, throttleWindow: 60,
};

async function withServer(run: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startTestServer({ config: limits });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

const grant = (server: TestServer, username: string, password: string) =>
  server.request<Body>("POST", "/oauth/token", { form: { grant_type: "password", username, password } });

function assertThrottled(res: { status: number; headers: Headers; body: Body }): void {
  assert.equal(res.status, 429);
  assert.equal(res.body.error, "too_many_requests");
  assert.match(res.headers.get("retry-after") ?? "", /^[12]$/);
  assert.equal(res.headers.get("cache-control"), "no-store");
}

describe("sign-in", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: limits });
    await server.request("POST", "/auth/register", { json: { username: "target", password: "the real passphrase" } });
  });
  after(() => server.close());

  test("kicks in after the free failures, and refuses even the right password while it lasts", async () => {
    assert.equal((await grant(server, "target", "guess one")).status, 400);
    assert.equal((await grant(server, "target", "guess two")).status, 400);
    assert.equal((await grant(server, "target", "guess three")).status, 400, "the third failure is answered, then blocks");
    assertThrottled(await grant(server, "target", "the real passphrase"));
  });

  test("the cookie login is the same account+IP counter", async () => {
    const res = await server.request<Body>("POST", "/session/login", { json: { username: "TARGET", password: "the real passphrase" }, headers: { origin: server.issuer } });
    assertThrottled(res);
  });

  test("releases after Retry-After; a success then resets the count", async () => {
    const blocked = await grant(server, "target", "the real passphrase");
    await sleep(Number(blocked.headers.get("retry-after") ?? "2") * 1000 + 100);
    assert.equal((await grant(server, "target", "the real passphrase")).status, 200);
    assert.equal((await grant(server, "target", "guess four")).status, 400);
    assert.equal((await grant(server, "target", "guess five")).status, 400);
    assert.equal((await grant(server, "target", "the real passphrase")).status, 200, "two failures after a reset are under the limit");
  });

  test("an unknown username is throttled like a real one (no enumeration through the throttle)", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await grant(server, "nobody-real", `guess ${i}`)).status, 400);
    assertThrottled(await grant(server, "nobody-real", "guess"));
  });
});

test("password change: wrong current passwords count like failed sign-ins (a stolen token is no password oracle)", () => withServer(async (server) => {
  const user = await server.signUpAndSignIn("changer", "the current phrase");
  for (let i = 0; i < 3; i++) {
    const res = await server.request<Body>("POST", "/auth/password", { token: user.access_token, json: { current_password: `guess ${i}`, new_password: "a new long phrase" } });
    assert.equal(res.body.error, "invalid_credentials");
  }
  assertThrottled(await server.request<Body>("POST", "/auth/password", { token: user.access_token, json: { current_password: "the current phrase", new_password: "a new long phrase" } }));
  assertThrottled(await grant(server, "changer", "the current phrase"));
}));

test("registration: every attempt counts per IP, taken names included", () => withServer(async (server) => {
  assert.equal((await server.request("POST", "/auth/register", { json: { username: "reg-one", password: "a long pass phrase" } })).status, 201);
  assert.equal((await server.request("POST", "/auth/register", { json: { username: "reg-one", password: "a long pass phrase" } })).status, 409);
  assert.equal((await server.request("POST", "/auth/register", { json: { username: "reg-two", password: "a long pass phrase" } })).status, 201);
  const res = await server.request<Body>("POST", "/auth/register", { json: { username: "reg-three", password: "a long pass phrase" } });
  assert.equal(res.status, 201, "the fourth is counted, then blocks");
  assertThrottled(await server.request<Body>("POST", "/auth/register", { json: { username: "reg-four", password: "a long pass phrase" } }));
  assert.equal(await server.tessera.users.find("reg-four"), undefined);
}));

test("refresh grant: refused tokens count per IP; a valid token is refused too while blocked, then works", () => withServer(async (server) => {
  const user = await server.signUpAndSignIn("refresher", "some pass phrase");
  for (let i = 0; i < 3; i++) {
    const res = await server.request<Body>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: `tsr_${"A".repeat(42)}${i}` } });
    assert.equal(res.body.error, "invalid_grant");
  }
  assertThrottled(await server.request<Body>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } }));
  await sleep(1100);
  assert.equal((await server.request("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } })).status, 200);
}));

test("reset tokens: refused ones count per IP", () => withServer(async (server) => {
  for (let i = 0; i < 3; i++) {
    const res = await server.request<Body>("POST", "/auth/password/reset", { json: { reset_token: `tsp_${"B".repeat(42)}${i}`, new_password: "a new long phrase" } });
    assert.equal(res.body.error, "invalid_grant");
  }
  assertThrottled(await server.request<Body>("POST", "/auth/password/reset", { json: { reset_token: `tsp_${"B".repeat(43)}`, new_password: "a new long phrase" } }));
}));

test("the default limits are on outside tests", async () => {
  const { loadConfig } = await import("../../src/core/config.js");
  const config = loadConfig({});
  assert.deepEqual([config.throttleSignInAccount, config.throttleSignInIp, config.throttleRegisterIp, config.throttleTokenIp], [5, 100, 20, 100]);
  assert.deepEqual([config.throttleBaseDelay, config.throttleMaxDelay, config.throttleWindow], [1, 900, 3600]);
});
