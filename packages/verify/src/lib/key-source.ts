/**
 * Where verification keys come from: a local JWKS given in the options, or a
 * remote one (remote-jwks.ts). Both hand out keys by kid.
 */
import { VerifyError } from "../errors.js";
import type { CryptoBackend } from "./crypto-backend.js";
import { importKeySet, type KeyEntry, type KeySet } from "./key-set.js";

export interface KeySource {
  /** The key for `kid`, or a VerifyError (ERR_KEY_NOT_FOUND / ERR_JWKS_UNAVAILABLE). */
  get(kid: string): Promise<KeyEntry>;
  /** The key for `kid` if it is at hand right now (no waiting, no refetch); starts a stale refresh. */
  peek(kid: string): KeyEntry | undefined;
  /** Loads keys now; rejects with ERR_JWKS_UNAVAILABLE if there are none to be had. */
  load(): Promise<void>;
  /**
   * Starts a background refresh if the keys are stale. Called before every
   * cache lookup: a withdrawn key must empty the cache even when every request
   * hits it (a source that learns of it synchronously empties it at once).
   */
  touch(): void;
  readonly size: number;
  readonly loadedAt: number | null;
}

export class LocalKeys implements KeySource {
  readonly #pending: () => Promise<KeySet>;
  #keys: KeySet | undefined;
  #loadedAt: number | null = null;

  constructor(document: unknown, algorithms: ReadonlySet<string>, backend: CryptoBackend, report: (e: Error) => void, clock: () => number) {
    let once: Promise<KeySet> | undefined;
    // Imported on first use: importing is async, createVerifier is not.
    this.#pending = () => (once ??= importKeySet(document, algorithms, backend, report).then((keys) => {
      this.#keys = keys;
      this.#loadedAt = clock();
      return keys;
    }));
  }

  get size(): number { return this.#keys?.size ?? 0; }
  get loadedAt(): number | null { return this.#loadedAt; }

  async load(): Promise<void> {
    await this.#pending();
  }

  touch(): void {
    // Local keys never go stale.
  }

  peek(kid: string): KeyEntry | undefined {
    return this.#keys?.get(kid);
  }

  async get(kid: string): Promise<KeyEntry> {
    const keys = this.#keys ?? await this.#pending();
    const entry = keys.get(kid);
    if (!entry) throw new VerifyError("ERR_KEY_NOT_FOUND", { claim: "kid" });
    return entry;
  }
}
