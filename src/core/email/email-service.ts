/**
 * The email use cases (docs/email.md): verification, self-service password
 * reset, address change and one-time sign-in codes. Each writes its secret
 * and the message carrying it in one transaction (the outbox); the sender
 * delivers it later. Requests that must not tell whether an account exists
 * (forgot, code send) answer before looking: the lookup and the write happen
 * after the answer, the same for every address.
 */
import { randomUUID } from "node:crypto";
import type { EmailWrites, OutboxRow, Store, UserRow } from "../../store/index.js";
import { CredentialsRefused, invalidField, invalidToken, TesseraError, type CredentialFailure } from "../errors.js";
import type { Actor, AuthEvents } from "../events.js";
import { seal } from "../keys/master-key.js";
import type { PasswordHasher } from "../accounts/passwords.js";
import type { RequestMeta } from "../sessions/session-service.js";
import { ipKey, type Throttle } from "../abuse/throttle.js";
import { sha256 } from "../crypto-utils.js";
import { usernameKey } from "../accounts/usernames.js";
import { parseAddress, type Address } from "./address.js";
import { canonicalCode, canonicalToken, codeMatches, groupToken, hashCode, hashLinkToken, newCode, newLinkToken } from "./secrets.js";
import type { MailKind } from "./templates.js";

export interface EmailServiceOptions {
  store: Store;
  hasher: PasswordHasher;
  events: AuthEvents;
  throttle: Throttle;
  now: () => number;
  issuer: string;
  sealKey: Buffer;
  codeKey: Buffer;
  verifyTtlMs: number;
  resetTtlMs: number;
  codeTtlMs: number;
  codeMaxAttempts: number;
}

type User = Pick<UserRow, "id" | "username" | "email" | "disabled_at"> & { email_verified_at?: number | null | undefined };

export function verificationRefused(): TesseraError {
  return new TesseraError("invalid_grant", "The verification token is invalid, expired or already used.");
}

/** The one answer for every refused code sign-in: wrong, expired, used or worn-out code, unknown or disabled address. */
export const CODE_REFUSED = "The code is incorrect or expired.";

/** A refused email code: the sign-in failure of every path (`invalid_grant`, its outcome for the events), in words that fit a code. */
function codeRefused(detail: string, outcome: CredentialFailure = "invalid_credentials"): TesseraError {
  return new CredentialsRefused(detail, outcome, CODE_REFUSED);
}

export class EmailService {
  readonly #o: EmailServiceOptions;
  readonly #background = new Set<Promise<void>>();
  /** Told about failures of work done after the answer (the server logs them). */
  onError: (error: unknown) => void = () => undefined;

  constructor(options: EmailServiceOptions) {
    this.#o = options;
  }

  /** The writes of a registration with an address: a verification token and its message. */
  registrationWrites(user: UserRow): EmailWrites | undefined {
    if (!user.email) return undefined;
    const address = parseAddress(user.email);
    if ("problem" in address) return undefined;
    return this.#verificationWrites(user, address, "verify");
  }

  /** After a write: the sender looks at once. */
  queued(writes: EmailWrites | undefined): void {
    if (writes?.messages?.length) this.#o.events.emit("mail-queued", { kinds: writes.messages.map((m) => m.kind) });
  }

  /** `POST /auth/email/verify/send`: a new verification message for the user's unverified address. */
  async resendVerification(user: User, meta: RequestMeta): Promise<void> {
    const address = this.#currentUnverified(user);
    await this.#reserveSend(address.key, meta.ip);
    await this.#write(this.#verificationWrites(user, address, "verify"));
    this.#o.events.emit("email-requested", { kind: "verify", userId: user.id, ip: meta.ip, userAgent: meta.userAgent });
  }

  /** `POST /auth/email/verify`: spends the token and verifies its address. */
  async verify(rawToken: string, meta: RequestMeta): Promise<string> {
    const token = canonicalToken(rawToken);
    if (!token) throw verificationRefused();
    const spent = await this.#o.store.spendVerification(hashLinkToken(token), ["verify", "change"], this.#o.now());
    if (spent === "conflict") throw new TesseraError("email_taken", "Another account has already verified this address.");
    if (!spent) throw verificationRefused();
    this.#o.events.emit("email-verified", { userId: spent.userId, via: "link", ip: meta.ip, userAgent: meta.userAgent });
    return spent.userId;
  }

  /** What a verification page shows before the button is pressed: whether the token may still work (it is not spent). */
  async peekVerification(rawToken: string): Promise<{ email: string } | undefined> {
    const token = canonicalToken(rawToken);
    if (!token) return undefined;
    const row = await this.#o.store.findEmailToken(hashLinkToken(token));
    return row && row.expires_at > this.#o.now() && (row.purpose === "verify" || row.purpose === "change") ? { email: row.email } : undefined;
  }

  /**
   * `POST /auth/password/forgot`: validates and throttles on the request (the same for every
   * input), then looks the account up after the answer. A reset goes only to a verified address.
   */
  async forgotPassword(input: { email?: string | undefined; username?: string | undefined }, meta: RequestMeta): Promise<void> {
    let lookup: () => Promise<UserRow | undefined>;
    let throttleKey: string;
    if (input.email !== undefined) {
      const address = this.#parse(input.email);
      throttleKey = address.key;
      lookup = () => this.#o.store.findUserByVerifiedEmail(address.key);
    } else if (input.username !== undefined && input.username !== "") {
      if (input.username.length > 256 || /[\r\n]/.test(input.username) || input.username.includes("\u0000")) throw invalidField("username", "is not a username");
      throttleKey = `username:${input.username.normalize("NFKC").trim().toLowerCase()}`;
      const name = input.username;
      lookup = () => this.#o.store.findUserByUsernameKey(usernameKey(name));
    } else {
      throw new TesseraError("invalid_request", "email or username: one is required");
    }
    await this.#reserveSend(throttleKey, meta.ip);
    // The same work for every input from here on, and none of it on the request.
    const token = newLinkToken();
    this.#later(async () => {
      const user = await lookup();
      const ok = user && user.disabled_at === null && user.email && user.email_verified_key && user.email_verified_at;
      this.#o.events.emit("email-requested", { kind: "reset", userId: ok ? user.id : undefined, ip: meta.ip, userAgent: meta.userAgent });
      if (!ok) return;
      const now = this.#o.now();
      const writes: EmailWrites = {
        reset: { token_hash: sha256(token), user_id: user.id, created_at: now, expires_at: now + this.#o.resetTtlMs, created_by: "self", email_key: user.email_verified_key! },
        messages: [this.#message("reset", user.email!, user.id, {
          username: user.username, link: this.#link("/password/reset", token), code: groupToken(token), minutes: String(Math.round(this.#o.resetTtlMs / 60_000)),
        })],
      };
      await this.#write(writes);
    });
  }

  /** `POST /auth/email`: checks the password, then a verification to the new address and a notice to the old one. */
  async changeEmail(user: User, rawEmail: string, password: string, meta: RequestMeta): Promise<void> {
    const address = this.#parse(rawEmail);
    await this.#o.throttle.signIn(user.username, meta.ip, async () => {
      const stored = await this.#o.store.findUserById(user.id);
      if (!stored) throw invalidToken("user deleted", "The user of this session no longer exists.");
      const check = await this.#o.hasher.verify(stored.password_hash, password);
      if (!check.ok) throw new TesseraError("invalid_credentials", "The current password is incorrect.");
    }, "invalid_credentials");
    await this.#reserveSend(address.key, meta.ip);
    const writes = this.#verificationWrites(user, address, "change");
    if (user.email && user.email_verified_at) {
      writes.messages!.push(this.#message("change_notice", user.email, user.id, { username: user.username, email: address.display }));
    }
    await this.#write(writes);
    this.#o.events.emit("email-requested", { kind: "change", userId: user.id, ip: meta.ip, userAgent: meta.userAgent });
  }

  /** `POST /auth/otp/send`: the same answer for every address; a code goes to a verified one only. */
  async sendCode(rawEmail: string, meta: RequestMeta): Promise<void> {
    const address = this.#parse(rawEmail);
    await this.#reserveSend(address.key, meta.ip);
    const code = newCode();
    this.#later(async () => {
      const user = await this.#o.store.findUserByVerifiedEmail(address.key);
      const ok = user && user.disabled_at === null && user.email;
      this.#o.events.emit("email-requested", { kind: "otp", userId: ok ? user.id : undefined, ip: meta.ip, userAgent: meta.userAgent });
      if (!ok) return;
      const now = this.#o.now();
      await this.#write({
        replace: { userId: user.id, purposes: ["otp"] },
        tokens: [{ id: randomUUID(), purpose: "otp", user_id: user.id, email: user.email!, email_key: address.key, secret_hash: hashCode(this.#o.codeKey, user.id, code), attempts: 0, created_at: now, expires_at: now + this.#o.codeTtlMs }],
        messages: [this.#message("otp", user.email!, user.id, { username: user.username, code, minutes: String(Math.round(this.#o.codeTtlMs / 60_000)) })],
      });
    });
  }

  /**
   * The first step of a code sign-in: the user whose verified address got this code.
   * The attempt is reserved on the code (one UPDATE) before the comparison; the code is
   * spent by one DELETE. Every failure is the same invalid_grant with the same message
   * (CODE_REFUSED). The code is read as typed or pasted (spaces, dashes: canonicalCode); one that
   * cannot be a code at all is refused before anything is looked up, without taking an attempt
   * (the same for every address, so it tells nothing).
   */
  async checkCode(rawEmail: string, rawCode: string): Promise<UserRow> {
    const code = canonicalCode(rawCode);
    if (code === undefined) throw codeRefused("malformed code");
    const address = parseAddress(rawEmail);
    const key = "problem" in address ? undefined : address.key;
    const user = key === undefined ? undefined : await this.#o.store.findUserByVerifiedEmail(key);
    const now = this.#o.now();
    // An unknown address still costs the reservation's round trip (on an id nobody has).
    const slot = await this.#o.store.reserveCodeAttempt(user?.id ?? `none:${randomUUID()}`, "otp", now, this.#o.codeMaxAttempts);
    if (!user || !slot) throw codeRefused(user ? "no live code" : "unknown user", user ? "invalid_credentials" : "unknown_user");
    if (slot.email_key !== key || !codeMatches(this.#o.codeKey, user.id, code, slot.secret_hash)) throw codeRefused("wrong code");
    if (!(await this.#o.store.spendCode(slot.id, now))) throw codeRefused("code already spent");
    if (user.disabled_at !== null) throw codeRefused("disabled user", "disabled");
    return user;
  }

  /** Admin: a new verification message for a user's unverified address. */
  async adminResend(user: UserRow, actor: Actor): Promise<void> {
    const address = this.#currentUnverified(user);
    await this.#write(this.#verificationWrites(user, address, "verify"));
    this.#o.events.emit("admin-action", { action: "user.resend_verification", actor, userId: user.id });
  }

  /** Admin: marks the user's address verified without a message. */
  async adminMarkVerified(user: UserRow, actor: Actor): Promise<void> {
    if (!user.email) throw new TesseraError("invalid_request", "email: the user has no address");
    const address = this.#parse(user.email);
    if (!(await this.#o.store.markEmailVerified(user.id, address.display, address.key, this.#o.now()))) {
      throw new TesseraError("email_taken", "Another account has already verified this address.");
    }
    this.#o.events.emit("email-verified", { userId: user.id, via: "admin", actor: actor.id, ip: actor.ip, userAgent: actor.userAgent });
    this.#o.events.emit("admin-action", { action: "user.mark_email_verified", actor, userId: user.id });
  }

  /** Waits for the work started after answers (tests; shutdown). */
  async settled(): Promise<void> {
    while (this.#background.size > 0) await Promise.all([...this.#background]);
  }

  #later(work: () => Promise<void>): void {
    const job = new Promise<void>((resolve) => setImmediate(resolve)).then(work).catch((error: unknown) => this.onError(error))
      .finally(() => this.#background.delete(job));
    this.#background.add(job);
  }

  #parse(raw: string): Address {
    const address = parseAddress(raw);
    if ("problem" in address) throw invalidField("email", address.problem);
    return address;
  }

  #currentUnverified(user: User): Address {
    if (!user.email) throw new TesseraError("invalid_request", "email: the account has no address");
    if (user.email_verified_at) throw new TesseraError("invalid_request", "email: the address is already verified");
    return this.#parse(user.email);
  }

  async #reserveSend(addressKey: string, ip: string | undefined): Promise<void> {
    // Sends per address and per IP (no mail bombing), reserved before the message is written;
    // every send counts (`keep`), whether or not an account exists.
    await this.#o.throttle.guard([
      { dimension: "emailSendIp", key: ipKey(ip), onSuccess: "keep" },
      { dimension: "emailSendAddress", key: addressKey, onSuccess: "keep" },
    ], async () => undefined);
  }

  #verificationWrites(user: User, address: Address, purpose: "verify" | "change"): EmailWrites {
    const token = newLinkToken();
    const now = this.#o.now();
    const kind: MailKind = purpose === "verify" ? "verify" : "change_verify";
    return {
      replace: { userId: user.id, purposes: [purpose] },
      tokens: [{ id: randomUUID(), purpose, user_id: user.id, email: address.display, email_key: address.key, secret_hash: hashLinkToken(token), attempts: 0, created_at: now, expires_at: now + this.#o.verifyTtlMs }],
      messages: [this.#message(kind, address.display, user.id, {
        username: user.username, email: address.display, link: this.#link("/email/verify", token), code: groupToken(token), minutes: String(Math.round(this.#o.verifyTtlMs / 60_000)),
      })],
    };
  }

  #link(path: string, token: string): string {
    return `${this.#o.issuer}${path}?token=${token}`;
  }

  #message(kind: MailKind, to: string, userId: string, values: Record<string, string>): OutboxRow {
    const id = randomUUID();
    const now = this.#o.now();
    return {
      id, kind, recipient: to, user_id: userId,
      payload: seal(this.#o.sealKey, JSON.stringify({ ...values, issuer: this.#o.issuer }), id),
      status: "pending", attempts: 0, next_attempt_at: now, claimed_by: null, lease_until: null, last_error: null,
      created_at: now, sent_at: null, failed_at: null,
    };
  }

  async #write(writes: EmailWrites): Promise<void> {
    await this.#o.store.writeEmail(writes);
    this.queued(writes);
  }
}
