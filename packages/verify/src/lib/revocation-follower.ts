/**
 * Follows the issuer's revocation feed by long polling:
 * `GET {feed}?since=<cursor>&wait=<s>` is held open by the server until a
 * session ends (or `wait` runs out), so a logout arrives here in one round
 * trip, without a per-request call and without a streaming connection that
 * proxies buffer or cut (docs/verify.md explains the choice over SSE).
 *
 * On errors it retries with jittered exponential backoff; an unknown cursor
 * (400) restarts from a full snapshot. Every timer and socket is unref'd.
 */
import type { FetchLike } from "../types.js";
import { getJson, HttpStatusError, isObject } from "./http.js";
import type { RevokedSessions } from "./revoked-sessions.js";
import { sleep } from "./timers.js";

export interface FollowerConfig {
  endpoint: () => Promise<string>;
  fetch: FetchLike;
  clock: () => number;
  sessions: RevokedSessions;
  /** All in seconds. */
  wait: number;
  minBackoff: number;
  maxBackoff: number;
  startTimeout: number;
  report: (error: Error) => void;
}

/** Beyond `wait`, how long a poll may take before we call it dead (seconds). */
const POLL_GRACE_SECONDS = 10;
/** A server that answers long polls at once despite `wait` gets at most one empty poll per second. */
const MIN_EMPTY_INTERVAL_MS = 1000;

export class RevocationFollower {
  readonly #config: FollowerConfig;
  readonly #stop = new AbortController();
  #cursor: string | undefined;
  #running: Promise<void> | undefined;
  #firstSync: Promise<void> | undefined;
  #settleFirst: () => void = () => undefined;
  syncedAt: number | null = null;

  constructor(config: FollowerConfig) {
    this.#config = config;
  }

  /** Starts following (once); resolves after the first answer or failure, or `startTimeout`. */
  start(): Promise<void> {
    if (!this.#running) {
      this.#firstSync = new Promise<void>((resolve) => { this.#settleFirst = resolve; });
      this.#running = this.#run();
    }
    return Promise.race([this.#firstSync, sleep(this.#config.startTimeout * 1000, this.#stop.signal)]);
  }

  close(): void {
    this.#stop.abort();
    this.#settleFirst();
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      const startedAt = Date.now();
      const longPoll = this.#cursor !== undefined;
      try {
        const delivered = await this.#poll(signal);
        failures = 0;
        this.#settleFirst();
        if (longPoll && delivered === 0) await sleep(MIN_EMPTY_INTERVAL_MS - (Date.now() - startedAt), signal);
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof HttpStatusError && error.status === 400 && this.#cursor !== undefined) {
          this.#cursor = undefined; // the server forgot our cursor: start over from a snapshot
          continue;
        }
        this.#config.report(new Error("revocation feed poll failed", { cause: error }));
        this.#settleFirst();
        await sleep(this.#backoffMs(failures++), signal);
      }
    }
  }

  /** One request; returns how many entries it delivered. */
  async #poll(signal: AbortSignal): Promise<number> {
    const { endpoint, fetch, clock, sessions, wait } = this.#config;
    const url = new URL(await endpoint());
    if (this.#cursor !== undefined) {
      url.searchParams.set("since", this.#cursor);
      url.searchParams.set("wait", String(wait));
    }
    // The snapshot is awaited by the first verify; long polls run in the background.
    const { body } = await getJson(fetch, url.href, (wait + POLL_GRACE_SECONDS) * 1000, signal, this.#cursor !== undefined);
    if (!isObject(body) || typeof body.cursor !== "string" || !Array.isArray(body.revoked)) {
      throw new TypeError("revocation feed answer is not {cursor, revoked[]}");
    }
    const now = clock();
    for (const entry of body.revoked as unknown[]) {
      if (isObject(entry) && typeof entry.sid === "string" && typeof entry.exp === "number") sessions.add(entry.sid, entry.exp, now);
      else this.#config.report(new TypeError("revocation feed entry is not {sid, exp}; skipped"));
    }
    sessions.prune(now);
    this.#cursor = body.cursor;
    this.syncedAt = now;
    return body.revoked.length;
  }

  /** Jittered exponential backoff: a fleet of verifiers must not reconnect in lockstep. */
  #backoffMs(failures: number): number {
    const { minBackoff, maxBackoff } = this.#config;
    const ceiling = Math.min(maxBackoff, minBackoff * 2 ** failures) * 1000;
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}
