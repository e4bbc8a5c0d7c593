/**
 * The Node backend: synchronous `crypto.verify` on KeyObjects imported once.
 * jose's WebCrypto verify runs on libuv's thread pool and queues behind
 * argon2 hashes; this does not (DESIGN.md, "Hot paths stay off the thread pool").
 *
 * It receives the `node:crypto` module instead of importing it, so the
 * universal entry can hand it over from `process.getBuiltinModule` without a
 * static import that edge bundlers would choke on.
 */
import type * as NodeCrypto from "node:crypto";
import type { JWK } from "jose";
import type { Algorithm } from "../types.js";
import type { CryptoBackend } from "./crypto-backend.js";

const MIN_RSA_BITS = 2048;

/** Throws unless the key's actual type fits the algorithm (a JWK's `kty` alone is only a claim). */
function assertKeyFits(key: NodeCrypto.KeyObject, alg: Algorithm): void {
  const details = key.asymmetricKeyDetails ?? {};
  const fits =
    alg === "ES256" ? key.asymmetricKeyType === "ec" && details.namedCurve === "prime256v1"
    : alg === "RS256" ? key.asymmetricKeyType === "rsa" && (details.modulusLength ?? 0) >= MIN_RSA_BITS
    : key.asymmetricKeyType === "ed25519";
  if (!fits) throw new TypeError(`key does not fit ${alg}`);
}

export function createNodeBackend(crypto: typeof NodeCrypto): CryptoBackend {
  return {
    name: "node",
    async importKey(jwk: JWK, alg: Algorithm): Promise<unknown> {
      const key = crypto.createPublicKey({ key: jwk as NodeCrypto.JsonWebKey, format: "jwk" });
      assertKeyFits(key, alg);
      return key;
    },
    verify(alg, key, _token, signingInput, signature): boolean {
      const sig = Buffer.from(signature, "base64url");
      const data = Buffer.from(signingInput, "latin1");
      const keyObject = key as NodeCrypto.KeyObject;
      try {
        switch (alg) {
          // JWS carries ES256 signatures as raw r||s (64 bytes), not DER.
          case "ES256": return sig.length === 64 && crypto.verify("sha256", data, { key: keyObject, dsaEncoding: "ieee-p1363" }, sig);
          case "RS256": return crypto.verify("sha256", data, keyObject, sig);
          case "EdDSA": return crypto.verify(null, data, keyObject, sig);
        }
      } catch {
        return false;
      }
    },
    decodeSegment(segment: string): string {
      return Buffer.from(segment, "base64url").toString("utf8");
    },
  };
}
