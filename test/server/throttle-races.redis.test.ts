// Concurrent attempts at every throttle dimension, counters in Redis at 127.0.0.1:6379 under a
// prefix of this run's own, removed after (suite: throttle-races.ts).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after } from "node:test";
import { Redis } from "ioredis";
import { throttleRaces } from "./throttle-races.js";

const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `tessera-test-${randomBytes(6).toString("hex")}:`;
let servers = 0;

after(async () => {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  assert.ok(keys.some((k) => k.includes(":throttle:")), "the servers counted in Redis");
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

// A prefix per server: each test's counts start empty, as they do in memory.
throttleRaces(() => ({ redisUrl: REDIS_URL, redisPrefix: `${prefix}${++servers}:` }));
