// The throttle with Redis counters, against the real Redis at 127.0.0.1:6379:
// the shared rules (throttle-conformance.ts), then what only a shared store
// has — two instances racing for the same slots, the key layout, and a Redis
// that cannot be reached. Each run uses its own key prefix, removed after.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { Throttle } from "../../src/core/abuse/throttle.js";
import { testClock } from "../helpers/server.js";
import { codeOf, policyOf, right, throttleConformance, wrong } from "./throttle-conformance.js";

const prefix = `tessera-test-${randomBytes(6).toString("hex")}:`;
let a: Redis;
let b: Redis;

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

describe("redis counters", () => {
  let flip = 0;
  // Each throttle the suite builds talks through one of two connections, in turn.
  throttleConformance(() => ({ redis: ++flip % 2 ? a : b, keyPrefix: prefix }));
});

test("Promise.all of 30 guesses split over two instances: the free number run, across both", async () => {
  const clock = testClock();
  const one = new Throttle(policyOf({ signInAccount: 5, signInIp: 100 }), { redis: a, keyPrefix: prefix }, clock.now);
  const two = new Throttle(policyOf({ signInAccount: 5, signInIp: 100 }), { redis: b, keyPrefix: prefix }, clock.now);
  let checks = 0;
  const check = async () => { checks++; await new Promise((r) => setImmediate(r)); return wrong(); };
  const codes = await Promise.all(Array.from({ length: 30 }, (_, i) => codeOf((i % 2 ? one : two).signIn("racer", "203.0.113.50", check))));
  assert.equal(checks, 5);
  assert.equal(codes.filter((c) => c === "too_many_requests").length, 25);
  assert.equal(await codeOf(one.signIn("racer", "203.0.113.50", right)), "too_many_requests", "the fifth failure blocks on both");
});

test("counters live under the prefix, hashed: no username or address in Redis; they expire", async () => {
  const t = new Throttle(policyOf({ signInAccount: 2 }), { redis: a, keyPrefix: prefix });
  await codeOf(t.signIn("alice-layout", "203.0.113.1", wrong));
  const keys = await a.keys(`${prefix}*`);
  assert.ok(keys.length > 0 && keys.every((k) => k.startsWith(`${prefix}throttle:`)), "under our prefix only");
  assert.ok(keys.every((k) => !k.includes("alice") && !k.includes("203.0.113.1")), "no username or address stored in Redis");
  const ttls = await Promise.all(keys.map((k) => a.pttl(k)));
  assert.ok(ttls.every((ms) => ms > 0), `every key expires (${ttls.join(", ")})`);
});

test("a Redis that cannot be reached: each instance limits in memory, reserving first all the same", async () => {
  const down = new Redis({ host: "127.0.0.1", port: 1, enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
  const t = new Throttle(policyOf({ signInAccount: 3 }), { redis: down, keyPrefix: prefix });
  let checks = 0;
  const codes = await Promise.all(Array.from({ length: 30 }, () => codeOf(t.signIn("carol", "203.0.113.3", async () => { checks++; await new Promise((r) => setImmediate(r)); return wrong(); }))));
  assert.equal(checks, 3);
  assert.equal(codes.filter((c) => c === "invalid_grant").length, 3);
  assert.equal(await codeOf(t.signIn("carol", "203.0.113.3", right)), "too_many_requests");
  down.disconnect();
});
