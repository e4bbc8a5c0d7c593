/**
 * The issuer's JWKS, fetched and cached by its `Cache-Control`.
 *
 * - Stale keys keep serving while a refresh runs in the background, and keep
 *   serving if it fails: an outage of the JWKS endpoint must not become an
 *   outage of every API behind it.
 * - An unknown kid triggers one refetch (single-flight, at most once per
 *   cooldown), so a key rotation never causes a burst of failures, and a
 *   stream of forged kids cannot turn us into a flood against the issuer.
 */
import { VerifyError } from "../errors.js";
import type { FetchLike } from "../types.js";
import type { CryptoBackend } from "./crypto-backend.js";
import { getJson } from "./http.js";
import type { KeySource } from "./key-source.js";
import { importKeySet, type KeyEntry, type KeySet } from "./key-set.js";
import { cacheLifetime, type MaxAgeBounds } from "./max-age.js";

export interface RemoteJwksConfig extends MaxAgeBounds {
  uri: () => Promise<string>;
  fetch: FetchLike;
  clock: () => number;
  backend: CryptoBackend;
  algorithms: ReadonlySet<string>;
  /** seconds */
  cooldown: number;
  /** seconds */
  timeout: number;
  report: (error: Error) => void;
  /** Called when a key was withdrawn: tokens cached under it must go. */
  onChange: () => void;
}

/** With no keys at all, retry this often rather than once per cooldown. */
const NO_KEYS_RETRY_MS = 1000;

export class RemoteJwks implements KeySource {
  readonly #config: RemoteJwksConfig;
  #keys: KeySet | undefined;
  #loadedAt: number | null = null;
  #freshUntil = 0;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;

  constructor(config: RemoteJwksConfig) {
    this.#config = config;
  }

  get size(): number { return this.#keys?.size ?? 0; }
  get loadedAt(): number | null { return this.#loadedAt; }

  async load(): Promise<void> {
    if (this.#keys) return;
    const now = this.#config.clock();
    if (now - this.#lastAttempt >= NO_KEYS_RETRY_MS || this.#inflight) await this.#refresh().catch(() => undefined);
    if (!this.#keys) throw new VerifyError("ERR_JWKS_UNAVAILABLE");
  }

  touch(): void {
    const now = this.#config.clock();
    if (this.#keys && now >= this.#freshUntil && !this.#inflight && now - this.#lastAttempt >= this.#config.cooldown * 1000) {
      void this.#refresh().catch(() => undefined);
    }
  }

  peek(kid: string): KeyEntry | undefined {
    this.touch();
    return this.#keys?.get(kid);
  }

  async get(kid: string): Promise<KeyEntry> {
    if (!this.#keys) await this.load();
    this.touch();
    let entry = this.#keys?.get(kid);
    if (!entry && (this.#inflight || this.#config.clock() - this.#lastAttempt >= this.#config.cooldown * 1000)) {
      await this.#refresh().catch(() => undefined);
      entry = this.#keys?.get(kid);
    }
    if (!entry) throw new VerifyError("ERR_KEY_NOT_FOUND", { claim: "kid" });
    return entry;
  }

  /** Single-flight: every caller during a fetch shares it. */
  #refresh(): Promise<void> {
    this.#inflight ??= this.#fetch().finally(() => { this.#inflight = undefined; });
    return this.#inflight;
  }

  async #fetch(): Promise<void> {
    const config = this.#config;
    this.#lastAttempt = config.clock();
    try {
      const uri = await config.uri();
      const { body, cacheControl } = await getJson(config.fetch, uri, config.timeout * 1000);
      const keys = await importKeySet(body, config.algorithms, config.backend, config.report);
      const withdrawn = this.#keys !== undefined && lostAKey(this.#keys, keys);
      this.#keys = keys;
      this.#loadedAt = config.clock();
      this.#freshUntil = this.#loadedAt + cacheLifetime(cacheControl, config) * 1000;
      if (withdrawn) config.onChange();
    } catch (cause) {
      config.report(new Error("JWKS refresh failed; keeping the last good keys", { cause }));
      throw cause;
    }
  }
}

/** True when a kid of `before` is gone from `after` (a retired or revoked key). */
function lostAKey(before: KeySet, after: KeySet): boolean {
  for (const kid of before.keys()) if (!after.has(kid)) return true;
  return false;
}
