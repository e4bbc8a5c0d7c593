/**
 * The feed of ended sessions that verifiers follow (docs/verify.md). Long-poll:
 * a reader asks for entries after its cursor and the answer is held until one
 * arrives or the wait runs out.
 *
 * Held readers never query the store themselves. One shared poller per
 * instance reads the entries after the oldest waiting cursor, about once a
 * second while anyone waits and at once when a session ends (here, or
 * elsewhere as relayed by Redis: `notify()`), and hands each waiter the part
 * after its own cursor. So 5,000 held polls cost one query a second, not
 * 5,000; and how many polls an instance holds is capped, per client address
 * and in total (docs/security.md, "Revocation-feed long polls").
 */
import type { Revocation, Store } from "../../store/index.js";
import { TesseraError } from "../errors.js";

export interface FeedPage {
  cursor: string;
  revoked: Array<{ sid: string; exp: number }>;
}

export interface RevocationFeedOptions {
  store: Store;
  /** The clock, epoch ms (entries whose tokens have all expired are not served). */
  now: () => number;
  /** Long polls held at once by this instance; one more is `503 temporarily_unavailable`. */
  maxPolls: number;
  /** Long polls held at once for one client address; one more is `429 too_many_requests`. */
  maxPollsPerIp: number;
  /** ms between shared polls while someone waits. Default 1000. */
  pollIntervalMs?: number;
}

/** Least ms between two shared polls, however many notices and late readers ask for one. */
const MIN_GAP_MS = 100;

interface Waiter {
  after: number;
  ip: string;
  /** Date.now() at which the wait runs out. */
  deadline: number;
  timer: ReturnType<typeof setTimeout>;
  resolve(page: FeedPage): void;
  reject(error: unknown): void;
}

export class RevocationFeed {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #maxPolls: number;
  readonly #maxPollsPerIp: number;
  readonly #pollInterval: number;
  readonly #waiters = new Set<Waiter>();
  readonly #byIp = new Map<string, Set<Waiter>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #polling = false;
  #again = false;
  #lastPollAt = Number.NEGATIVE_INFINITY;
  /** The highest seq the shared poller has seen: a reader behind it has entries waiting. */
  #seen = 0;
  #stopped = false;

  constructor(options: RevocationFeedOptions) {
    this.#store = options.store;
    this.#now = options.now;
    this.#maxPolls = options.maxPolls;
    this.#maxPollsPerIp = options.maxPollsPerIp;
    this.#pollInterval = options.pollIntervalMs ?? 1000;
  }

  /** Long polls held now (the metrics and tests read it). */
  get held(): number {
    return this.#waiters.size;
  }

  /** A session ended here or, as relayed, elsewhere: the shared poller reads the store now. */
  notify(): void {
    if (this.#waiters.size > 0) this.#kick();
  }

  /**
   * Shutting down: every held long-poll answers now (its cursor unchanged) and
   * new ones do not wait, so a draining instance finishes its in-flight
   * requests at once and verifiers simply re-ask another instance.
   */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
    for (const waiter of [...this.#waiters]) this.#settle(waiter, empty(waiter.after));
  }

  /**
   * Entries after `since` (all live ones when absent), waiting up to `waitMs`
   * for the first. `ip` is the reader's address, for the per-address cap.
   */
  async read(since: string | undefined, waitMs: number, signal?: AbortSignal, ip = ""): Promise<FeedPage> {
    if (since === undefined) return this.#snapshot();
    const after = parseCursor(since);
    if (waitMs <= 0 || this.#stopped || signal?.aborted) return this.#readOnce(after);
    return new Promise<FeedPage>((resolve, reject) => {
      const waiter = this.#reserve(after, ip, waitMs, resolve, reject); // throws when a cap is reached
      signal?.addEventListener("abort", () => this.#settle(waiter, empty(after)), { once: true });
      // A reader behind what the poller last saw, or the first after a quiet spell, needs a poll now;
      // one already up to date waits for the next scheduled one (or a notice).
      if (after < this.#seen || Date.now() - this.#lastPollAt >= this.#pollInterval) this.#kick();
      else this.#schedule(this.#pollInterval - (Date.now() - this.#lastPollAt));
    });
  }

  async #snapshot(): Promise<FeedPage> {
    const rows = await this.#store.revocationsSince(0, this.#nowSeconds());
    if (rows.length > 0) return page(rows);
    return { cursor: String(await this.#store.latestRevocationSeq()), revoked: [] };
  }

  async #readOnce(after: number): Promise<FeedPage> {
    const rows = await this.#store.revocationsSince(after, this.#nowSeconds());
    return rows.length > 0 ? page(rows) : empty(after);
  }

  /** Takes a slot before the reader waits: a full instance or address refuses it here. */
  #reserve(after: number, ip: string, waitMs: number, resolve: (page: FeedPage) => void, reject: (error: unknown) => void): Waiter {
    const mine = this.#byIp.get(ip);
    if (mine !== undefined && mine.size >= this.#maxPollsPerIp) {
      let soonest = Number.POSITIVE_INFINITY;
      for (const w of mine) soonest = Math.min(soonest, w.deadline);
      throw new TesseraError("too_many_requests", "This address holds as many revocation-feed long polls as it may; retry after the Retry-After seconds.", {
        retryAfter: Math.max(1, Math.ceil((soonest - Date.now()) / 1000)), detail: `feed long polls per address: ${this.#maxPollsPerIp}`,
      });
    }
    if (this.#waiters.size >= this.#maxPolls) {
      throw new TesseraError("temporarily_unavailable", "The server holds as many revocation-feed long polls as it can; retry shortly.", {
        retryAfter: 1, detail: `feed long polls per instance: ${this.#maxPolls}`,
      });
    }
    const waiter: Waiter = {
      after, ip, deadline: Date.now() + waitMs, resolve, reject,
      timer: setTimeout(() => this.#settle(waiter, empty(after)), waitMs),
    };
    this.#waiters.add(waiter);
    if (mine === undefined) this.#byIp.set(ip, new Set([waiter]));
    else mine.add(waiter);
    return waiter;
  }

  /** Answers a waiter (once) and gives its slot back. */
  #settle(waiter: Waiter, outcome: FeedPage | { error: unknown }): void {
    if (!this.#waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    const mine = this.#byIp.get(waiter.ip);
    mine?.delete(waiter);
    if (mine?.size === 0) this.#byIp.delete(waiter.ip);
    if (this.#waiters.size === 0) this.#clearTimer();
    if ("error" in outcome) waiter.reject(outcome.error);
    else waiter.resolve(outcome);
  }

  /** A shared poll as soon as the gap allows (coalesced with one in flight). */
  #kick(): void {
    if (this.#polling) {
      this.#again = true;
      return;
    }
    this.#schedule(this.#lastPollAt + MIN_GAP_MS - Date.now());
  }

  #schedule(ms: number): void {
    const at = Date.now() + Math.max(0, ms);
    if (this.#polling || this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      void this.#poll();
    }, at - Date.now());
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  /** One store query for every waiter: the entries after the oldest cursor, fanned out. */
  async #poll(): Promise<void> {
    if (this.#waiters.size === 0 || this.#stopped) return;
    this.#polling = true;
    this.#lastPollAt = Date.now();
    const waiting = [...this.#waiters];
    let from = Number.POSITIVE_INFINITY;
    for (const w of waiting) from = Math.min(from, w.after);
    try {
      const rows = await this.#store.revocationsSince(from, this.#nowSeconds());
      if (rows.length > 0) this.#seen = Math.max(this.#seen, rows[rows.length - 1]!.seq);
      const pages = new Map<number, FeedPage | undefined>(); // waiters at one cursor share one page
      for (const w of waiting) {
        if (!pages.has(w.after)) pages.set(w.after, pageAfter(rows, w.after));
        const answer = pages.get(w.after);
        if (answer) this.#settle(w, answer);
      }
    } catch (error) {
      // As when each reader read for itself: a store that cannot answer fails the held polls (a 503).
      for (const w of waiting) this.#settle(w, { error });
    } finally {
      this.#polling = false;
    }
    if (this.#again) {
      this.#again = false;
      this.#kick();
    } else if (this.#waiters.size > 0) {
      this.#schedule(this.#pollInterval);
    }
  }

  #nowSeconds(): number {
    return Math.floor(this.#now() / 1000);
  }
}

function page(rows: Revocation[]): FeedPage {
  return { cursor: String(rows[rows.length - 1]!.seq), revoked: rows.map((r) => ({ sid: r.sessionId, exp: r.exp })) };
}

function empty(after: number): FeedPage {
  return { cursor: String(after), revoked: [] };
}

/** The rows after `after` (rows are in seq order), or undefined when there are none. */
function pageAfter(rows: Revocation[], after: number): FeedPage | undefined {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]!.seq > after) hi = mid;
    else lo = mid + 1;
  }
  return lo < rows.length ? page(rows.slice(lo)) : undefined;
}

function parseCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw new TesseraError("invalid_request", "since: not a cursor this server issued");
  return Number(cursor);
}
