/**
 * Drains the outbox: claims due messages (each by one instance: a lease,
 * and FOR UPDATE SKIP LOCKED on PostgreSQL), renders and sends them, and
 * records the outcome. A failure is retried with exponential backoff
 * (`retryBase · 2^(attempt − 1)`, at most an hour) until `maxAttempts`, then
 * recorded as failed; a permanent refusal (a 5xx for this recipient) fails at
 * once. Delivery is at least once: a crash after the SMTP server took a
 * message and before it was marked sent delivers it again when the lease
 * runs out, with the same Message-ID.
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { OutboxRow, Store } from "../../store/index.js";
import { unseal } from "../keys/master-key.js";
import type { AuthEvents } from "../events.js";
import type { MailKind, MailTemplates } from "./templates.js";
import { PermanentMailError, type MailTransport } from "./transport.js";

export interface MailSenderOptions {
  store: Store;
  transport: MailTransport;
  templates: MailTemplates;
  events: AuthEvents;
  sealKey: Buffer;
  from: string;
  now: () => number;
  maxAttempts: number;
  retryBaseMs: number;
  /** How long a claim holds: longer than one delivery can take. */
  leaseMs: number;
  /** Messages claimed at a time. */
  batch?: number;
}

const MAX_RETRY_DELAY = 3_600_000;

export class MailSender {
  readonly #o: MailSenderOptions;
  /** This instance's name on its claims. */
  readonly owner = `${hostname().slice(0, 40)}:${process.pid}:${randomUUID().slice(0, 8)}`;
  #draining: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Told about failures of the outbox itself (the store down); the server logs them. */
  onError: (error: unknown) => void = () => undefined;

  constructor(options: MailSenderOptions) {
    this.#o = options;
  }

  get description(): string {
    return this.#o.transport.description;
  }

  /** Looks at the outbox every `pollMs` and whenever a message is queued. */
  start(pollMs: number): void {
    this.#stopped = false;
    this.#o.events.on("mail-queued", this.#kick);
    this.#timer = setInterval(this.#kick, pollMs);
    this.#timer.unref();
    this.#kick();
  }

  readonly #kick = (): void => {
    if (this.#stopped) return;
    void this.drain().catch((error: unknown) => this.onError(error));
  };

  /** Sends every due message; a call during a drain makes that drain look again when it ends. */
  drain(): Promise<void> {
    if (this.#draining) {
      this.#again = true;
      return this.#draining;
    }
    this.#draining = (async () => {
      try {
        do {
          this.#again = false;
          while (!this.#stopped) {
            const now = this.#o.now();
            const claimed = await this.#o.store.claimOutbox(this.owner, now, now + this.#o.leaseMs, this.#o.batch ?? 10);
            if (claimed.length === 0) break;
            await Promise.all(claimed.map((row) => this.#deliver(row)));
          }
        } while (this.#again && !this.#stopped);
      } finally {
        this.#draining = undefined;
      }
    })();
    return this.#draining;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#o.events.off("mail-queued", this.#kick);
    await this.#draining?.catch(() => undefined);
    this.#o.transport.close();
  }

  async #deliver(row: OutboxRow): Promise<void> {
    const { store, events } = this.#o;
    let error: Error | undefined;
    try {
      const values = JSON.parse(unseal(this.#o.sealKey, row.payload, row.id)) as Record<string, string>;
      const rendered = this.#o.templates.render(row.kind as MailKind, values);
      await this.#o.transport.send({ id: row.id, from: this.#o.from, to: row.recipient, ...rendered });
    } catch (e) {
      error = e instanceof Error ? e : new Error(String(e));
    }
    const now = this.#o.now();
    const base = { messageId: row.id, kind: row.kind, attempts: row.attempts, userId: row.user_id };
    if (!error) {
      if (await store.settleOutbox(row.id, this.owner, { status: "sent", at: now })) events.emit("mail-delivery", { ...base, outcome: "sent" });
      return;
    }
    const reason = error.message.slice(0, 300);
    if (error instanceof PermanentMailError || row.attempts >= this.#o.maxAttempts) {
      if (await store.settleOutbox(row.id, this.owner, { status: "failed", at: now, error: reason })) events.emit("mail-delivery", { ...base, outcome: "failed", error: reason });
      return;
    }
    const delay = Math.min(MAX_RETRY_DELAY, this.#o.retryBaseMs * 2 ** Math.min(row.attempts - 1, 30));
    if (await store.settleOutbox(row.id, this.owner, { status: "pending", nextAttemptAt: now + delay, error: reason })) events.emit("mail-delivery", { ...base, outcome: "retry", error: reason });
  }
}
