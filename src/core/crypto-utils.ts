/** Small, dependency-free helpers around node:crypto used across the core. */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** `bytes` random bytes as base64url. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

/** SHA-256 as base64url: how refresh tokens, cookie secrets and client secrets are stored. */
export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("base64url");
}

/** Constant-time comparison of two strings (different lengths compare false). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
