/**
 * Verified tokens, so a repeated token costs a map lookup instead of a
 * signature check. Bounded by count and by estimated bytes; least recently
 * used first out (a Map iterates in insertion order, and a hit re-inserts).
 *
 * An entry never outlives the token's `exp` (no clock tolerance here: past
 * exp, the full path decides). Revocation is not cached: the caller checks
 * the session on every hit.
 */
import type { AccessTokenClaims } from "../types.js";

interface Entry {
  claims: AccessTokenClaims;
  /** ms epoch */
  expiresAt: number;
  bytes: number;
}

/** Rough per-entry overhead: the claims object and the map slot. */
const ENTRY_OVERHEAD_BYTES = 256;

export class TokenCache {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(maxEntries: number, maxBytes: number) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  get size(): number { return this.#entries.size; }
  get bytes(): number { return this.#bytes; }

  get(token: string, now: number): AccessTokenClaims | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    this.#entries.delete(token);
    if (now >= entry.expiresAt) {
      this.#bytes -= entry.bytes;
      return undefined;
    }
    this.#entries.set(token, entry);
    return entry.claims;
  }

  set(token: string, claims: AccessTokenClaims, now: number): void {
    const expiresAt = claims.exp * 1000;
    // The token string is held once as the key; its claims take about as much again.
    const bytes = token.length * 2 + ENTRY_OVERHEAD_BYTES;
    if (expiresAt <= now || bytes > this.#maxBytes) return;
    this.delete(token);
    while (this.#entries.size >= this.#maxEntries || this.#bytes + bytes > this.#maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
    this.#entries.set(token, { claims, expiresAt, bytes });
    this.#bytes += bytes;
  }

  delete(token: string): void {
    const entry = this.#entries.get(token);
    if (entry === undefined) return;
    this.#entries.delete(token);
    this.#bytes -= entry.bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
