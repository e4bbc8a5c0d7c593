/**
 * The portable backend: jose over WebCrypto, for Deno, Bun, browsers and edge
 * workers (and Node when asked). jose re-checks the JWS itself, which costs a
 * second parse but keeps one well-tested signature path off Node.
 */
import { base64url, compactVerify, importJWK, type JWK } from "jose";
import type { Algorithm } from "../types.js";
import type { CryptoBackend } from "./crypto-backend.js";

const MIN_RSA_BITS = 2048;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export const webBackend: CryptoBackend = {
  name: "webcrypto",
  async importKey(jwk: JWK, alg: Algorithm): Promise<unknown> {
    // Same floor as the Node path: RSA under 2048 bits is refused at import.
    if (alg === "RS256" && base64url.decode(jwk.n ?? "").length * 8 < MIN_RSA_BITS) throw new TypeError("RSA key under 2048 bits");
    const key = await importJWK(jwk, alg);
    // A Uint8Array would be a symmetric secret: never a verification key here.
    if (key instanceof Uint8Array) throw new TypeError("symmetric keys are not accepted");
    return key;
  },
  async verify(alg, key, token): Promise<boolean> {
    try {
      await compactVerify(token, key as CryptoKey, { algorithms: [alg] });
      return true;
    } catch {
      return false;
    }
  },
  decodeSegment(segment: string): string {
    return utf8.decode(base64url.decode(segment));
  },
};
