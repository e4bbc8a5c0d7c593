/**
 * Classic cookie sessions, as sessions like any other: the cookie holds a
 * 256-bit secret (stored only as SHA-256), the session row is the same as a
 * token session's (kind "cookie"), so logout-all, password change, admin
 * revocation and the revocation feed treat both alike.
 *
 * The CSRF token is HMAC(k, session id): bound to the session, nothing extra
 * to store, and useless with any other session (double submit, signed).
 */
import { createHmac } from "node:crypto";
import type { ClientRow, SessionRow, Store, UserRow } from "../../store/index.js";
import { randomToken, safeEqual, sha256 } from "../crypto-utils.js";
import type { AuthEvents } from "../events.js";
import type { RequestMeta, SessionAuth, SessionService } from "./session-service.js";
import { admitFirstStep, checkCodeSignIn, checkSignIn, type FirstStep } from "../accounts/sign-in.js";
import type { Throttle } from "../abuse/throttle.js";
import type { UserService } from "../accounts/users.js";

export interface CookieSessionOptions {
  store: Store;
  users: UserService;
  sessions: SessionService;
  events: AuthEvents;
  /** HMAC key for CSRF tokens (derived from the master key). */
  csrfKey: Buffer;
  now: () => number;
  /** Time between writes of last_used_at (sliding expiry without a write per request). */
  touchIntervalMs?: number;
  /** Sign-in throttles (checkSignIn applies them). */
  throttle?: Throttle;
  /** TESSERA_REQUIRE_VERIFIED_EMAIL (admitFirstStep). */
  requireVerifiedEmail?: boolean;
}

export interface CookieLogin {
  /** The cookie value: the only copy of the secret. */
  secret: string;
  session: SessionRow;
  user: UserRow;
  csrfToken: string;
  /** How long the cookie should live (its Max-Age). */
  maxAgeSeconds: number;
  /** Only when this sign-in enrolled the user's first second factor: ten recovery codes, shown once. */
  recoveryCodes?: string[];
}

const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export class CookieSessionService {
  readonly #o: CookieSessionOptions;

  constructor(options: CookieSessionOptions) {
    this.#o = options;
  }

  /** Checks the password and starts a new session: always a new id, never the cookie the browser came with. */
  async login(client: ClientRow, username: string, password: string, scope: string, meta: RequestMeta): Promise<CookieLogin> {
    const user = await checkSignIn(this.#o, client, username, password, meta);
    return this.completeSignIn(user, client, scope, meta, "pwd");
  }

  /** An email-code sign-in to a cookie session (email/email-service.ts checks the code). */
  async loginWithCode(client: ClientRow, email: string, check: () => Promise<UserRow>, scope: string, meta: RequestMeta): Promise<CookieLogin> {
    const user = await checkCodeSignIn(this.#o, client, email, check, meta);
    return this.completeSignIn(user, client, scope, meta, "otp");
  }

  /**
   * Turns a successful first step into a cookie session (the cookie twin of
   * TokenService.completeSignIn): the user policy first, then the second-step gate.
   */
  async completeSignIn(user: UserRow, client: ClientRow, scope: string, meta: RequestMeta, step: FirstStep): Promise<CookieLogin> {
    admitFirstStep(this.#o, user, step);
    return this.start(user, client, scope, meta, { amr: [step], authTime: this.#o.now() });
  }

  /** A finished step of a sign-in becomes a cookie session (the gate may answer mfa_required: sessions.ts). */
  async start(user: UserRow, client: ClientRow, scope: string, meta: RequestMeta, auth: SessionAuth): Promise<CookieLogin> {
    const secret = randomToken(32);
    const session = await this.#o.sessions.startCookieSession(user, client, scope, sha256(secret), meta, auth);
    this.#o.events.emit("sign-in", { outcome: "success", userId: user.id, sessionId: session.id, clientId: client.id, ip: meta.ip, userAgent: meta.userAgent });
    return { secret, session, user, csrfToken: this.csrfTokenFor(session.id), maxAgeSeconds: this.maxAgeSeconds(session) };
  }

  /** The live session a cookie secret names, or undefined (unknown, ended, idle, expired, disabled user). */
  /**
   * Session fixation: a cookie the browser already had is never promoted. After a new
   * cookie sign-in, the session the browser came with (if live) ends.
   */
  async replaced(previousSecret: string | undefined, meta: RequestMeta): Promise<void> {
    if (!previousSecret) return;
    const old = await this.resolve(previousSecret);
    if (old) await this.#o.sessions.end(old.session.id, "logout", { userId: old.user.id, ...meta });
  }

  async resolve(secret: string): Promise<{ session: SessionRow; user: UserRow } | undefined> {
    if (!SECRET_SHAPE.test(secret)) return undefined;
    const found = await this.#o.store.findSessionByCookieHash(sha256(secret));
    if (!found || found.session.kind !== "cookie") return undefined;
    const ended = this.#o.sessions.endedReason(found.session, found.user);
    if (ended === "idle_timeout" || ended === "absolute_lifetime") await this.#o.sessions.end(found.session.id, ended);
    return ended === undefined ? found : undefined;
  }

  /**
   * Sliding expiry: records the use when the last one is older than the touch
   * interval. Returns the cookie's new Max-Age, seconds, when it moved, else undefined.
   */
  async touch(session: SessionRow): Promise<number | undefined> {
    const now = this.#o.now();
    if (now - session.last_used_at < (this.#o.touchIntervalMs ?? 60_000)) return undefined;
    await this.#o.store.touchSession(session.id, now);
    session.last_used_at = now;
    return this.maxAgeSeconds(session);
  }

  /** Until the session ends if unused: the earlier of idle and absolute deadlines. */
  maxAgeSeconds(session: SessionRow): number {
    return Math.max(0, Math.floor((this.#o.sessions.deadline(session) - this.#o.now()) / 1000));
  }

  csrfTokenFor(sessionId: string): string {
    return createHmac("sha256", this.#o.csrfKey).update(`csrf:${sessionId}`).digest("base64url");
  }

  verifyCsrf(sessionId: string, token: string | undefined): boolean {
    return typeof token === "string" && safeEqual(token, this.csrfTokenFor(sessionId));
  }
}
