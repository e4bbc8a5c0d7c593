/**
 * Sessions: starting one, its deadlines, ending it. A session is one sign-in:
 * a family of refresh tokens of which only the newest is live. Rotation, the
 * grace window and reuse detection are the named steps of refresh.ts
 * (docs/refresh-rotation.md).
 */
import type { ClientRow, SessionRow, SessionView, Store, UserRow, UserView } from "../../store/index.js";
import { randomToken } from "../crypto-utils.js";
import { TesseraError } from "../errors.js";
import type { AuthEvents } from "../events.js";
import { refreshSession, refreshTokenOwner } from "./refresh.js";
import { hashRefreshToken, newRefreshToken, type RefreshTokenKeys } from "./refresh-token-format.js";

export interface SessionPolicy {
  /** Without use for this long, a session ends. */
  idleTimeoutMs: number;
  /** This long after sign-in, a session ends. */
  absoluteLifetimeMs: number;
  /** After a rotation, the predecessor still returns the current token for this long. */
  graceWindowMs: number;
  /** The longest an access token lives (the longest lifetime ever configured): how long a revocation must be published. */
  longestAccessTokenTtlMs: number;
}

/**
 * How a sign-in authenticated (RFC 8176 `amr`, and when), recorded on its
 * session so every access token of the session says the same.
 */
export interface SessionAuth {
  amr: string[];
  /** Epoch ms of the last authentication step. */
  authTime: number;
  /** True when nothing more is owed: a second step was passed, or a passkey with user verification. */
  complete?: boolean;
}

/**
 * Asked before any session starts whose sign-in is not `complete`: throws
 * (mfa_required) when the user owes a second step. Every first step — the
 * password, an emailed code, anything added later — turns into a session
 * here, so none can skip it.
 */
export type SignInGate = (user: UserRow, client: ClientRow, scope: string, auth: SessionAuth, kind: "token" | "cookie", resource: string | null) => Promise<void>;

export interface SessionServiceOptions {
  /** The second-step decision (core/mfa/second-step.ts). */
  gate?: SignInGate;
  store: Store;
  events: AuthEvents;
  policy: SessionPolicy;
  /** HMAC keys for successor tokens and their tags (derived from the master key). */
  refreshKeys: RefreshTokenKeys;
  now: () => number;
}

export interface RequestMeta {
  ip?: string | undefined;
  userAgent?: string | undefined;
  /** Aborted when the client closed the request: work still queued for it (a password hash) is dropped. */
  signal?: AbortSignal | undefined;
}

export interface RefreshResult {
  session: SessionRow;
  user: UserRow;
  refreshToken: string;
  /** True when this answer repeated a rotation that already happened (grace window). */
  repeated: boolean;
}

/** A refresh token the server issued, with its session, user, and whether it is the current one. */
export interface RefreshTokenOwner {
  session: SessionRow;
  user: UserRow;
  current: boolean;
}

export type SessionEndReason =
  | "logout" | "logout_all" | "revoked" | "password_changed" | "refresh_token_reuse"
  | "idle_timeout" | "absolute_lifetime" | "user_disabled" | "admin" | "password_reset";

/** Who ended a session and from where, for the audit log (all optional). */
export interface EndContext extends RequestMeta {
  userId?: string | undefined;
  /** An admin's id or `cli`, when not the user. */
  actor?: string | undefined;
}

/** The earlier of a session's absolute end and its idle deadline (epoch ms). */
export function sessionDeadline(session: Pick<SessionRow, "expires_at" | "last_used_at">, idleTimeoutMs: number): number {
  return Math.min(session.expires_at, session.last_used_at + idleTimeoutMs);
}

export class SessionService {
  readonly #o: SessionServiceOptions;

  constructor(options: SessionServiceOptions) {
    this.#o = options;
  }

  get policy(): SessionPolicy {
    return this.#o.policy;
  }

  /** Starts a token session and returns its first refresh token. */
  async startTokenSession(user: UserRow, client: ClientRow, scope: string, meta: RequestMeta, auth?: SessionAuth, resource: string | null = null): Promise<{ session: SessionRow; refreshToken: string }> {
    const checked = await this.#passGate(user, client, scope, auth, "token", resource);
    const session = { ...this.#newSession(user, client, scope, "token", null, meta, checked), resource };
    const refreshToken = newRefreshToken(this.#o.refreshKeys, session.id);
    session.refresh_hash = hashRefreshToken(refreshToken);
    await this.#o.store.createSession(session);
    return { session, refreshToken };
  }

  /** Starts a cookie session; the caller hashes and stores `secret` in the cookie. */
  async startCookieSession(user: UserRow, client: ClientRow, scope: string, cookieHash: string, meta: RequestMeta, auth?: SessionAuth): Promise<SessionRow> {
    const checked = await this.#passGate(user, client, scope, auth, "cookie");
    const session = this.#newSession(user, client, scope, "cookie", cookieHash, meta, checked);
    await this.#o.store.createSession(session);
    return session;
  }

  /** When the session ends unless used again first: the earlier of its absolute end and its idle deadline (epoch ms). */
  deadline(session: Pick<SessionRow, "expires_at" | "last_used_at">): number {
    return sessionDeadline(session, this.#o.policy.idleTimeoutMs);
  }

  /** Why a session is no longer usable, or undefined if it is live. */
  endedReason(session: Omit<SessionView, "id" | "client_id">, user: Pick<UserView, "disabled_at">): string | undefined {
    const now = this.#o.now();
    if (session.revoked_at !== null) return `ended (${session.revoked_reason ?? "revoked"})`;
    if (session.expires_at <= now) return "absolute_lifetime";
    if (session.last_used_at + this.#o.policy.idleTimeoutMs <= now) return "idle_timeout";
    if (user.disabled_at !== null) return "user_disabled";
    return undefined;
  }

  /** Looks up a session for a protected route: undefined unless live and owned by `userId`. */
  async liveSession(sessionId: string, userId: string): Promise<{ session: SessionView; user: UserView } | undefined> {
    const found = await this.#o.store.findSessionView(sessionId);
    if (!found || found.user.id !== userId || this.endedReason(found.session, found.user) !== undefined) return undefined;
    return found;
  }

  /** The session of a refresh token the server issued (current or spent); undefined for anything else. */
  refreshTokenOwner(token: string): Promise<RefreshTokenOwner | undefined> {
    return refreshTokenOwner(this.#o, token);
  }

  /**
   * Rotates a refresh token (refresh.ts: rotation, grace window, reuse). `authorize`
   * runs once the token is known good and before anything is spent.
   */
  refresh(token: string, client: ClientRow, meta: RequestMeta = {}, authorize?: (session: SessionRow, user: UserRow) => Promise<void>): Promise<RefreshResult> {
    const o = this.#o;
    return refreshSession({
      store: o.store, events: o.events, now: o.now, refreshKeys: o.refreshKeys, graceWindowMs: o.policy.graceWindowMs,
      endedReason: (session, user) => this.endedReason(session, user),
      end: (sessionId, reason, context) => this.end(sessionId, reason, context),
    }, token, client, meta, authorize);
  }

  list(userId: string): Promise<SessionRow[]> {
    const now = this.#o.now();
    return this.#o.store.listLiveSessions(userId, now, now - this.#o.policy.idleTimeoutMs);
  }

  /** Ends one session of `userId` (404 when it is not theirs or already ended). */
  async endOwn(userId: string, sessionId: string, reason: SessionEndReason, context: EndContext = {}): Promise<void> {
    const session = sessionId.length <= 64 ? await this.#o.store.findSession(sessionId) : undefined;
    if (!session || session.user_id !== userId || session.revoked_at !== null) throw new TesseraError("not_found", "No such session.");
    await this.end(sessionId, reason, { userId, ...context });
  }

  async end(sessionId: string, reason: SessionEndReason, context: EndContext = {}): Promise<boolean> {
    const ended = await this.#o.store.endSession(sessionId, this.#endRecord(reason));
    if (ended) {
      // The audit log wants the user; callers that did not say are rare (not a hot path): look it up.
      const userId = context.userId ?? (await this.#o.store.findSession(sessionId))?.user_id;
      this.#o.events.emit("sessions-ended", { sessionIds: [sessionId], reason, ...context, userId });
    }
    return ended;
  }

  async endAll(userId: string, reason: SessionEndReason, context: EndContext = {}): Promise<string[]> {
    const ids = await this.#o.store.endUserSessions(userId, this.#endRecord(reason));
    if (ids.length > 0) this.#o.events.emit("sessions-ended", { sessionIds: ids, reason, ...context, userId });
    return ids;
  }

  /** Record for the revocation feed: tokens issued up to now live at most one TTL more. */
  endRecord(reason: SessionEndReason): { reason: string; now: number; tokensExpireAt: number } {
    return this.#endRecord(reason);
  }

  #endRecord(reason: SessionEndReason) {
    const now = this.#o.now();
    return { reason, now, tokensExpireAt: Math.ceil((now + this.#o.policy.longestAccessTokenTtlMs) / 1000) };
  }

  /** A sign-in that does not say how it authenticated was a password; anything not complete meets the gate. */
  async #passGate(user: UserRow, client: ClientRow, scope: string, auth: SessionAuth | undefined, kind: "token" | "cookie", resource: string | null = null): Promise<SessionAuth> {
    const checked = auth ?? { amr: ["pwd"], authTime: this.#o.now() };
    if (checked.complete !== true && this.#o.gate) await this.#o.gate(user, client, scope, checked, kind, resource);
    return checked;
  }

  #newSession(user: UserRow, client: ClientRow, scope: string, kind: "token" | "cookie", cookieHash: string | null, meta: RequestMeta, auth: SessionAuth): SessionRow {
    const now = this.#o.now();
    return {
      id: randomToken(16), user_id: user.id, client_id: client.id, kind, scope, cookie_hash: cookieHash,
      created_at: now, last_used_at: now, expires_at: now + this.#o.policy.absoluteLifetimeMs,
      refresh_generation: 0, refresh_hash: null, rotated_at: null, revoked_at: null, revoked_reason: null,
      user_agent: meta.userAgent?.slice(0, 512) ?? null, ip: meta.ip?.slice(0, 64) ?? null, resource: null,
      amr: JSON.stringify(auth.amr), auth_time: auth.authTime,
    };
  }
}

/** Whether the session's current refresh token has this hash (compared in constant time). */
