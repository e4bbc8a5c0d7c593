/**
 * The second step of a sign-in (docs/mfa.md). `gate` is asked by the session
 * service before any session starts whose sign-in is not yet complete: if the
 * user has a confirmed factor it stores a short-lived, single-use `mfa_token`
 * (SHA-256 only, bound to the user and the client) and answers mfa_required.
 * `verify` takes the token back with one factor:
 *
 * 1. the token is read (nothing spent) to learn whose it is;
 * 2. a slot of the per-account second-factor throttle is reserved (failures
 *    keep it, a success resets the account): a request it refuses (429) has
 *    spent nothing, neither an attempt of the token nor the code; under it
 * 3. one attempt on the token is reserved by an atomic UPDATE *before* the
 *    code is checked (at most `maxAttempts` per token, concurrency included),
 *    then the code is checked and spent by compare-and-set (TOTP step,
 *    recovery code, passkey challenge);
 * 4. the token is spent by compare-and-set: of two requests, one signs in.
 *
 * A user whose role requires a second factor (`TESSERA_MFA_REQUIRED_ROLES`)
 * and who has none gets an `enroll` token instead (mfa_enrollment_required):
 * it allows starting an authenticator-app enrolment (`enrolTotp`) or asking
 * for passkey creation options, and `verify` then takes the app's first code
 * (confirming the factor) or the new passkey (registering it) and finishes the
 * sign-in, under the same attempt and throttle rules.
 */
import type { ClientRow, Store, UserRow } from "../../store/index.js";
import type { MfaTokenPurpose } from "../../store/schema.js";
import { randomToken, sha256 } from "../crypto-utils.js";
import { TesseraError } from "../errors.js";
import type { AuthEvents, EventOrigin, SecondFactorMethod } from "../events.js";
import type { RequestMeta, SessionAuth, SignInGate } from "../sessions/session-service.js";
import type { Throttle } from "../abuse/throttle.js";
import type { FactorService } from "./factors.js";
import { parseRoles } from "../accounts/users.js";

export const MFA_TOKEN_PREFIX = "tmfa_";
const MFA_TOKEN_SHAPE = /^tmfa_[A-Za-z0-9_-]{43}$/;

export interface SecondStepInput {
  mfaToken: string;
  otp?: string | undefined;
  recoveryCode?: string | undefined;
  /** The WebAuthn assertion (parsed JSON), checked by `passkeyCheck`. */
  webauthn?: unknown;
}

/** The outcome of a passkey assertion used as a second step. */
export interface PasskeyProof {
  factorId: string;
  /** RFC 8176 methods the passkey proved: `hwk` or `swk`, and `user` when the authenticator verified the user. */
  amr: string[];
}

/** Checks a passkey assertion of this user against a challenge of the mfa purpose; undefined when it fails. */
export type PasskeyCheck = (userId: string, assertion: unknown) => Promise<PasskeyProof | undefined>;

/** Registers a new passkey (the creation response) as the enrolment sign-in's proof; throws invalid_grant when it does not verify. */
export type PasskeyEnrol = (user: UserRow, creation: unknown, origin: EventOrigin) => Promise<PasskeyProof & { recoveryCodes: string[] }>;

export interface SecondStepOptions {
  store: Store;
  factors: FactorService;
  events: AuthEvents;
  now: () => number;
  /** How long an mfa_token lives (5 minutes by the contract). */
  tokenTtlMs: number;
  /** Codes tried per mfa_token, reserved before each check. */
  maxAttempts: number;
  /**
   * Per-account limit on failed second steps (`TESSERA_THROTTLE_SECOND_FACTOR_ACCOUNT`),
   * keyed by user id and reserved before the code is checked, so guesses spread over
   * many mfa_tokens (each allowing a few tries) still share one allowance.
   */
  throttle?: Throttle | undefined;
  passkeyCheck?: PasskeyCheck;
  passkeyEnrol?: PasskeyEnrol;
  /** Roles whose holders must enrol a second factor before any session starts (read at each sign-in). */
  requiredRoles: () => readonly string[];
}

export interface SecondStepResult {
  user: UserRow;
  scope: string;
  /** The API the first step asked for (RFC 8707), carried through the second step. */
  resource: string | null;
  auth: SessionAuth;
  /** Ten recovery codes (shown once) when this sign-in enrolled the user's first factor. */
  recoveryCodes?: string[];
}

function wrongCode(detail: string): TesseraError {
  return new TesseraError("invalid_grant", "The second-factor code is incorrect, or the mfa_token is expired or spent.", { detail });
}

export class SecondStep {
  readonly #o: SecondStepOptions;

  constructor(options: SecondStepOptions) {
    this.#o = options;
  }

  /** Set after construction when passkeys are configured (passkeys.ts needs the store and the gate's peers). */
  set passkeyCheck(check: PasskeyCheck) {
    this.#o.passkeyCheck = check;
  }

  set passkeyEnrol(enrol: PasskeyEnrol) {
    this.#o.passkeyEnrol = enrol;
  }

  /**
   * The session service's gate: mfa_required when the user has a confirmed factor;
   * mfa_enrollment_required when they have none and one of their roles requires one.
   */
  readonly gate: SignInGate = async (user, client, scope, auth, _kind, resource) => {
    const methods = await this.#o.factors.methods(user.id);
    if (methods.length > 0) {
      const token = await this.#issue("second_step", user, client, scope, auth, resource);
      this.#o.events.emit("second-factor", { outcome: "required", method: "unknown", userId: user.id, clientId: client.id });
      throw new TesseraError("mfa_required", "A second factor is required to finish signing in.", {
        detail: `first step ${auth.amr.join("+")} done`, fields: { mfa_token: token, methods },
      });
    }
    const required = this.#o.requiredRoles();
    if (required.length === 0 || !parseRoles(user).some((role) => required.includes(role))) return;
    const token = await this.#issue("enroll", user, client, scope, auth, resource);
    this.#o.events.emit("second-factor", { outcome: "enrollment_required", method: "unknown", userId: user.id, clientId: client.id });
    throw new TesseraError("mfa_enrollment_required", "Your account must have a second factor: enrol one to finish signing in.", {
      detail: `first step ${auth.amr.join("+")} done, no factor`, fields: { mfa_token: token, methods: this.#o.passkeyEnrol ? ["totp", "passkey"] : ["totp"] },
    });
  };

  async #issue(purpose: MfaTokenPurpose, user: UserRow, client: ClientRow, scope: string, auth: SessionAuth, resource: string | null): Promise<string> {
    const token = MFA_TOKEN_PREFIX + randomToken(32);
    const now = this.#o.now();
    await this.#o.store.factors.insertMfaToken({
      token_hash: sha256(token), user_id: user.id, client_id: client.id, scope, resource, amr: JSON.stringify(auth.amr),
      auth_time: auth.authTime, attempts: 0, purpose, created_at: now, expires_at: now + this.#o.tokenTtlMs, used_at: null,
    });
    return token;
  }

  /** The user a live mfa_token of this client and purpose belongs to (nothing spent), or undefined. */
  async pendingUser(client: ClientRow, mfaToken: string, purpose: MfaTokenPurpose = "second_step"): Promise<UserRow | undefined> {
    if (!MFA_TOKEN_SHAPE.test(mfaToken)) return undefined;
    const row = await this.#o.store.factors.findLiveMfaToken(sha256(mfaToken), this.#o.now(), this.#o.maxAttempts);
    if (!row || row.client_id !== client.id || row.purpose !== purpose) return undefined;
    const user = await this.#o.store.findUserById(row.user_id);
    return user && user.disabled_at === null ? user : undefined;
  }

  /** Starts an authenticator-app enrolment with an `enroll` mfa_token (nothing spent; the code goes to `verify`). */
  async enrolTotp(client: ClientRow, mfaToken: string, name: unknown, meta: RequestMeta): Promise<{ factor_id: string; secret: string; otpauth_uri: string }> {
    const user = await this.pendingUser(client, mfaToken, "enroll");
    if (!user) throw wrongCode("enrolment mfa_token unknown, expired, spent, of another client or for a second step");
    return this.#o.factors.enrolTotp(user, name, { ip: meta.ip, userAgent: meta.userAgent });
  }

  async verify(client: ClientRow, input: SecondStepInput, meta: RequestMeta): Promise<SecondStepResult> {
    const method = methodOf(input);
    if (!MFA_TOKEN_SHAPE.test(input.mfaToken)) throw wrongCode("malformed mfa_token");
    const tokenHash = sha256(input.mfaToken);
    const origin = { clientId: client.id, ip: meta.ip, userAgent: meta.userAgent };
    // 1. Whose token it is, read without spending anything: the throttle is keyed by the user.
    const pending = await this.#o.store.factors.findLiveMfaToken(tokenHash, this.#o.now(), this.#o.maxAttempts);
    if (!pending) throw wrongCode("mfa_token unknown, expired, spent or out of attempts");
    if (pending.client_id !== client.id) throw wrongCode("mfa_token of another client");
    const user = await this.#o.store.findUserById(pending.user_id);
    if (!user || user.disabled_at !== null) throw wrongCode("user gone or disabled");
    const ids = { ...origin, userId: user.id, method };
    if (pending.purpose === "enroll" && method === "recovery_code") throw wrongCode("an enrolment mfa_token takes the new authenticator app's code (otp) or a new passkey (webauthn)");
    let recoveryCodes: string[] | undefined;
    // Set once this request holds one of the token's attempts: only then is a code checked.
    let attemptTaken = false;
    // 2. The per-account limit, reserved before the code is checked (docs/security.md,
    //    "Concurrent attempts"): parallel guesses across many mfa_tokens share it. It comes
    //    before the token's attempt, so a request it refuses spends nothing of the token.
    // 3. Under it, the attempt, taken by one atomic UPDATE before the code is looked at (30
    //    parallel guesses get maxAttempts checks, not 30), then the code, spent by compare-and-set.
    const check = async () => {
      if (!(await this.#o.store.factors.reserveMfaAttempt(tokenHash, this.#o.now(), this.#o.maxAttempts))) throw wrongCode("mfa_token spent, expired or out of attempts");
      attemptTaken = true;
      if (pending.purpose === "enroll" && method === "passkey") {
        if (!this.#o.passkeyEnrol) throw new TesseraError("invalid_request", "Passkeys are not available on this server.");
        const made = await this.#o.passkeyEnrol(user, input.webauthn, origin);
        recoveryCodes = made.recoveryCodes;
        return { factorId: made.factorId, amr: made.amr };
      }
      if (pending.purpose === "enroll") {
        const confirmed = await this.#o.factors.confirmPendingTotp(user.id, input.otp ?? "", origin);
        if (!confirmed) throw wrongCode("wrong code for the pending enrolment, or none pending");
        recoveryCodes = confirmed.recoveryCodes;
        return { factorId: confirmed.factorId, amr: ["otp"] };
      }
      const proof = await this.#check(user.id, method, input);
      if (!proof) throw wrongCode(`wrong ${method}`);
      return proof;
    };
    // A token out of attempts is no guess at the account: its throttle slot is released, and no check is reported.
    const counts = (e: unknown) => attemptTaken && e instanceof TesseraError && e.code === "invalid_grant";
    let proved: PasskeyProof;
    try {
      proved = this.#o.throttle
        ? await this.#o.throttle.guard([{ dimension: "secondFactorAccount", key: user.id, onSuccess: "reset" }], check, counts)
        : await check();
    } catch (error) {
      const throttled = error instanceof TesseraError && error.code === "too_many_requests";
      if (throttled || attemptTaken) this.#o.events.emit("second-factor", { outcome: throttled ? "throttled" : "failure", ...ids });
      throw error;
    }
    // 4. The token, spent by compare-and-set.
    const now = this.#o.now();
    if (!(await this.#o.store.factors.spendMfaToken(tokenHash, now))) throw wrongCode("mfa_token spent by a concurrent request");
    this.#o.events.emit("second-factor", { outcome: "success", factorId: proved.factorId, ...ids });
    // The token's user, client, purpose, scope and first step never change: the row read in step 1 says them.
    const first = parseAmr(pending.amr);
    const amr = [...new Set([...first, ...proved.amr, "mfa"])];
    return { user, scope: pending.scope, resource: pending.resource ?? null, auth: { amr, authTime: now, complete: true }, ...(recoveryCodes ? { recoveryCodes } : {}) };
  }

  async #check(userId: string, method: SecondFactorMethod, input: SecondStepInput): Promise<PasskeyProof | undefined> {
    switch (method) {
      case "totp": {
        const factor = await this.#o.factors.useTotp(userId, input.otp ?? "");
        return factor && { factorId: factor.id, amr: ["otp"] };
      }
      case "recovery_code":
        // RFC 8176 has no word for a recovery code; it is a one-time password.
        return (await this.#o.factors.useRecoveryCode(userId, input.recoveryCode ?? "")) ? { factorId: "recovery_code", amr: ["otp"] } : undefined;
      case "passkey":
        if (!this.#o.passkeyCheck) throw new TesseraError("invalid_request", "Passkeys are not available on this server.");
        return this.#o.passkeyCheck(userId, input.webauthn);
    }
  }
}

/** Exactly one of otp, recovery_code, webauthn. */
function methodOf(input: SecondStepInput): SecondFactorMethod {
  const given = [input.otp !== undefined && "totp", input.recoveryCode !== undefined && "recovery_code", input.webauthn !== undefined && "passkey"]
    .filter((m): m is SecondFactorMethod => m !== false);
  if (given.length !== 1) throw new TesseraError("invalid_request", "Send exactly one of otp, recovery_code, webauthn.");
  return given[0]!;
}

function parseAmr(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((m): m is string => typeof m === "string") : [];
  } catch {
    return [];
  }
}
