/**
 * Compact JWS signing and verification with synchronous node:crypto on
 * pre-imported KeyObjects. Not jose: its WebCrypto path runs on libuv's thread
 * pool, where it queues behind password hashes (DESIGN.md, "Hot paths").
 */
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from "node:crypto";
import type { SigningAlgorithm } from "./config.js";

export interface JwsHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [name: string]: unknown;
}

export interface DecodedJws {
  header: JwsHeader;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

function signatureParams(alg: SigningAlgorithm): { digest: string | null; dsaEncoding?: "ieee-p1363" } {
  switch (alg) {
    case "ES256": return { digest: "sha256", dsaEncoding: "ieee-p1363" };
    case "RS256": return { digest: "sha256" };
    case "EdDSA": return { digest: null };
  }
}

export function signJws(header: JwsHeader & { alg: SigningAlgorithm }, payload: object, key: KeyObject): string {
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  const { digest, dsaEncoding } = signatureParams(header.alg);
  const signature = cryptoSign(digest, Buffer.from(signingInput), dsaEncoding ? { key, dsaEncoding } : key);
  return `${signingInput}.${signature.toString("base64url")}`;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Splits and parses a compact JWS; undefined when it is not one. Verifies nothing. */
export function decodeJws(token: string): DecodedJws | undefined {
  if (token.length > 8192) return undefined;
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  if (!B64URL.test(h) || !B64URL.test(p) || !B64URL.test(s)) return undefined;
  try {
    const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as unknown;
    const payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as unknown;
    if (!isObject(header) || !isObject(payload) || typeof header.alg !== "string") return undefined;
    return { header: header as JwsHeader, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, "base64url") };
  } catch {
    return undefined;
  }
}

export function verifyJwsSignature(decoded: DecodedJws, alg: SigningAlgorithm, key: KeyObject): boolean {
  const { digest, dsaEncoding } = signatureParams(alg);
  if (alg === "ES256" && decoded.signature.length !== 64) return false;
  try {
    return cryptoVerify(digest, Buffer.from(decoded.signingInput), dsaEncoding ? { key, dsaEncoding } : key, decoded.signature);
  } catch {
    return false;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
