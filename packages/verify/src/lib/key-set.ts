/**
 * Turns a JWKS document into verification keys by kid. A key is used only for
 * the one algorithm it is for: its `alg` when published (Tessera always
 * publishes it), else the algorithm its type implies. So an RSA key can never
 * verify an HS256 token, and an EC key never an RS256 one.
 */
import type { JWK } from "jose";
import type { Algorithm } from "../types.js";
import type { CryptoBackend } from "./crypto-backend.js";
import { isObject } from "./http.js";

export interface KeyEntry {
  kid: string;
  alg: Algorithm;
  key: unknown;
}

export type KeySet = ReadonlyMap<string, KeyEntry>;

/** Which key types fit which algorithm, and the members that make up the public key. */
const SHAPES: Record<Algorithm, { kty: string; crv?: string; members: string[] }> = {
  ES256: { kty: "EC", crv: "P-256", members: ["kty", "crv", "x", "y"] },
  RS256: { kty: "RSA", members: ["kty", "n", "e"] },
  EdDSA: { kty: "OKP", crv: "Ed25519", members: ["kty", "crv", "x"] },
};

function algorithmOf(jwk: Record<string, unknown>): Algorithm | undefined {
  if (typeof jwk.alg === "string") return Object.hasOwn(SHAPES, jwk.alg) ? (jwk.alg as Algorithm) : undefined;
  return (Object.keys(SHAPES) as Algorithm[]).find((alg) => SHAPES[alg].kty === jwk.kty && SHAPES[alg].crv === jwk.crv);
}

/** The public members only: a JWKS that leaks `d` must not make us import a private key. */
function publicPart(jwk: Record<string, unknown>, alg: Algorithm): JWK | undefined {
  const shape = SHAPES[alg];
  if (jwk.kty !== shape.kty || (shape.crv !== undefined && jwk.crv !== shape.crv)) return undefined;
  const out: Record<string, unknown> = {};
  for (const member of shape.members) {
    if (typeof jwk[member] !== "string") return undefined;
    out[member] = jwk[member];
  }
  return out as JWK;
}

function usableForVerify(jwk: Record<string, unknown>): boolean {
  if (jwk.use !== undefined && jwk.use !== "sig") return false;
  return jwk.key_ops === undefined || (Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify"));
}

/**
 * Imports every usable key. Keys that are malformed, not for signing, of a
 * refused algorithm, or without a kid are skipped and reported, not fatal:
 * one odd key must not take the others down.
 */
export async function importKeySet(
  document: unknown, algorithms: ReadonlySet<string>, backend: CryptoBackend, report: (error: Error) => void,
): Promise<KeySet> {
  if (!isObject(document) || !Array.isArray(document.keys)) throw new TypeError("JWKS document has no keys array");
  const keys = new Map<string, KeyEntry>();
  for (const jwk of document.keys as unknown[]) {
    if (!isObject(jwk) || typeof jwk.kid !== "string" || !usableForVerify(jwk)) continue;
    if (keys.has(jwk.kid)) { report(new TypeError(`JWKS has two keys with kid ${jwk.kid}; the first wins`)); continue; }
    const alg = algorithmOf(jwk);
    if (alg === undefined || !algorithms.has(alg)) continue;
    const pub = publicPart(jwk, alg);
    if (!pub) { report(new TypeError(`JWKS key ${jwk.kid} does not fit ${alg}`)); continue; }
    try {
      keys.set(jwk.kid, { kid: jwk.kid, alg, key: await backend.importKey(pub, alg) });
    } catch (cause) {
      report(new TypeError(`JWKS key ${jwk.kid} could not be imported`, { cause }));
    }
  }
  return keys;
}
