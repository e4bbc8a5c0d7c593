/**
 * The seam between the verification pipeline and a crypto implementation:
 * synchronous node:crypto on Node (see DESIGN.md, "Hot paths stay off the
 * thread pool"), jose over WebCrypto everywhere else.
 */
import type { JWK } from "jose";
import type { Algorithm } from "../types.js";

export interface CryptoBackend {
  readonly name: "node" | "webcrypto";
  /** Imports a public JWK for one algorithm; throws when the key does not fit it. */
  importKey(jwk: JWK, alg: Algorithm): Promise<unknown>;
  /**
   * Checks the signature of `signingInput` (the first two segments). Returns
   * false rather than throwing for a bad signature. Synchronous on Node.
   */
  verify(alg: Algorithm, key: unknown, token: string, signingInput: string, signature: string): boolean | Promise<boolean>;
  /** Decodes one base64url segment to a UTF-8 string; throws on bad input. */
  decodeSegment(segment: string): string;
}
