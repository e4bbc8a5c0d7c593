/**
 * Refresh tokens: `tsr_<session id>.<body>`, where the body is 32 secret bytes
 * and a 16-byte tag, base64url. The secret of a session's first token is random;
 * each successor's secret is HMAC(k₁, predecessor). The tag is HMAC(k₂, session
 * id ‖ secret), so the server can tell a token it issued from a forgery without
 * looking anything up.
 *
 * Why this shape (docs/refresh-rotation.md):
 * - the session id makes the lookup a primary-key read of the session row, and a
 *   rotation one UPDATE of that row holding the hash of the current token — no
 *   table of every token ever issued, whose random-keyed index cost more than
 *   everything else a refresh does;
 * - the derived successor lets every racer inside the grace window receive the
 *   *same* current token although the store keeps only its SHA-256;
 * - the tag proves an old token genuine, so its reuse can end the session
 *   (reuse detection) while a made-up token naming someone's session cannot.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { sha256 } from "../crypto-utils.js";
import { deriveKey } from "../keys/master-key.js";

export const REFRESH_TOKEN_PREFIX = "tsr_";
const SECRET_BYTES = 32;
const TAG_BYTES = 16;
const SHAPE = /^tsr_([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{64})$/;

/** The two HMAC keys, both derived from the master key. */
export interface RefreshTokenKeys {
  successor: Buffer;
  tag: Buffer;
}

export function refreshTokenKeys(masterKey: Buffer): RefreshTokenKeys {
  return { successor: deriveKey(masterKey, "refresh-successor"), tag: deriveKey(masterKey, "refresh-tag") };
}

function tagOf(keys: RefreshTokenKeys, sessionId: string, secret: Buffer): Buffer {
  return createHmac("sha256", keys.tag).update(sessionId).update(secret).digest().subarray(0, TAG_BYTES);
}

function format(keys: RefreshTokenKeys, sessionId: string, secret: Buffer): string {
  const body = Buffer.concat([secret, tagOf(keys, sessionId, secret)]).toString("base64url");
  return `${REFRESH_TOKEN_PREFIX}${sessionId}.${body}`;
}

/** The first refresh token of a session (session ids are 16 random bytes, base64url). */
export function newRefreshToken(keys: RefreshTokenKeys, sessionId: string): string {
  return format(keys, sessionId, randomBytes(SECRET_BYTES));
}

/** The token that replaces `token` (which must have passed `parseRefreshToken`). */
export function successorOf(keys: RefreshTokenKeys, sessionId: string, token: string): string {
  return format(keys, sessionId, createHmac("sha256", keys.successor).update(token).digest());
}

/**
 * The session a token names, if the server issued it (the tag checks out); undefined
 * for anything else. Says nothing about whether the token is still current.
 */
export function parseRefreshToken(keys: RefreshTokenKeys, token: string): { sessionId: string } | undefined {
  const match = SHAPE.exec(token);
  if (!match) return undefined;
  const sessionId = match[1]!;
  const body = Buffer.from(match[2]!, "base64url");
  if (body.length !== SECRET_BYTES + TAG_BYTES) return undefined;
  const secret = body.subarray(0, SECRET_BYTES);
  return timingSafeEqual(body.subarray(SECRET_BYTES), tagOf(keys, sessionId, secret)) ? { sessionId } : undefined;
}

/** True when the string has the shape of one of ours (for routing a token to the right check). */
export function looksLikeRefreshToken(token: string): boolean {
  return token.startsWith(REFRESH_TOKEN_PREFIX);
}

export function hashRefreshToken(token: string): string {
  return sha256(token);
}
