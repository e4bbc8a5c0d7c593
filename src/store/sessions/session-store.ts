/**
 * Sessions: a session's row (with its refresh chain: generation and current
 * token's hash), the compare-and-set that rotates it, its ending, and the
 * revocation feed each ending appends to.
 */
import type { SessionsTable } from "../schema.js";
import type { UserRow } from "../users/user-store.js";

export type SessionRow = SessionsTable;

/**
 * What a protected route needs of a session and its user, and no more: no
 * hashes, no secrets. Every Bearer request reads one, so it is kept narrow
 * (11 columns read in 3.9 µs against 6.6 µs for the two whole rows,
 * better-sqlite3 on the benchmark machine; docs/performance.md).
 */
export type SessionView = Pick<SessionRow, "id" | "client_id" | "last_used_at" | "expires_at" | "revoked_at" | "revoked_reason">;
export type UserView = Pick<UserRow, "id" | "username" | "email" | "roles" | "disabled_at" | "email_verified_at">;

export interface Revocation {
  seq: number;
  sessionId: string;
  /** Epoch seconds. */
  exp: number;
}

/** What to record when a session ends: why, when, and how long its access tokens may live. */
export interface SessionEnd {
  reason: string;
  /** Epoch ms. */
  now: number;
  /** Epoch seconds: the latest expiry of any access token the session issued. */
  tokensExpireAt: number;
}

export interface SessionStore {
  /** Creates a session (a token session's row holds the hash of its first refresh token). */
  createSession(session: SessionRow): Promise<void>;
  findSession(id: string): Promise<SessionRow | undefined>;
  /** The session and its user, whole rows (the refresh grant). */
  findSessionWithUser(id: string): Promise<{ session: SessionRow; user: UserRow } | undefined>;
  /** One round trip for protected routes: what they need of the session and its user. */
  findSessionView(id: string): Promise<{ session: SessionView; user: UserView } | undefined>;
  findSessionByCookieHash(hash: string): Promise<{ session: SessionRow; user: UserRow } | undefined>;
  /**
   * Moves the session from generation `fromGeneration` to the next, holding the
   * successor token's hash, in one statement and only if no one else moved it
   * first. Resolves false when the compare-and-set lost (another request rotated,
   * or the session ended).
   */
  rotateRefreshToken(sessionId: string, fromGeneration: number, successorHash: string, now: number): Promise<boolean>;
  /** Sliding expiry for cookie sessions (and last-use bookkeeping). */
  touchSession(id: string, now: number): Promise<void>;
  listLiveSessions(userId: string, now: number, idleCutoff: number): Promise<SessionRow[]>;
  /** Ends one live session; resolves false if it was already ended or does not exist. */
  endSession(id: string, end: SessionEnd): Promise<boolean>;
  /** Ends every live session of a user; returns the ended ids. */
  endUserSessions(userId: string, end: SessionEnd): Promise<string[]>;

  /** Revocations with seq > `afterSeq` whose tokens may still be valid at `nowSeconds`. */
  revocationsSince(afterSeq: number, nowSeconds: number): Promise<Revocation[]>;
  latestRevocationSeq(): Promise<number>;

  /** Deletes sessions past their absolute or idle end (or ended) more than `retentionMs` ago, and revocations past their exp. */
  sweep(now: number, idleCutoff: number, retentionMs: number): Promise<{ sessions: number; revocations: number }>;
  /** Sessions neither ended nor past their absolute or idle end (the active-sessions metric). */
  countLiveSessions(now: number, idleCutoff: number): Promise<number>;
}
