/**
 * The written contract between the core and the database. The core calls only
 * these methods; every SQL statement lives behind them (kysely-store.ts), and
 * writes that belong together happen inside one method, in one transaction.
 */
import type { FactorStore } from "./factor-queries.js";
import type { EmailTokenRow, EmailWrites, OutboxQuery, OutboxRow, SpentEmailToken } from "./email-queries.js";
import type { ApiResourcesTable, AuditEventsTable, ClientsTable, PasswordResetsTable, SessionsTable, SigningKeysTable, UsersTable } from "./schema.js";

export type UserRow = UsersTable;
export type ClientRow = ClientsTable;
export type SessionRow = SessionsTable;
export type SigningKeyRow = SigningKeysTable;
/** An audit row as read back (with its sequence number). */
export type AuditEventRow = Omit<AuditEventsTable, "id"> & { id: number };
export type NewAuditEvent = Omit<AuditEventsTable, "id">;
export type PasswordResetRow = PasswordResetsTable;
export type ApiResourceRow = ApiResourcesTable;
export type { EmailTokenRow, EmailWrites, OutboxQuery, OutboxRow, SpentEmailToken } from "./email-queries.js";

/**
 * What a protected route needs of a session and its user, and no more: no
 * hashes, no secrets. Every Bearer request reads one, so it is kept narrow
 * (11 columns read in 3.9 µs against 6.6 µs for the two whole rows,
 * better-sqlite3 on the benchmark machine; docs/performance.md).
 */
export type SessionView = Pick<SessionRow, "id" | "client_id" | "last_used_at" | "expires_at" | "revoked_at" | "revoked_reason">;
export type UserView = Pick<UserRow, "id" | "username" | "email" | "roles" | "disabled_at" | "email_verified_at">;

export interface AuditQuery {
  types?: string[];
  userId?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** Only rows with id below this (keyset paging, newest first). */
  before?: number;
  limit: number;
}

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

export interface UserListQuery {
  search?: string;
  limit: number;
  /** Return users whose username_key sorts after this one (keyset paging). */
  after?: string;
}

export interface Store {
  readonly dialect: "sqlite" | "postgres";

  /** Inserts a user (with the email writes it causes, in one transaction); resolves false when the username is taken. */
  insertUser(user: UserRow, writes?: EmailWrites): Promise<boolean>;
  findUserById(id: string): Promise<UserRow | undefined>;
  findUserByUsernameKey(key: string): Promise<UserRow | undefined>;
  findUserBySkeleton(skeleton: string): Promise<UserRow | undefined>;
  /** Accounts left without a skeleton by migration 004 (look-alikes of older accounts). */
  listUsersWithoutSkeleton(): Promise<UserRow[]>;
  listUsers(query: UserListQuery): Promise<UserRow[]>;
  updateUser(id: string, changes: Partial<Omit<UserRow, "id" | "created_at">>): Promise<boolean>;
  /** Sets the password hash and ends every session of the user but `keepSessionId`; returns the ended ids. */
  changePassword(userId: string, passwordHash: string, keepSessionId: string | null, end: SessionEnd): Promise<string[]>;

  insertClient(client: ClientRow): Promise<boolean>;
  /** Inserts or refreshes a built-in client (its row follows the code). */
  upsertClient(client: ClientRow): Promise<void>;
  findClient(id: string): Promise<ClientRow | undefined>;
  listClients(): Promise<ClientRow[]>;
  /** Disables, enables or re-keys a client; resolves false when it does not exist. */
  updateClient(id: string, changes: Partial<Pick<ClientRow, "secret_hash" | "disabled_at">>): Promise<boolean>;
  /** Deletes a client row; resolves false when it does not exist. */
  deleteClient(id: string): Promise<boolean>;

  /** Registers an API (RFC 8707 resource); resolves false when the identifier is taken. */
  insertApiResource(api: ApiResourceRow): Promise<boolean>;
  findApiResource(identifier: string): Promise<ApiResourceRow | undefined>;
  listApiResources(): Promise<ApiResourceRow[]>;
  updateApiResource(identifier: string, changes: Partial<Pick<ApiResourceRow, "name" | "scopes" | "grants" | "updated_at">>): Promise<boolean>;
  deleteApiResource(identifier: string): Promise<boolean>;

  insertSigningKey(key: SigningKeyRow): Promise<void>;
  listSigningKeys(): Promise<SigningKeyRow[]>;
  updateSigningKey(kid: string, changes: Partial<Pick<SigningKeyRow, "retires_at" | "expires_at" | "revoked_at" | "activates_at">>): Promise<void>;
  deleteSigningKeys(kids: string[]): Promise<void>;

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

  /** Raises the mark `name` to `value` if it is lower (one atomic upsert); resolves the mark as stored now. */
  raiseHighWaterMark(name: string, value: number): Promise<number>;

  /** Revocations with seq > `afterSeq` whose tokens may still be valid at `nowSeconds`. */
  revocationsSince(afterSeq: number, nowSeconds: number): Promise<Revocation[]>;
  latestRevocationSeq(): Promise<number>;

  /** Deletes sessions past their absolute or idle end and revocations past their exp. */
  sweep(now: number, idleCutoff: number, graceMs: number): Promise<{ sessions: number; revocations: number }>;
  /** Sessions neither ended nor past their absolute or idle end (the active-sessions metric). */
  countLiveSessions(now: number, idleCutoff: number): Promise<number>;

  /** Appends audit rows (one statement per chunk). */
  insertAuditEvents(rows: NewAuditEvent[]): Promise<void>;
  /** Newest first. */
  queryAuditEvents(query: AuditQuery): Promise<AuditEventRow[]>;
  /** Deletes audit rows older than `before` (epoch ms); returns how many. */
  pruneAuditEvents(before: number): Promise<number>;

  /**
   * Forced reset: sets an unguessable password hash, replaces any earlier reset
   * token of the user with this one, and ends every session — together.
   */
  forcePasswordReset(reset: PasswordResetRow, passwordHash: string, end: SessionEnd): Promise<string[]>;
  /**
   * Spends a reset token: if it exists and has not expired at `end.now`, deletes it,
   * sets the new hash and ends every session of its user — together. Undefined otherwise.
   */
  consumePasswordReset(tokenHash: string, passwordHash: string, end: SessionEnd): Promise<{ userId: string; ended: string[] } | undefined>;
  findPasswordReset(tokenHash: string): Promise<PasswordResetRow | undefined>;

  /** Second factors, recovery codes, mfa tokens and WebAuthn challenges (factor-queries.ts). */
  readonly factors: FactorStore;
  // Email (docs/email.md; email-queries.ts).
  /** Writes secrets and the messages carrying them, together. */
  writeEmail(writes: EmailWrites): Promise<void>;
  findUserByVerifiedEmail(key: string): Promise<UserRow | undefined>;
  findEmailToken(secretHash: string): Promise<EmailTokenRow | undefined>;
  /** Spends a verification token of one of `purposes` and verifies its address; "conflict" when the address is verified by another user. */
  spendVerification(secretHash: string, purposes: string[], now: number): Promise<SpentEmailToken | "conflict" | undefined>;
  /** False when another user holds this address verified. */
  markEmailVerified(userId: string, email: string, key: string, now: number): Promise<boolean>;
  /** Takes one attempt on the user's live code before it is compared (undefined: no live code, or no attempts left). */
  reserveCodeAttempt(userId: string, purpose: string, now: number, maxAttempts: number): Promise<Pick<EmailTokenRow, "id" | "secret_hash" | "email_key"> | undefined>;
  spendCode(id: string, now: number): Promise<boolean>;
  /** Claims due outbox messages for `owner` until `leaseUntil` (each attempt counted). */
  claimOutbox(owner: string, now: number, leaseUntil: number, limit: number): Promise<OutboxRow[]>;
  settleOutbox(id: string, owner: string, outcome: { status: "sent"; at: number } | { status: "pending"; nextAttemptAt: number; error: string } | { status: "failed"; at: number; error: string }): Promise<boolean>;
  listOutbox(query: OutboxQuery): Promise<OutboxRow[]>;
  countOutbox(): Promise<Record<string, number>>;
  sweepEmail(sentBefore: number, failedBefore: number, now: number): Promise<{ messages: number; secrets: number }>;

  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** True when `error` means the database cannot answer now (the server answers 503, not 500). */
  isUnavailable(error: unknown): boolean;
}
