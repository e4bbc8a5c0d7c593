/**
 * The throttle's counters in Redis, shared by every instance. Each operation
 * is one Lua script, which Redis runs atomically: the read of the count and the
 * in-flight leases and the write of the new slot cannot interleave with another
 * instance's. The same rules as MemoryCounters (counters.ts), which a shared
 * test suite runs against both.
 *
 * Per (dimension, key) there are two Redis keys under the configured prefix:
 * `<prefix>throttle:<dimension>:<hashed key>` (a hash: `n` counted attempts,
 * `s` window start, `b` blocked until) and the same name with `:f` (a sorted
 * set of in-flight leases scored by their end). Both expire when nothing in
 * them matters any more. Times come from the caller's clock.
 *
 * When Redis cannot answer (down, or a command timing out), the attempt is
 * limited by this process's memory instead: a Redis outage degrades to
 * per-instance limits, never to no limits and never to failed sign-ins.
 */
import { createHash } from "node:crypto";
import { MemoryCounters, type BackoffPolicy, type Counters, type Outcome, type ReserveResult, type SlotRef } from "./counters.js";

/** The two commands used of an ioredis client (so tests and callers need no cast). */
export interface RedisClient {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
}

// ARGV: 1 op ("reserve" | "keep" | "release" | "reset"), 2 now, 3 free, 4 window ms, 5 base ms, 6 max ms, 7 lease id, 8 lease ms.
// reserve returns {1, 0} or {0, retry-after ms}; the other operations return {1, 0}.
const SCRIPT = `
local state, leases = KEYS[1], KEYS[2]
local op, now, free, window, base, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local id, lease = ARGV[7], tonumber(ARGV[8])
local function block(n)
  if n < free then return 0 end
  return math.min(max, base * 2 ^ math.min(n - free, 30))
end
local fields = redis.call('HMGET', state, 'n', 's', 'b')
local n, since, blocked = tonumber(fields[1]) or 0, tonumber(fields[2]) or 0, tonumber(fields[3]) or 0
if n > 0 and now >= since + window then n = 0 end
if op == 'reserve' then
  if now < blocked then return {0, blocked - now} end
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  local inflight = redis.call('ZCARD', leases)
  if inflight >= math.max(free - n, 1) then return {0, math.max(block(n + inflight), 1000)} end
  redis.call('ZADD', leases, now + lease, id)
  redis.call('PEXPIRE', leases, lease + 1000)
  return {1, 0}
end
redis.call('ZREM', leases, id)
if op == 'reset' then
  redis.call('DEL', state)
  return {1, 0}
end
if op == 'keep' then
  if n == 0 then since = now end
  n = n + 1
  local b = block(n)
  if b > 0 and now + b > blocked then blocked = now + b end
  redis.call('HSET', state, 'n', n, 's', since, 'b', blocked)
  redis.call('PEXPIRE', state, math.max(since + window, blocked) - now + 1000)
end
return {1, 0}
`;
const SHA = createHash("sha1").update(SCRIPT).digest("hex");

export class RedisCounters implements Counters {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  /** Where a reservation went when Redis failed; its settle goes there too. */
  readonly #insurance = new MemoryCounters();
  readonly #insured = new Set<string>();

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}throttle:`;
  }

  async reserve(ref: SlotRef, policy: BackoffPolicy, now: number, leaseMs: number): Promise<ReserveResult> {
    try {
      const [ok, retryAfterMs] = await this.#run(ref, policy, now, "reserve", leaseMs);
      return { ok: ok === 1, retryAfterMs };
    } catch {
      this.#insured.add(ref.id);
      return this.#insurance.reserve(ref, policy, now, leaseMs);
    }
  }

  async settle(ref: SlotRef, policy: BackoffPolicy, now: number, outcome: Outcome): Promise<void> {
    if (this.#insured.delete(ref.id)) return this.#insurance.settle(ref, policy, now, outcome);
    try {
      await this.#run(ref, policy, now, outcome, 0);
    } catch {
      // A count Redis could not take is kept here; a release or reset it missed ends with the lease.
      if (outcome === "keep") await this.#insurance.settle(ref, policy, now, outcome);
    }
  }

  async #run(ref: SlotRef, policy: BackoffPolicy, now: number, op: string, leaseMs: number): Promise<[number, number]> {
    const state = `${this.#prefix}${ref.name}:${ref.key}`;
    const args = [2, state, `${state}:f`, op, now, policy.free, policy.windowSeconds * 1000, policy.baseDelaySeconds * 1000, policy.maxDelaySeconds * 1000, ref.id, leaseMs] as const;
    let reply: unknown;
    try {
      reply = await this.#redis.evalsha(SHA, ...args);
    } catch (error) {
      if (!String((error as Error).message).startsWith("NOSCRIPT")) throw error;
      reply = await this.#redis.eval(SCRIPT, ...args);
    }
    const [ok, ms] = reply as [number, number];
    return [Number(ok), Number(ms)];
  }
}
