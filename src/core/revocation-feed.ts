/**
 * The feed of ended sessions that verifiers follow (docs/verify.md). Long-poll:
 * a reader asks for entries after its cursor and the answer is held until one
 * arrives or the wait runs out. Local endings wake readers at once; endings on
 * other instances are seen by polling the store every `pollInterval` ms while
 * someone waits (and at once when Redis relays them: `notify()`).
 */
import { EventEmitter } from "node:events";
import type { Store } from "../store/index.js";
import { TesseraError } from "./errors.js";

export interface FeedPage {
  cursor: string;
  revoked: Array<{ sid: string; exp: number }>;
}

export class RevocationFeed {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #pollInterval: number;
  readonly #wake = new EventEmitter();
  #stopped = false;

  constructor(store: Store, now: () => number, pollInterval = 1000) {
    this.#store = store;
    this.#now = now;
    this.#pollInterval = pollInterval;
    this.#wake.setMaxListeners(0);
  }

  /** Wakes waiting readers: a session ended here or, as relayed, elsewhere. */
  notify(): void {
    this.#wake.emit("wake");
  }

  /**
   * Shutting down: every held long-poll answers now (its cursor unchanged) and
   * new ones do not wait, so a draining instance finishes its in-flight
   * requests at once and verifiers simply re-ask another instance.
   */
  stop(): void {
    this.#stopped = true;
    this.#wake.emit("wake");
  }

  /** Entries after `since` (all live ones when absent), waiting up to `waitMs` for the first. */
  async read(since: string | undefined, waitMs: number, signal?: AbortSignal): Promise<FeedPage> {
    const after = since === undefined ? 0 : parseCursor(since);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const rows = await this.#store.revocationsSince(after, Math.floor(this.#now() / 1000));
      if (rows.length > 0) {
        return { cursor: String(rows[rows.length - 1]!.seq), revoked: rows.map((r) => ({ sid: r.sessionId, exp: r.exp })) };
      }
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted || this.#stopped) {
        const cursor = since === undefined ? String(await this.#store.latestRevocationSeq()) : String(after);
        return { cursor, revoked: [] };
      }
      await this.#sleep(Math.min(left, this.#pollInterval), signal);
    }
  }

  #sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake.off("wake", done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake.once("wake", done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

function parseCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw new TesseraError("invalid_request", "since: not a cursor this server issued");
  return Number(cursor);
}
