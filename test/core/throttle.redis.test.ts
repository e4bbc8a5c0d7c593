// The throttle with Redis counters (issue #7: "Redis in a cluster"), against the
// real Redis at 127.0.0.1:6379: two instances sharing one key prefix see each
// other's failures, and a Redis that cannot be reached falls back to memory
// instead of failing sign-ins. Each run uses its own key prefix, removed after.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { TesseraError } from "../../src/core/errors.js";
import { Throttle, type ThrottlePolicy } from "../../src/core/throttle.js";

const prefix = `tessera-test-${randomBytes(6).toString("hex")}:`;
const p = { window: 60, baseDelay: 1, maxDelay: 4 };
const policy: ThrottlePolicy = { signInAccount: { free: 2, ...p }, signInIp: { free: 100, ...p }, registerIp: { free: 2, ...p }, tokenIp: { free: 2, ...p } };
const wrong = () => Promise.reject(new TesseraError("invalid_grant", "The username or password is incorrect."));
let a: Redis;
let b: Redis;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return (error as TesseraError).code;
  }
}

before(async () => {
  a = new Redis({ host: "127.0.0.1", port: 6379, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  b = new Redis({ host: "127.0.0.1", port: 6379, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await Promise.all([new Promise((r) => a.once("ready", r)), new Promise((r) => b.once("ready", r))]);
});

after(async () => {
  const keys = await a.keys(`${prefix}*`);
  if (keys.length > 0) await a.del(...keys);
  a.disconnect();
  b.disconnect();
});

test("two instances share the counters: failures on one block the account on the other", async () => {
  const one = new Throttle(policy, { redis: a, keyPrefix: prefix });
  const two = new Throttle(policy, { redis: b, keyPrefix: prefix });
  assert.equal(await codeOf(one.signIn("alice", "203.0.113.1", wrong)), "invalid_grant");
  assert.equal(await codeOf(two.signIn("alice", "203.0.113.1", wrong)), "invalid_grant");
  assert.equal(await codeOf(one.signIn("alice", "203.0.113.1", wrong)), "invalid_grant");
  assert.equal(await codeOf(two.signIn("alice", "203.0.113.1", async () => "ok")), "too_many_requests");
  assert.equal(await codeOf(two.signIn("alice", "198.51.100.1", async () => "ok")), "ok", "keyed with the IP");
  const keys = await a.keys(`${prefix}*`);
  assert.ok(keys.length > 0 && keys.every((k) => k.startsWith(`${prefix}throttle:`)), "under our prefix only");
  assert.ok(keys.every((k) => !k.includes("alice") && !k.includes("203.0.113.1")), "no username or address stored in Redis");
});

test("a successful sign-in on one instance resets the count for both", async () => {
  const one = new Throttle(policy, { redis: a, keyPrefix: prefix });
  const two = new Throttle(policy, { redis: b, keyPrefix: prefix });
  await codeOf(one.signIn("bob", "203.0.113.2", wrong));
  await codeOf(one.signIn("bob", "203.0.113.2", wrong));
  assert.equal(await codeOf(two.signIn("bob", "203.0.113.2", async () => "ok")), "ok");
  await codeOf(one.signIn("bob", "203.0.113.2", wrong));
  await codeOf(one.signIn("bob", "203.0.113.2", wrong));
  assert.equal(await codeOf(two.signIn("bob", "203.0.113.2", async () => "ok")), "ok", "still under the limit after the reset");
});

test("a Redis that cannot be reached: each instance limits in memory, sign-ins still answer", async () => {
  const down = new Redis({ host: "127.0.0.1", port: 1, enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
  const t = new Throttle(policy, { redis: down, keyPrefix: prefix });
  for (let i = 0; i < 3; i++) assert.equal(await codeOf(t.signIn("carol", "203.0.113.3", wrong)), "invalid_grant");
  assert.equal(await codeOf(t.signIn("carol", "203.0.113.3", async () => "ok")), "too_many_requests");
  down.disconnect();
});
