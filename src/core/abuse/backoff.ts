/**
 * One throttled dimension (e.g. "failed sign-ins per account and IP"): a
 * number of free attempts per window, then exponential backoff — the free-th
 * counted attempt and each one after it block the key for
 * `baseDelaySeconds · 2^(n − free)`, capped at `maxDelaySeconds`.
 *
 * Every attempt **reserves its slot before the work** (`reserve`), and settles
 * it after: `keep` (it counts), `release` (it does not), `reset` (a success that
 * clears the key). Attempts in flight take up the free allowance, so 30
 * concurrent guesses against 5 free attempts run 5 checks, not 30. Blocked
 * attempts are refused before any work and are not counted, so a user who
 * waits out the delay is never pushed further back.
 *
 * Counters live in this process's memory, or in Redis when instances share
 * them (redis-counters.ts); either way each step is atomic.
 */
import { createHash, randomBytes } from "node:crypto";
import { MemoryCounters, type BackoffPolicy, type Counters, type Outcome, type SlotRef } from "./counters.js";
import { RedisCounters, type RedisClient } from "./redis-counters.js";

export type { BackoffPolicy } from "./counters.js";
export type { RedisClient } from "./redis-counters.js";

export interface CounterStore {
  /** Shared counters (an ioredis client); absent: this process's memory. */
  redis?: RedisClient | undefined;
  /** Key prefix in Redis (several deployments, or test runs, may share one). */
  keyPrefix?: string;
}

export function openCounters(store: CounterStore = {}): Counters {
  return store.redis ? new RedisCounters(store.redis, store.keyPrefix ?? "tessera:") : new MemoryCounters();
}

/**
 * How long a reservation may stay unsettled before its slot frees itself (a
 * process that died mid-attempt). Longer than any password check waits in
 * the hashing queue; shorter than a window, so a crash costs a key nothing lasting.
 */
export const SLOT_LEASE_MS = 60_000;

/** A reserved attempt. Settle it exactly once; later calls do nothing. */
export interface Slot {
  /** The attempt counts (a failed guess, or a dimension where every attempt counts). */
  keep(): Promise<void>;
  /** The attempt does not count (it succeeded, or failed for a reason that is not a guess). */
  release(): Promise<void>;
  /** A success that forgets the key: its count and block are cleared, this slot released. */
  reset(): Promise<void>;
}

export type Reservation = { ok: true; slot: Slot } | { ok: false; retryAfter: number };

/** Keys go to Redis and to memory: hash them, so no username or address is stored and every key is short. */
function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("base64url").slice(0, 32);
}

/** Lease ids: unique per process (random) and per reservation (a counter), with no random draw per attempt. */
const PROCESS_ID = randomBytes(9).toString("base64url");
let reservations = 0;

const NO_OP_SLOT: Slot = { keep: async () => {}, release: async () => {}, reset: async () => {} };

export class Backoff {
  readonly name: string;
  readonly policy: BackoffPolicy;
  readonly #counters: Counters;
  readonly #now: () => number;

  constructor(name: string, policy: BackoffPolicy, counters: Counters = new MemoryCounters(), now: () => number = Date.now) {
    this.name = name;
    this.policy = policy;
    this.#counters = counters;
    this.#now = now;
  }

  get enabled(): boolean {
    return this.policy.free > 0;
  }

  /** Takes a slot for one attempt, or says how many seconds to wait (nothing is counted then). */
  async reserve(key: string): Promise<Reservation> {
    if (!this.enabled) return { ok: true, slot: NO_OP_SLOT };
    const ref: SlotRef = { name: this.name, key: hashKey(key), id: `${PROCESS_ID}${(++reservations).toString(36)}` };
    const result = await this.#counters.reserve(ref, this.policy, this.#now(), SLOT_LEASE_MS);
    if (!result.ok) return { ok: false, retryAfter: Math.max(1, Math.ceil(result.retryAfterMs / 1000)) };
    let settled = false;
    const settle = async (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      await this.#counters.settle(ref, this.policy, this.#now(), outcome);
    };
    return { ok: true, slot: { keep: () => settle("keep"), release: () => settle("release"), reset: () => settle("reset") } };
  }
}
