/**
 * The optional Redis connection of a clustered instance (REDIS_URL): one
 * command client (shared throttle counters, publishing) and one subscriber
 * (notices from the other instances). Redis is a messenger here, never a
 * store of record: when it is down every instance keeps serving from the
 * database, and this link only reports the state change once, then keeps
 * reconnecting in the background.
 */
import { EventEmitter } from "node:events";
import { Redis, type RedisOptions } from "ioredis";

export type RedisState = "connecting" | "up" | "down";

export interface RedisLinkOptions {
  url: string;
  /** Prefix of every key and channel (TESSERA_REDIS_PREFIX). */
  prefix: string;
}

interface RedisLinkEvents {
  /** The link went up or down; `error` is the last connection error when it went down. */
  state: [state: RedisState, error: Error | undefined];
  /** A message on the cluster channel (from any instance, this one included). */
  message: [payload: string];
}

const COMMON: RedisOptions = {
  connectTimeout: 2000,
  // Reconnect for ever, backing off to one attempt every 2 s.
  retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  lazyConnect: false,
};

export class RedisLink extends EventEmitter<RedisLinkEvents> {
  /**
   * Commands fail at once while Redis is down (no offline queue) and time out
   * after 1 s, so a throttle or a publish never holds a request: callers fall
   * back (the throttle to its in-memory insurance, the bus to store polling).
   */
  readonly client: Redis;
  readonly channel: string;
  readonly #subscriber: Redis;
  #state: RedisState = "connecting";
  #lastError: Error | undefined;

  constructor(options: RedisLinkOptions) {
    super();
    this.channel = `${options.prefix}cluster`;
    this.client = new Redis(options.url, { ...COMMON, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1000 });
    // The subscriber queues its SUBSCRIBE until the first connection and
    // re-subscribes by itself after every reconnection.
    this.#subscriber = new Redis(options.url, { ...COMMON, maxRetriesPerRequest: null, autoResubscribe: true });
    for (const connection of [this.client, this.#subscriber]) {
      connection.on("error", (error: Error) => { this.#lastError = error; }); // reported through `state`
      for (const event of ["ready", "close", "end", "reconnecting"]) connection.on(event, () => this.#update());
    }
    this.#subscriber.on("message", (channel: string, payload: string) => {
      if (channel === this.channel) this.emit("message", payload);
    });
    this.#subscriber.subscribe(this.channel).catch((error: unknown) => { this.#lastError = error as Error; });
  }

  get state(): RedisState {
    return this.#state;
  }

  /** Waits until the link is up, for at most `ms`; resolves with the state then. */
  async settle(ms: number): Promise<RedisState> {
    if (this.#state !== "connecting") return this.#state;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off("state", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.on("state", done);
    });
    return this.#state;
  }

  /** Publishes to the cluster channel; false when Redis is unreachable (the caller has a fallback). */
  async publish(payload: string): Promise<boolean> {
    if (this.client.status !== "ready") return false;
    try {
      await this.client.publish(this.channel, payload);
      return true;
    } catch {
      return false;
    }
  }

  /** A round trip for readiness checks; false when Redis does not answer within `timeoutMs`. */
  async ping(timeoutMs = 500): Promise<boolean> {
    if (this.client.status !== "ready") return false;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    try {
      return await Promise.race([this.client.ping().then(() => true, () => false), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.removeAllListeners("state");
    await Promise.all([this.client, this.#subscriber].map(async (connection) => {
      // QUIT lets Redis finish what was sent; a link that is down just drops its socket.
      if (connection.status === "ready") await Promise.race([connection.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
      connection.disconnect();
    }));
  }

  #update(): void {
    const up = this.client.status === "ready" && this.#subscriber.status === "ready";
    // Both connections fail together in practice; "down" waits for a real failure,
    // not for the subscriber's first connection to finish a moment after the client's.
    const failed = ["close", "end", "reconnecting"].includes(this.client.status) || ["close", "end", "reconnecting"].includes(this.#subscriber.status);
    const next: RedisState = up ? "up" : failed ? "down" : this.#state;
    if (next === this.#state) return;
    this.#state = next;
    this.emit("state", next, next === "down" ? this.#lastError : undefined);
  }
}
