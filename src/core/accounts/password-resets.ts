/**
 * Admin-forced password resets, and the redemption of every reset token
 * (self-service resets by email are asked for in email/email-service.ts).
 *
 * Forcing a reset sets an unguessable random password — hashed like any
 * other, so a sign-in attempt on the account costs the same time as on any
 * account and answers the same invalid_grant — ends every session, and
 * returns a one-time reset token (`tsp_` + 256 bits, stored as SHA-256 only)
 * for the admin to hand to the user out of band. The user spends it with
 * `POST /auth/password/reset {reset_token, new_password}`; it expires after
 * TESSERA_PASSWORD_RESET_TTL and a newer one replaces it.
 */
import type { PasswordResetRow, Store, UserRow } from "../../store/index.js";
import { randomToken, sha256 } from "../crypto-utils.js";
import { canonicalToken } from "../email/secrets.js";
import { invalidField, TesseraError } from "../errors.js";
import type { Actor, AuthEvents } from "../events.js";
import { passwordProblem, type PasswordHasher } from "./passwords.js";
import type { RequestMeta, SessionService } from "../sessions/session-service.js";

export const RESET_TOKEN_PREFIX = "tsp_";
const SHAPE = /^tsp_[A-Za-z0-9_-]{43}$/;

export interface PasswordResetOptions {
  store: Store;
  hasher: PasswordHasher;
  sessions: SessionService;
  events: AuthEvents;
  now: () => number;
  /** How long a reset token stays valid. */
  ttlMs: number;
}

export interface IssuedReset {
  /** The only copy: shown once to the admin. */
  token: string;
  /** Epoch ms. */
  expiresAt: number;
  endedSessions: number;
}

export class PasswordResets {
  readonly #o: PasswordResetOptions;

  constructor(options: PasswordResetOptions) {
    this.#o = options;
  }

  async force(user: UserRow, actor: Actor): Promise<IssuedReset> {
    const token = RESET_TOKEN_PREFIX + randomToken(32);
    const unusable = await this.#o.hasher.hash(randomToken(32)); // hashed before the transaction opens
    const now = this.#o.now();
    const expiresAt = now + this.#o.ttlMs;
    const ended = await this.#o.store.forcePasswordReset(
      { token_hash: sha256(token), user_id: user.id, created_at: now, expires_at: expiresAt, created_by: actor.id },
      unusable, this.#o.sessions.endRecord("password_reset"),
    );
    if (ended.length > 0) this.#o.events.emit("sessions-ended", { sessionIds: ended, reason: "password_reset", userId: user.id, actor: actor.id, ip: actor.ip, userAgent: actor.userAgent });
    return { token, expiresAt, endedSessions: ended.length };
  }

  /**
   * The live reset a token names: an admin's `tsp_` token, or the link token of a reset asked
   * for by email (docs/email.md), typed in any case. Read only.
   */
  async #live(token: string): Promise<{ key: string; reset: PasswordResetRow } | undefined> {
    const key = SHAPE.test(token) ? token : canonicalToken(token);
    if (key === undefined) return undefined;
    const reset = await this.#o.store.findPasswordReset(sha256(key));
    return reset && reset.expires_at > this.#o.now() ? { key, reset } : undefined;
  }

  /**
   * Whether a token would still reset a password, spending nothing (the reset page's GET, which
   * mail scanners open): live, and for a reset sent by email its address still the user's
   * verified one, the condition `consumePasswordReset` puts on the spend.
   */
  async peek(token: string): Promise<boolean> {
    const live = await this.#live(token);
    if (!live) return false;
    if (!live.reset.email_key) return true; // an admin's forced reset: bound to no address
    return (await this.#o.store.findUserById(live.reset.user_id))?.email_verified_key === live.reset.email_key;
  }

  /** Sets the new password if the token is live; every session of the user ends. One answer for every bad token. */
  async redeem(token: string, newPassword: string, meta: RequestMeta): Promise<void> {
    const refused = () => {
      this.#o.events.emit("password-reset-refused", { ip: meta.ip, userAgent: meta.userAgent });
      return new TesseraError("invalid_grant", "The reset token is invalid, expired or already used.");
    };
    const live = await this.#live(token);
    if (!live) throw refused();
    const { key, reset: found } = live;
    const user = await this.#o.store.findUserById(found.user_id);
    const problem = passwordProblem(newPassword, { username: user?.username ?? "" });
    if (problem) throw invalidField("new_password", problem);
    const hash = await this.#o.hasher.hash(newPassword, { signal: meta.signal });
    const spent = await this.#o.store.consumePasswordReset(sha256(key), hash, this.#o.sessions.endRecord("password_reset"));
    if (!spent) throw refused(); // spent by a concurrent request, or expired meanwhile
    this.#o.events.emit("password-changed", { userId: spent.userId, via: "reset", ip: meta.ip, userAgent: meta.userAgent });
    if (spent.ended.length > 0) this.#o.events.emit("sessions-ended", { sessionIds: spent.ended, reason: "password_reset", userId: spent.userId, ip: meta.ip, userAgent: meta.userAgent });
  }
}
