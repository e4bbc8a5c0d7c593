/**
 * Test keys and tokens, signed with node:crypto the way Tessera's server signs
 * them, plus a raw `craft` for forged ones (any header, any payload, any
 * signature bytes).
 */
import { createHash, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from "node:crypto";
import type { Algorithm } from "../../../packages/verify/src/index.js";

export interface TestKey {
  alg: Algorithm;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** As published in JWKS: with kid, alg, use. */
  jwk: JsonWebKey & { kid: string; alg: string; use: "sig" };
}

/** RFC 7638 thumbprint, as the server computes kids. */
function thumbprint(jwk: JsonWebKey): string {
  const members = jwk.kty === "EC" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    : jwk.kty === "RSA" ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
    : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}

export function makeKey(alg: Algorithm = "ES256", modulusLength = 2048): TestKey {
  const pair = alg === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : alg === "RS256" ? generateKeyPairSync("rsa", { modulusLength })
    : generateKeyPairSync("ed25519");
  const pub = pair.publicKey.export({ format: "jwk" });
  const kid = thumbprint(pub);
  return { alg, kid, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk: { ...pub, kid, alg, use: "sig" } };
}

export const ISSUER_PLACEHOLDER = "http://issuer.test";

export function b64(value: unknown): string {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

/** Valid Tessera access-token claims at `nowMs` for `issuer`. */
export function claimsFor(issuer: string, nowMs = Date.now(), extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(nowMs / 1000);
  return {
    iss: issuer, sub: "user-1", aud: issuer, exp: now + 900, iat: now, jti: `jti-${Math.random()}`,
    client_id: "tessera-web", sid: "session-1", scope: "orders:read profile", roles: ["user"], ...extra,
  };
}

export function signWith(key: TestKey, signingInput: string, alg: Algorithm = key.alg): string {
  const data = Buffer.from(signingInput);
  const sig = alg === "ES256" ? sign("sha256", data, { key: key.privateKey, dsaEncoding: "ieee-p1363" })
    : alg === "RS256" ? sign("sha256", data, key.privateKey)
    : sign(null, data, key.privateKey);
  return sig.toString("base64url");
}

/** A properly signed token; `header` entries override (undefined removes one). */
export function signToken(key: TestKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const fullHeader = Object.fromEntries(
    Object.entries({ alg: key.alg, kid: key.kid, typ: "at+jwt", ...header }).filter(([, v]) => v !== undefined),
  );
  const input = `${b64(fullHeader)}.${b64(claims)}`;
  return `${input}.${signWith(key, input)}`;
}

/** An arbitrary compact token (no signing). */
export function craft(header: unknown, payload: unknown, signature = "c2ln"): string {
  return `${b64(header)}.${b64(payload)}.${signature}`;
}
