/**
 * The longest access-token lifetime this deployment has ever configured, kept
 * in the store and only ever raised. Two things must last as long as the
 * longest-lived token still out there, not as long as the lifetime configured
 * now: a revocation-feed entry (else verifiers forget a revocation while a
 * token issued under the old, longer lifetime still lives) and a retired key's
 * place in the JWKS (else that token stops verifying early).
 */
import type { Store } from "../../store/index.js";

const MARK = "access_token_ttl";

export class TokenLifetime {
  readonly #store: Store;
  readonly #configured: number;
  #seconds: number;

  private constructor(store: Store, configured: number, seconds: number) {
    this.#store = store;
    this.#configured = configured;
    this.#seconds = seconds;
  }

  /**
   * Records the configured lifetime (seconds) and reads the longest one ever
   * recorded. `record: false` (admin commands, whose environment need not hold
   * the servers' settings) reads without raising the mark.
   */
  static async open(store: Store, configuredSeconds: number, options: { record?: boolean } = {}): Promise<TokenLifetime> {
    const record = options.record ?? true;
    const stored = await store.raiseHighWaterMark(MARK, record ? configuredSeconds : 0);
    return new TokenLifetime(store, record ? configuredSeconds : 0, Math.max(stored, configuredSeconds));
  }

  /** The longest access-token lifetime ever configured. */
  get longestSeconds(): number {
    return this.#seconds;
  }

  /** Re-reads the mark (another instance may have started with a longer lifetime since). */
  async refresh(): Promise<number> {
    this.#seconds = Math.max(this.#seconds, await this.#store.raiseHighWaterMark(MARK, this.#configured));
    return this.#seconds;
  }
}
