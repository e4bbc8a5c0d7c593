/**
 * The audit log: every security event (audit-events.ts) stored with its time,
 * user, session, IP, user agent and outcome, and queryable with filters.
 *
 * Rows are buffered and written in batches, off the request: a refresh only
 * pushes a row onto an array, and one multi-row INSERT every `flushIntervalMs`
 * ms (or every `batchSize` rows) carries them all. A failed write keeps its
 * rows and retries; only a store down long enough to fill `maxBuffer` rows
 * drops the oldest (counted in `dropped`, reported through `onError`). The
 * price of batching: a crash loses at most the last `flushIntervalMs`.
 */
import type { AuditEventRow, AuditQuery, NewAuditEvent, Store } from "../../store/index.js";
import { subscribeAudit } from "./audit-events.js";
import type { AuthEvents } from "../events.js";

export interface AuditLogOptions {
  store: Store;
  events: AuthEvents;
  now: () => number;
  /** ms between writes of buffered rows (default 200). */
  flushIntervalMs?: number;
  /** Rows that trigger a write at once (default 500). */
  batchSize?: number;
  /** Rows kept while the store refuses writes, before the oldest are dropped (default 100,000). */
  maxBuffer?: number;
}

export class AuditLog {
  readonly #o: Required<AuditLogOptions>;
  #buffer: NewAuditEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  /** Rows written so far, and rows lost to a long store outage. */
  written = 0;
  dropped = 0;
  /** Told about failed writes (the server logs them); the core has no logger. */
  onError: (error: unknown) => void = () => undefined;

  constructor(options: AuditLogOptions) {
    this.#o = { flushIntervalMs: 200, batchSize: 500, maxBuffer: 100_000, ...options };
    subscribeAudit(options.events, (row) => this.#push(row), options.now);
  }

  get pending(): number {
    return this.#buffer.length;
  }

  /** Writes every buffered row (waits for a write in progress first). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#writing = this.#o.store.insertAuditEvents(batch).then(
      () => { this.written += batch.length; },
      (error: unknown) => {
        // Keep the rows, oldest first, and try again on the next tick.
        this.#buffer = batch.concat(this.#buffer);
        const excess = this.#buffer.length - this.#o.maxBuffer;
        if (excess > 0) {
          this.#buffer.splice(0, excess);
          this.dropped += excess;
        }
        this.onError(error);
        this.#schedule();
      },
    ).finally(() => { this.#writing = undefined; });
    await this.#writing;
  }

  /** Newest first; reads after writing what is buffered, so a query sees every event before it. */
  async query(query: AuditQuery): Promise<AuditEventRow[]> {
    await this.flush();
    return this.#o.store.queryAuditEvents(query);
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  #push(row: NewAuditEvent): void {
    this.#buffer.push(row);
    if (this.#buffer.length >= this.#o.batchSize) void this.flush();
    else this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#o.flushIntervalMs);
    this.#timer.unref();
  }
}
