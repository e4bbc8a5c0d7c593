/**
 * The key ring as the verification pipeline's key source: the keys the ring
 * publishes, by kid, handed out as its own KeyObjects (no JWKS round trip).
 *
 * - An unknown kid reloads the ring once and looks again: another instance
 *   may have created the key a moment ago (an emergency revocation signs with
 *   a new key at once). The ring allows one such reload per 5 s, so forged
 *   kids cannot turn requests into store reads.
 * - A key the ring stops publishing (revoked as compromised, or expired)
 *   empties the verified-token cache before the next lookup, so no cached
 *   token of that key passes again.
 */
import { VerifyError, type KeyEntry, type KeySource } from "@tessera/verify/key-source";
import type { KeyRing } from "../keys/key-ring.js";

export class RingKeySource implements KeySource {
  readonly #ring: KeyRing;
  readonly #onWithdrawn: () => void;
  /** Entries handed out, by kid: the pipeline compares them by identity. */
  readonly #entries = new Map<string, KeyEntry>();

  /** `onWithdrawn` runs when a key handed out before is no longer published: drop the cached tokens. */
  constructor(ring: KeyRing, onWithdrawn: () => void) {
    this.#ring = ring;
    this.#onWithdrawn = onWithdrawn;
  }

  get size(): number { return this.#entries.size; }
  get loadedAt(): number | null { return null; }

  async load(): Promise<void> {
    // The ring is loaded when the server starts.
  }

  touch(): void {
    let withdrawn = false;
    for (const [kid, entry] of this.#entries) {
      if (this.#ring.verificationKey(kid)?.key === entry.key) continue;
      this.#entries.delete(kid);
      withdrawn = true;
    }
    if (withdrawn) this.#onWithdrawn();
  }

  peek(kid: string): KeyEntry | undefined {
    const published = this.#ring.verificationKey(kid);
    if (published === undefined) return undefined;
    const known = this.#entries.get(kid);
    if (known?.key === published.key) return known;
    const entry: KeyEntry = { kid, alg: published.alg, key: published.key };
    this.#entries.set(kid, entry);
    return entry;
  }

  async get(kid: string): Promise<KeyEntry> {
    const entry = this.peek(kid) ?? ((await this.#ring.reloadForUnknownKid(kid)) ? this.peek(kid) : undefined);
    if (entry === undefined) throw new VerifyError("ERR_KEY_NOT_FOUND", { claim: "kid", reason: "unknown, expired or revoked kid" });
    return entry;
  }
}
