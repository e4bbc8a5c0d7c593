/**
 * The counter stores behind the throttle (docs/security.md, "Reserving before
 * the work"): one state per (dimension, key), changed only by three atomic
 * operations, so that two attempts can never both take the last free slot.
 *
 * - `reserve`: refused while the key is blocked; otherwise takes an in-flight
 *   slot if `counted + in flight` leaves room in the free allowance (in the
 *   backoff phase, after a block has lapsed, room for exactly one attempt).
 * - `settle` "keep": the attempt counts; at the free-th counted attempt and
 *   after each further one the key is blocked for `base · 2^(n − free)`
 *   seconds, at most `max`.
 * - `settle` "release": the attempt does not count; `settle` "reset": it does
 *   not, and the key's count and block are forgotten (a successful sign-in).
 *
 * In-flight slots are leases: a process that dies holding one frees it when the
 * lease ends, so a crash never blocks a key for good. The time of every
 * operation comes from the caller (the injected clock), never from the store.
 */

export interface BackoffPolicy {
  /** Counted attempts allowed per window before backoff starts; 0 turns the dimension off. */
  free: number;
  /** How long a count is kept (from its first counted attempt). */
  windowSeconds: number;
  /** The first block; doubles with each further counted attempt. */
  baseDelaySeconds: number;
  /** How long a block lasts at most. */
  maxDelaySeconds: number;
}

export type Outcome = "keep" | "release" | "reset";

export interface ReserveResult {
  ok: boolean;
  /** When refused: milliseconds until an attempt may succeed. */
  retryAfterMs: number;
}

/** One reservation's identity in a store: the dimension, the hashed key, the lease id. */
export interface SlotRef {
  name: string;
  key: string;
  id: string;
}

/** A place the counts live: this process's memory, or Redis shared by every instance. */
export interface Counters {
  reserve(ref: SlotRef, policy: BackoffPolicy, now: number, leaseMs: number): Promise<ReserveResult>;
  settle(ref: SlotRef, policy: BackoffPolicy, now: number, outcome: Outcome): Promise<void>;
}

/** Milliseconds the key is blocked after its n-th counted attempt (0: not blocked). */
export function blockMs(policy: BackoffPolicy, n: number): number {
  if (n < policy.free) return 0;
  return Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** Math.min(n - policy.free, 30)) * 1000;
}

interface State {
  /** Counted attempts in the current window. */
  n: number;
  /** Start of the window (ms), when n > 0. */
  since: number;
  /** Blocked until (ms); 0: not blocked. */
  blockedUntil: number;
  /** In-flight slots: lease id → lease end (ms). */
  leases: Map<string, number>;
  /** The window length that applies to this key (for sweeping). */
  windowMs: number;
}

/** Counts in this process's memory (one instance, or the insurance when Redis fails). */
export class MemoryCounters implements Counters {
  readonly #states = new Map<string, State>();
  #operations = 0;

  reserve(ref: SlotRef, policy: BackoffPolicy, now: number, leaseMs: number): Promise<ReserveResult> {
    if (++this.#operations >= Math.max(1024, this.#states.size)) this.#sweep(now);
    const id = `${ref.name}\n${ref.key}`;
    let state = this.#states.get(id);
    if (!state) {
      state = { n: 0, since: 0, blockedUntil: 0, leases: new Map(), windowMs: policy.windowSeconds * 1000 };
      this.#states.set(id, state);
    }
    if (state.n > 0 && now >= state.since + state.windowMs) state.n = 0;
    if (now < state.blockedUntil) return Promise.resolve({ ok: false, retryAfterMs: state.blockedUntil - now });
    for (const [lease, end] of state.leases) if (end <= now) state.leases.delete(lease);
    const inFlight = state.leases.size;
    if (inFlight >= Math.max(policy.free - state.n, 1)) {
      return Promise.resolve({ ok: false, retryAfterMs: Math.max(blockMs(policy, state.n + inFlight), 1000) });
    }
    state.leases.set(ref.id, now + leaseMs);
    return Promise.resolve({ ok: true, retryAfterMs: 0 });
  }

  settle(ref: SlotRef, policy: BackoffPolicy, now: number, outcome: Outcome): Promise<void> {
    const id = `${ref.name}\n${ref.key}`;
    const state = this.#states.get(id);
    if (outcome === "reset") {
      if (state) {
        state.leases.delete(ref.id);
        state.n = 0;
        state.blockedUntil = 0;
        if (state.leases.size === 0) this.#states.delete(id);
      }
      return Promise.resolve();
    }
    if (!state) {
      // Kept after the state was swept (a lease that outlived its end): count it anyway.
      if (outcome === "keep") this.#states.set(id, { n: 0, since: 0, blockedUntil: 0, leases: new Map(), windowMs: policy.windowSeconds * 1000 });
      else return Promise.resolve();
    }
    const s = this.#states.get(id)!;
    s.leases.delete(ref.id);
    if (outcome === "keep") {
      if (s.n === 0 || now >= s.since + s.windowMs) {
        s.n = 0;
        s.since = now;
      }
      s.n++;
      const block = blockMs(policy, s.n);
      if (block > 0) s.blockedUntil = Math.max(s.blockedUntil, now + block);
    }
    return Promise.resolve();
  }

  /** Keys held in memory (tests check that dead ones are swept). */
  get size(): number {
    return this.#states.size;
  }

  /** Drops the states that no longer hold anything: amortised O(1) per reservation. */
  #sweep(now: number): void {
    this.#operations = 0;
    for (const [id, s] of this.#states) {
      for (const [lease, end] of s.leases) if (end <= now) s.leases.delete(lease);
      const counting = s.n > 0 && now < s.since + s.windowMs;
      if (!counting && now >= s.blockedUntil && s.leases.size === 0) this.#states.delete(id);
    }
  }
}
