/**
 * Recovery codes: ten per set, each 80 random bits shown as four groups of
 * four base32 characters (e.g. `K7QD-2MXA-PF4R-J3TW`; RFC 4648's alphabet, so
 * no 0, 1, 8 or 9 to misread). Stored as SHA-256 only. A slow password hash is
 * not needed: it exists to make guessing a *low-entropy* secret from its hash
 * expensive, and 2^80 candidates per code cannot be enumerated at any hash
 * speed; a fast hash also keeps the check off the hashing threads.
 */
import { randomBytes } from "node:crypto";
import { sha256 } from "../crypto-utils.js";
import { base32Encode } from "./totp.js";

export const RECOVERY_CODE_COUNT = 10;

export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => base32Encode(randomBytes(10)).match(/.{4}/g)!.join("-"));
}

/** Case, spaces and dashes do not matter when a code is typed back. */
export function normaliseRecoveryCode(code: string): string | undefined {
  const clean = code.replace(/[\s-]/g, "").toUpperCase();
  return /^[A-Z2-7]{16}$/.test(clean) ? clean : undefined;
}

export function hashRecoveryCode(code: string): string | undefined {
  const clean = normaliseRecoveryCode(code);
  return clean === undefined ? undefined : sha256(`recovery:${clean}`);
}
