/**
 * The secrets email carries: link tokens (130 bits, Crockford base32, so the
 * same string works in a link and typed by hand, grouped by fives, in any
 * case, with I/L read as 1 and O as 0) and 6-digit codes. Link tokens are
 * stored as SHA-256; codes as an HMAC under a key derived from the master key
 * (a million codes would otherwise be hashed back in a second).
 */
import { createHmac, randomBytes, randomInt } from "node:crypto";
import { safeEqual, sha256 } from "../crypto-utils.js";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** 26 characters × 5 bits = 130 bits. */
export const LINK_TOKEN_LENGTH = 26;

export function newLinkToken(): string {
  const bytes = randomBytes(LINK_TOKEN_LENGTH);
  let out = "";
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

/** The canonical form of a typed or linked token, or undefined if it cannot be one. */
export function canonicalToken(raw: string): string | undefined {
  if (raw.length > 64) return undefined;
  const s = raw.toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  if (s.length !== LINK_TOKEN_LENGTH) return undefined;
  for (const c of s) if (!ALPHABET.includes(c)) return undefined;
  return s;
}

/** XXXXX-XXXXX-… for reading and typing. */
export function groupToken(token: string): string {
  return token.match(/.{1,5}/g)!.join("-");
}

export function hashLinkToken(canonical: string): string {
  return sha256(`email-token:${canonical}`);
}

export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

/** Bound to the user, so one code's hash says nothing about another user's. */
export function hashCode(key: Buffer, userId: string, code: string): string {
  return createHmac("sha256", key).update(`${userId}\n${code}`).digest("base64url");
}

export function codeMatches(key: Buffer, userId: string, code: string, stored: string): boolean {
  return safeEqual(hashCode(key, userId, code), stored);
}

export const CODE_SHAPE = /^\d{6}$/;

/**
 * A typed or pasted code in the form it was sent, or undefined if it cannot be one. Like a link
 * token, it may carry spaces and dashes ("826 901", " 826-901 ", from a phone's paste or a
 * grouped display) and full-width digits (NFKC): none of that is a wrong guess.
 */
export function canonicalCode(raw: string): string | undefined {
  if (raw.length > 64) return undefined;
  const s = raw.normalize("NFKC").replace(/[\s-]/g, "");
  return CODE_SHAPE.test(s) ? s : undefined;
}
