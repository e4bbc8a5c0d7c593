/**
 * Sessions and refresh-token rotation. A session is one sign-in: a family of
 * refresh tokens of which only the newest is live. The rules, and why, are in
 * docs/refresh-rotation.md; in short:
 *
 * - the current token rotates, by compare-and-set on the session's generation;
 * - the immediate predecessor, within the grace window after the rotation,
 *   gets the same current token back (two tabs, a lost response);
 * - anything older, or the predecessor after the window, is reuse: the
 *   session ends, since a thief and the user now hold the same family.
 */
import type { ClientRow, SessionRow, SessionView, Store, UserRow, UserView } from "../../store/index.js";
import { randomToken, safeEqual } from "../crypto-utils.js";
import { invalidRefreshToken, TesseraError } from "../errors.js";
import type { AuthEvents } from "../events.js";
import {
  hashRefreshToken, looksLikeRefreshToken, newRefreshToken, parseRefreshToken, successorOf, type RefreshTokenKeys,
} from "./refresh-token-format.js";

export interface SessionPolicy {
  /** ms without use after which a session ends. */
  idleTimeout: number;
  /** ms after sign-in at which a session ends. */
  absoluteLifetime: number;
  /** ms after a rotation during which the predecessor still returns the current token. */
  graceWindow: number;
  /** Seconds an access token lives at most (the longest lifetime ever configured): how long a revocation must be published. */
  accessTokenTtl: number;
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
export function sessionDeadline(session: Pick<SessionRow, "expires_at" | "last_used_at">, idleTimeout: number): number {
  return Math.min(session.expires_at, session.last_used_at + idleTimeout);
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
    return sessionDeadline(session, this.#o.policy.idleTimeout);
  }

  /** Why a session is no longer usable, or undefined if it is live. */
  endedReason(session: Omit<SessionView, "id" | "client_id">, user: Pick<UserView, "disabled_at">): string | undefined {
    const now = this.#o.now();
    if (session.revoked_at !== null) return `ended (${session.revoked_reason ?? "revoked"})`;
    if (session.expires_at <= now) return "absolute_lifetime";
    if (session.last_used_at + this.#o.policy.idleTimeout <= now) return "idle_timeout";
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
  async refreshTokenOwner(token: string): Promise<RefreshTokenOwner | undefined> {
    const parsed = parseRefreshToken(this.#o.refreshKeys, token);
    const found = parsed && (await this.#o.store.findSessionWithUser(parsed.sessionId));
    if (!found) return undefined;
    return { ...found, current: holdsHash(found.session, hashRefreshToken(token)) };
  }

  /**
   * Rotates a refresh token. `authorize` runs once the token is known good and
   * before anything is spent: a request it refuses (a scope or resource the
   * session does not hold) leaves the token as it was.
   */
  async refresh(token: string, client: ClientRow, meta: RequestMeta = {}, authorize?: (session: SessionRow, user: UserRow) => Promise<void>): Promise<RefreshResult> {
    if (!looksLikeRefreshToken(token)) throw invalidRefreshToken("malformed");
    const origin = { clientId: client.id, ip: meta.ip, userAgent: meta.userAgent };
    const owner = await this.refreshTokenOwner(token);
    if (!owner) {
      this.#o.events.emit("refresh", { outcome: "invalid", ...origin });
      throw invalidRefreshToken("unknown token");
    }
    const { session, user } = owner;
    const ids = { sessionId: session.id, userId: user.id, ...origin };
    if (session.client_id !== client.id || session.kind !== "token") {
      this.#o.events.emit("refresh", { outcome: "invalid", ...ids });
      throw invalidRefreshToken("token of another client");
    }
    const ended = this.endedReason(session, user);
    if (ended !== undefined) {
      if (ended === "idle_timeout" || ended === "absolute_lifetime") await this.end(session.id, ended, { userId: user.id });
      this.#o.events.emit("refresh", { outcome: session.revoked_at === null ? "expired" : "revoked", ...ids });
      const reason = ended === "idle_timeout" || ended === "absolute_lifetime" ? ended
        : session.revoked_reason === "refresh_token_reuse" ? "reuse" : "revoked";
      throw invalidRefreshToken(ended, reason);
    }
    if (authorize) await authorize(session, user);
    const successor = successorOf(this.#o.refreshKeys, session.id, token);
    const successorHash = hashRefreshToken(successor);
    if (owner.current) {
      const now = this.#o.now();
      const generation = session.refresh_generation;
      if (await this.#o.store.rotateRefreshToken(session.id, generation, successorHash, now)) {
        this.#o.events.emit("refresh", { outcome: "rotated", ...ids });
        const rotated = { ...session, refresh_generation: generation + 1, refresh_hash: successorHash, rotated_at: now, last_used_at: now };
        return { session: rotated, user, refreshToken: successor, repeated: false };
      }
      // Lost the compare-and-set: someone rotated this very token a moment ago
      // (or ended the session). Judge again against the fresh row.
      const fresh = await this.#o.store.findSession(session.id);
      if (!fresh || fresh.revoked_at !== null) throw invalidRefreshToken("session ended during refresh", "revoked");
      return this.#spent(fresh, user, successor, successorHash, origin);
    }
    return this.#spent(session, user, successor, successorHash, origin);
  }

  /** A genuine token of this session that is no longer current: the grace path, or reuse. */
  async #spent(session: SessionRow, user: UserRow, successor: string, successorHash: string, origin: RequestMeta): Promise<RefreshResult> {
    const ids = { sessionId: session.id, userId: user.id, ip: origin.ip, userAgent: origin.userAgent };
    // The immediate predecessor is the one token whose successor is current.
    const predecessor = holdsHash(session, successorHash);
    const withinGrace = session.rotated_at !== null && this.#o.now() - session.rotated_at <= this.#o.policy.graceWindow;
    if (predecessor && withinGrace) {
      this.#o.events.emit("refresh-reuse", { cause: "benign_race", ...ids });
      this.#o.events.emit("refresh", { outcome: "grace", ...ids });
      return { session, user, refreshToken: successor, repeated: true };
    }
    this.#o.events.emit("refresh-reuse", { cause: "suspected_theft", ...ids });
    this.#o.events.emit("refresh", { outcome: "reuse", ...ids });
    await this.end(session.id, "refresh_token_reuse", { userId: user.id, ...origin });
    const which = predecessor ? "the predecessor after the grace window" : "an older token";
    throw invalidRefreshToken(`reuse of ${which}, session at generation ${session.refresh_generation}`, "reuse");
  }

  list(userId: string): Promise<SessionRow[]> {
    const now = this.#o.now();
    return this.#o.store.listLiveSessions(userId, now, now - this.#o.policy.idleTimeout);
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
    return { reason, now, tokensExpireAt: Math.ceil(now / 1000) + this.#o.policy.accessTokenTtl };
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
      created_at: now, last_used_at: now, expires_at: now + this.#o.policy.absoluteLifetime,
      refresh_generation: 0, refresh_hash: null, rotated_at: null, revoked_at: null, revoked_reason: null,
      user_agent: meta.userAgent?.slice(0, 512) ?? null, ip: meta.ip?.slice(0, 64) ?? null, resource: null,
      amr: JSON.stringify(auth.amr), auth_time: auth.authTime,
    };
  }
}

/** Whether the session's current refresh token has this hash (compared in constant time). */
function holdsHash(session: SessionRow, tokenHash: string): boolean {
  return session.refresh_hash !== null && safeEqual(tokenHash, session.refresh_hash);
}
