/**
 * One throttled dimension (e.g. "failed sign-ins per account and IP"): a
 * number of free attempts per window, then exponential backoff — each further
 * counted attempt blocks the key for `baseDelay · 2^(n − free − 1)` seconds,
 * capped at `maxDelay`. Blocked attempts are refused before any work and are
 * not counted, so a user who waits out the delay is never pushed further back.
 *
 * Counters live in rate-limiter-flexible: its memory store in one process, its
 * Redis store when instances must share them. With Redis, a memory limiter is
 * the insurance: if Redis fails, each instance keeps limiting on its own
 * rather than failing sign-ins.
 */
import { createHash } from "node:crypto";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from "rate-limiter-flexible";

export interface BackoffPolicy {
  /** Counted attempts allowed per window before backoff starts; 0 turns the dimension off. */
  free: number;
  /** Seconds a count is kept (from its first attempt). */
  window: number;
  /** Seconds of the first block; doubles with each further attempt. */
  baseDelay: number;
  /** Seconds a block lasts at most. */
  maxDelay: number;
}

/** The subset of an ioredis client rate-limiter-flexible uses (so tests and callers need no cast). */
export type RedisClient = object;

export interface CounterStore {
  /** Shared counters; absent: this process's memory. */
  redis?: RedisClient | undefined;
  /** Key prefix in Redis (several deployments, or test runs, may share one). */
  keyPrefix?: string;
}

function limiter(name: string, points: number, duration: number, store: CounterStore): RateLimiterAbstract {
  const keyPrefix = `${store.keyPrefix ?? "tessera:"}throttle:${name}`;
  const memory = new RateLimiterMemory({ keyPrefix, points, duration });
  if (!store.redis) return memory;
  return new RateLimiterRedis({ storeClient: store.redis, keyPrefix, points, duration, insuranceLimiter: memory, rejectIfRedisNotReady: true } as ConstructorParameters<typeof RateLimiterRedis>[0]);
}

/** Keys go to Redis and to memory: hash them, so no username or address is stored and every key is short. */
function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("base64url").slice(0, 32);
}

export class Backoff {
  readonly policy: BackoffPolicy;
  readonly #counts: RateLimiterAbstract;
  readonly #blocks: RateLimiterAbstract;

  constructor(name: string, policy: BackoffPolicy, store: CounterStore = {}) {
    this.policy = policy;
    this.#counts = limiter(`${name}:n`, Math.max(policy.free, 1), policy.window, store);
    this.#blocks = limiter(`${name}:b`, 1, policy.maxDelay, store);
  }

  get enabled(): boolean {
    return this.policy.free > 0;
  }

  /** Seconds the key must still wait (0: go ahead). */
  async retryAfter(key: string): Promise<number> {
    if (!this.enabled) return 0;
    const res: RateLimiterRes | null = await this.#blocks.get(hashKey(key));
    return res && res.consumedPoints > 1 && res.msBeforeNext > 0 ? Math.ceil(res.msBeforeNext / 1000) : 0;
  }

  /** Counts an attempt; past the free ones, blocks the key. Returns the block's seconds (0: none). */
  async count(key: string): Promise<number> {
    if (!this.enabled) return 0;
    const hashed = hashKey(key);
    const { consumedPoints } = await this.#counts.penalty(hashed, 1);
    const over = consumedPoints - this.policy.free;
    if (over <= 0) return 0;
    const delay = Math.min(this.policy.maxDelay, this.policy.baseDelay * 2 ** Math.min(over - 1, 30));
    await this.#blocks.block(hashed, delay);
    return delay;
  }

  /** Forgets the key (a successful sign-in). */
  async reset(key: string): Promise<void> {
    if (!this.enabled) return;
    const hashed = hashKey(key);
    await Promise.all([this.#counts.delete(hashed), this.#blocks.delete(hashed)]);
  }
}
