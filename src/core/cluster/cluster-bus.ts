/**
 * What instances tell each other through Redis (docs/events.md, "Cluster
 * messages"). Every message is a hint to re-read the store, never data to
 * trust: the store stays the only source of truth, so a message lost while
 * Redis is down costs only speed, and the periodic fallbacks (the revocation
 * feed polls every second, keys reload every minute) repair it.
 *
 * - `sessions-ended`: wakes the revocation-feed long-polls waiting on every
 *   instance, so verifiers learn of a logout at once rather than within 1 s;
 * - `keys-changed`: a key was published, retired or revoked somewhere; every
 *   instance reloads its key ring and so serves the new JWKS at once.
 *
 * After Redis comes back, each instance does both, in case it missed a message.
 */
import { EventEmitter } from "node:events";
import { randomToken } from "../crypto-utils.js";
import type { AuthEvents } from "../events.js";
import type { KeyRing } from "../keys/key-ring.js";
import type { RevocationFeed } from "../sessions/revocation-feed.js";
import type { RedisLink, RedisState } from "./redis-link.js";

export type ClusterMessage =
  | { type: "sessions-ended"; sids: string[] }
  | { type: "keys-changed" };

export interface ClusterBusOptions {
  link: RedisLink;
  events: AuthEvents;
  feed: RevocationFeed;
  keys: KeyRing;
}

interface ClusterBusEvents {
  /** A message sent or received (counted by the metrics). */
  traffic: [direction: "sent" | "received" | "unsent", type: ClusterMessage["type"]];
  /** Acting on a message failed (logged by the server). */
  warning: [error: Error, what: string];
}

export class ClusterBus extends EventEmitter<ClusterBusEvents> {
  /** Tells this instance's own messages apart from its peers'. */
  readonly instanceId = randomToken(9);
  readonly #o: ClusterBusOptions;
  readonly #pending = new Set<Promise<unknown>>();
  #state: RedisState;

  constructor(options: ClusterBusOptions) {
    super();
    this.#o = options;
    this.#state = options.link.state;
    options.events.on("sessions-ended", (e) => this.send({ type: "sessions-ended", sids: e.sessionIds }));
    options.link.on("message", (payload) => this.#receive(payload));
    options.link.on("state", (state) => {
      if (state === "up" && this.#state === "down") this.#catchUp();
      this.#state = state;
    });
  }

  send(message: ClusterMessage): void {
    const sent = this.#o.link.publish(JSON.stringify({ ...message, from: this.instanceId }))
      .then((ok) => this.emit("traffic", ok ? "sent" : "unsent", message.type));
    this.#pending.add(sent);
    void sent.finally(() => this.#pending.delete(sent));
  }

  /** Resolves when every message sent so far has been handed to Redis (or given up). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  #receive(payload: string): void {
    let message: (ClusterMessage & { from?: unknown }) | undefined;
    try {
      message = JSON.parse(payload) as ClusterMessage & { from?: unknown };
    } catch {
      return; // not ours: another program sharing the prefix
    }
    if (message.from === this.instanceId) return;
    if (message.type === "sessions-ended") this.#o.feed.notify();
    else if (message.type === "keys-changed") this.#reloadKeys("key notice");
    else return;
    this.emit("traffic", "received", message.type);
  }

  #catchUp(): void {
    this.#o.feed.notify();
    this.#reloadKeys("catch-up after Redis came back");
  }

  #reloadKeys(why: string): void {
    this.#o.keys.load().catch((error: unknown) => this.emit("warning", error as Error, `key reload (${why}) failed`));
  }
}
