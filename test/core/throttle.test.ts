// The throttle on this process's memory: the shared rules (throttle-conformance.ts),
// then what is particular to memory, and the keys.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MemoryCounters } from "../../src/core/abuse/counters.js";
import { addressKey, ipKey, Throttle } from "../../src/core/abuse/throttle.js";
import { testClock } from "../helpers/server.js";
import { policyOf, throttleConformance, wrong, codeOf } from "./throttle-conformance.js";

describe("memory counters", () => {
  throttleConformance(() => ({}));

  test("keys whose window, block and leases have ended are swept (an attacker rotating keys cannot grow memory for ever)", async () => {
    const counters = new MemoryCounters();
    const policy = { free: 2, windowSeconds: 60, baseDelaySeconds: 1, maxDelaySeconds: 8 };
    const clock = testClock();
    for (let i = 0; i < 3000; i++) {
      const ref = { name: "t", key: `k${i}`, id: `id${i}` };
      await counters.reserve(ref, policy, clock.now(), 60_000);
      await counters.settle(ref, policy, clock.now(), "keep");
    }
    assert.ok(counters.size >= 3000 - 1024, "live counts are kept");
    clock.advance(61_000);
    for (let i = 0; i < 3000; i++) {
      const ref = { name: "u", key: "one", id: `x${i}` };
      await counters.reserve(ref, policy, clock.now(), 60_000);
      await counters.settle(ref, policy, clock.now(), "release");
    }
    assert.ok(counters.size < 10, `${counters.size} states left after their window ended`);
  });

  test("a slot settled after its lease ended and its key was swept: a kept attempt still counts, in a window of its own", async () => {
    const counters = new MemoryCounters();
    const policy = { free: 1, windowSeconds: 60, baseDelaySeconds: 1, maxDelaySeconds: 8 };
    const clock = testClock();
    const ref = (key: string, id = "late") => ({ name: "t", key, id });
    for (const key of ["kept", "released", "reset"]) assert.equal((await counters.reserve(ref(key), policy, clock.now(), 1000)).ok, true);
    clock.advance(1001); // the three leases end; other keys' reservations, until the sweep drops the three states
    for (let i = 0; i === 0 || counters.size > 1; i++) {
      assert.ok(i < 5000, "the sweep ran");
      await counters.reserve(ref(`other${i}`), policy, clock.now(), 1000);
      await counters.settle(ref(`other${i}`), policy, clock.now(), "release");
    }
    await counters.settle(ref("released"), policy, clock.now(), "release");
    await counters.settle(ref("reset"), policy, clock.now(), "reset");
    await counters.settle(ref("kept"), policy, clock.now(), "keep");
    assert.equal((await counters.reserve(ref("kept", "next"), policy, clock.now(), 1000)).ok, false, "the late failure blocks (free = 1)");
    clock.advance(1000);
    assert.equal((await counters.reserve(ref("kept", "after"), policy, clock.now(), 1000)).ok, true, "one attempt after the 1 s block");
    await counters.settle(ref("kept", "after"), policy, clock.now(), "keep");
    const refused = await counters.reserve(ref("kept", "again"), policy, clock.now(), 1000);
    assert.deepEqual(refused, { ok: false, retryAfterMs: 2000 }, "the second count of the same 60 s window doubles the block");
  });
});

test("a Throttle built without a dimension's policy is refused when built", () => {
  const { emailSendIp: _, ...partial } = policyOf();
  assert.throws(() => new Throttle(partial as ReturnType<typeof policyOf>), TypeError);
});

test("two throttles on memory do not share counts (one process each)", async () => {
  const a = new Throttle(policyOf({ signInAccount: 1 }));
  const b = new Throttle(policyOf({ signInAccount: 1 }));
  assert.equal(await codeOf(a.signIn("ivy", "192.0.2.70", wrong)), "invalid_grant");
  assert.equal(await codeOf(a.signIn("ivy", "192.0.2.70", wrong)), "too_many_requests");
  assert.equal(await codeOf(b.signIn("ivy", "192.0.2.70", wrong)), "invalid_grant");
});

test("ipKey: IPv4 as is, IPv4-mapped IPv6 unwrapped, IPv6 by /64", () => {
  assert.equal(ipKey("203.0.113.9"), "203.0.113.9");
  assert.equal(ipKey("::ffff:203.0.113.9"), "203.0.113.9");
  assert.equal(ipKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(ipKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  assert.equal(ipKey("2001:db8::1"), "2001:db8:0:0::/64");
  assert.equal(ipKey("::1"), "0:0:0:0::/64");
  assert.equal(ipKey(undefined), "unknown");
});

test("addressKey: one limit per address whatever its case or compatibility form", () => {
  assert.equal(addressKey(" Bob@Example.COM "), "bob@example.com");
  assert.equal(addressKey("ｂｏｂ@example.com"), "bob@example.com");
});

test("the throttle and hashing-queue settings are validated when the configuration loads", async () => {
  const { ConfigError, loadConfig } = await import("../../src/core/config.js");
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
  };
  assert.match(problems({ TESSERA_THROTTLE_EMAIL_SEND_IP: "-1" }).join(), /TESSERA_THROTTLE_EMAIL_SEND_IP/);
  assert.match(problems({ TESSERA_THROTTLE_SECOND_FACTOR_ACCOUNT: "five" }).join(), /TESSERA_THROTTLE_SECOND_FACTOR_ACCOUNT/);
  assert.match(problems({ TESSERA_HASH_QUEUE_LIMIT: "0" }).join(), /TESSERA_HASH_QUEUE_LIMIT/);
  assert.match(problems({ TESSERA_THROTTLE_BASE_DELAY: "60", TESSERA_THROTTLE_MAX_DELAY: "30" }).join(), /BASE_DELAY must be at most/);
  const config = loadConfig({ TESSERA_HASH_QUEUE_LIMIT: "16", TESSERA_THROTTLE_EMAIL_CODE_ACCOUNT: "0" });
  assert.equal(config.hashQueueLimit, 16);
  assert.equal(config.throttleEmailCodeAccount, 0);
  assert.equal(loadConfig({}).hashQueueLimit, undefined, "default: 4 × the hashing concurrency, decided by the hasher");
});
