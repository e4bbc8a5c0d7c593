/**
 * Refresh tokens: `tsr_` + 256 random bits for the first of a session; each
 * successor is `tsr_` + HMAC(key, predecessor). Deriving the successor, instead
 * of drawing it at random, is what lets every racer inside the grace window get
 * the *same* current token while the store keeps only hashes (docs/refresh-rotation.md).
 */
import { createHmac } from "node:crypto";
import { randomToken, sha256 } from "./crypto-utils.js";

export const REFRESH_TOKEN_PREFIX = "tsr_";
const SHAPE = /^tsr_[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(): string {
  return REFRESH_TOKEN_PREFIX + randomToken(32);
}

export function successorOf(key: Buffer, token: string): string {
  return REFRESH_TOKEN_PREFIX + createHmac("sha256", key).update(token).digest("base64url");
}

/** True when the string could be one of ours (saves a lookup for garbage). */
export function looksLikeRefreshToken(token: string): boolean {
  return SHAPE.test(token);
}

export function hashRefreshToken(token: string): string {
  return sha256(token);
}
