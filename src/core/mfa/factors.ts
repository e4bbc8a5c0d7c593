/**
 * A user's second factors: authenticator apps (TOTP) and recovery codes here,
 * passkeys in passkeys.ts. TOTP secrets are sealed with a master-key subkey of
 * their own (AES-256-GCM, AAD = the factor id, like private signing keys);
 * recovery codes are stored as SHA-256 (recovery-codes.ts says why that is
 * enough). Each code is spent by one compare-and-set in the store.
 */
import type { Store } from "../../store/index.js";
import type { FactorRow } from "../../store/index.js";
import { randomToken } from "../crypto-utils.js";
import { invalidField, TesseraError } from "../errors.js";
import type { AuthEvents, EventOrigin } from "../events.js";
import { iso } from "../admin/admin-users.js";
import { seal, unseal } from "../keys/master-key.js";
import { hashRecoveryCode, newRecoveryCodes } from "./recovery-codes.js";
import { keyUriIssuer, matchTotp, newTotpSecret, otpauthUri, totpStep } from "./totp.js";

export interface FactorServiceOptions {
  store: Store;
  events: AuthEvents;
  now: () => number;
  /** Subkey of the master key that seals TOTP secrets. */
  sealingKey: Buffer;
  /** The issuer's host (`URL.host`); authenticator apps show it, as `keyUriIssuer` makes it, beside the account name. */
  issuerLabel: string;
}

export interface FactorView {
  id: string;
  type: "totp" | "passkey";
  name: string;
  created_at: string;
  last_used_at: string | null;
  /** Passkeys: whether the credential is synced (backed up), and its device type. */
  backed_up?: boolean;
  device_type?: string | null;
}

/** Factor ids are ours: 22 base64url characters. Anything else is unknown without a lookup. */
const FACTOR_ID = /^[A-Za-z0-9_-]{22}$/;
const MAX_NAME = 64;

export function factorName(name: unknown, fallback: string): string {
  if (name === undefined || name === null || name === "") return fallback;
  if (typeof name !== "string") throw invalidField("name", "must be a string");
  const clean = name.normalize("NFKC").replace(/\p{Cc}/gu, "").trim();
  if (clean.length === 0 || clean.length > MAX_NAME) throw invalidField("name", `must be 1 to ${MAX_NAME} characters`);
  return clean;
}

function notFound(): TesseraError {
  return new TesseraError("not_found", "No such factor.");
}

export class FactorService {
  readonly #o: FactorServiceOptions;

  constructor(options: FactorServiceOptions) {
    this.#o = options;
  }

  async list(userId: string): Promise<{ factors: FactorView[]; recovery_codes_left: number }> {
    const rows = await this.#o.store.factors.listFactors(userId);
    return {
      factors: rows.filter((f) => f.confirmed_at !== null).map(view),
      recovery_codes_left: await this.#o.store.factors.countRecoveryCodes(userId),
    };
  }

  /** The methods a second step may use for this user (empty: no second step owed). */
  async methods(userId: string): Promise<Array<"totp" | "passkey" | "recovery_code">> {
    const rows = (await this.#o.store.factors.listFactors(userId)).filter((f) => f.confirmed_at !== null);
    if (rows.length === 0) return [];
    const methods: Array<"totp" | "passkey" | "recovery_code"> = [];
    if (rows.some((f) => f.type === "totp")) methods.push("totp");
    if (rows.some((f) => f.type === "passkey")) methods.push("passkey");
    if ((await this.#o.store.factors.countRecoveryCodes(userId)) > 0) methods.push("recovery_code");
    return methods;
  }

  /** Starts a TOTP enrolment: pending until a code confirms it (one pending enrolment per user). */
  async enrolTotp(user: { id: string; username: string }, name: unknown, origin: EventOrigin = {}): Promise<{ factor_id: string; secret: string; otpauth_uri: string }> {
    const id = randomToken(16);
    const secret = newTotpSecret();
    const now = this.#o.now();
    await this.#o.store.factors.insertFactor({
      id, user_id: user.id, type: "totp", name: factorName(name, "Authenticator app"),
      secret_enc: seal(this.#o.sealingKey, secret, id), last_step: null,
      credential_id: null, public_key: null, counter: null, transports: null, device_type: null, backed_up: null,
      confirmed_at: null, created_at: now, last_used_at: null,
    }, true);
    this.#o.events.emit("factor-changed", { action: "enrolled", type: "totp", factorId: id, userId: user.id, ...origin });
    return { factor_id: id, secret, otpauth_uri: otpauthUri(keyUriIssuer(this.#o.issuerLabel), user.username, secret) };
  }

  /** Confirms a pending TOTP factor with a code; the user's first factor also gets recovery codes. */
  async confirmTotp(userId: string, factorId: unknown, code: unknown, origin: EventOrigin = {}): Promise<{ recovery_codes?: string[] }> {
    if (typeof code !== "string") throw invalidField("code", "must be a string of 6 digits");
    const factor = await this.#own(userId, factorId);
    if (factor.type !== "totp" || factor.confirmed_at !== null) throw notFound();
    const confirmed = await this.#confirm(factor, code, origin);
    if (!confirmed) {
      this.#o.events.emit("second-factor", { outcome: "failure", method: "totp", userId, factorId: factor.id, ...origin });
      throw new TesseraError("invalid_code", "The code is incorrect; check the app's clock and try the current code.");
    }
    return confirmed.recoveryCodes ? { recovery_codes: confirmed.recoveryCodes } : {};
  }

  /**
   * The enrolment sign-in (an `enroll` mfa_token): confirms the user's pending
   * authenticator app with its first code, as `confirmTotp` does, without a
   * factor id (a user has one pending enrolment at most). Undefined when
   * nothing is pending or the code is wrong; the caller reports the failure.
   */
  async confirmPendingTotp(userId: string, code: string, origin: EventOrigin = {}): Promise<{ factorId: string; recoveryCodes?: string[] } | undefined> {
    const pending = (await this.#o.store.factors.listFactors(userId)).find((f) => f.type === "totp" && f.confirmed_at === null);
    return pending && this.#confirm(pending, code, origin);
  }

  /** Checks a code against a pending TOTP factor and confirms it by compare-and-set; the user's first factor gets recovery codes. */
  async #confirm(factor: FactorRow, code: string, origin: EventOrigin): Promise<{ factorId: string; recoveryCodes?: string[] } | undefined> {
    const now = this.#o.now();
    const step = matchTotp(this.#secretOf(factor), code.trim(), now, null);
    if (step === undefined) return undefined;
    const userId = factor.user_id;
    const others = (await this.#o.store.factors.listFactors(userId)).filter((f) => f.confirmed_at !== null);
    if (!(await this.#o.store.factors.confirmFactor(factor.id, userId, step, now))) return undefined;
    this.#o.events.emit("factor-changed", { action: "confirmed", type: "totp", factorId: factor.id, userId, ...origin });
    if (others.length > 0) return { factorId: factor.id };
    return { factorId: factor.id, recoveryCodes: await this.newRecoveryCodes(userId, origin) };
  }

  /** A new set of ten recovery codes; every code of the old set stops working. Returns the codes (shown once). */
  async newRecoveryCodes(userId: string, origin: EventOrigin = {}): Promise<string[]> {
    const codes = newRecoveryCodes();
    await this.#o.store.factors.replaceRecoveryCodes(userId, codes.map((c) => hashRecoveryCode(c)!), this.#o.now());
    this.#o.events.emit("factor-changed", { action: "recovery_codes_created", userId, ...origin });
    return codes;
  }

  /** Recovery codes need an enrolled factor to recover (without one, there is nothing to get past). */
  async assertHasFactor(userId: string): Promise<void> {
    if ((await this.methods(userId)).length === 0) throw new TesseraError("invalid_request", "Enrol a second factor first.");
  }

  async remove(userId: string, factorId: unknown, origin: EventOrigin = {}): Promise<void> {
    const factor = await this.#own(userId, factorId);
    if (!(await this.#o.store.factors.deleteFactor(factor.id, userId))) throw notFound();
    this.#o.events.emit("factor-changed", { action: "removed", type: factor.type, factorId: factor.id, userId, ...origin });
  }

  /**
   * A TOTP code as a second step: the first confirmed factor it matches, at a
   * step later than that factor's last one, recorded by compare-and-set (of
   * two requests with one code, one wins). Returns the factor, or undefined.
   */
  async useTotp(userId: string, code: string): Promise<FactorRow | undefined> {
    const now = this.#o.now();
    const factors = (await this.#o.store.factors.listFactors(userId)).filter((f) => f.type === "totp" && f.confirmed_at !== null);
    for (const factor of factors) {
      const step = matchTotp(this.#secretOf(factor), code.trim(), now, factor.last_step);
      if (step !== undefined && (await this.#o.store.factors.useTotpStep(factor.id, step, now))) return factor;
    }
    return undefined;
  }

  /** A recovery code as a second step: spent by compare-and-set; false when unknown or already used. */
  async useRecoveryCode(userId: string, code: string): Promise<boolean> {
    const hash = hashRecoveryCode(code);
    return hash !== undefined && this.#o.store.factors.useRecoveryCode(userId, hash, this.#o.now());
  }

  /** The current step (tests and the demo's timeline). */
  step(): number {
    return totpStep(this.#o.now());
  }

  async #own(userId: string, factorId: unknown): Promise<FactorRow> {
    if (typeof factorId !== "string" || !FACTOR_ID.test(factorId)) throw notFound();
    const factor = await this.#o.store.factors.findFactor(factorId);
    if (!factor || factor.user_id !== userId) throw notFound();
    return factor;
  }

  #secretOf(factor: FactorRow): string {
    return unseal(this.#o.sealingKey, factor.secret_enc ?? "", factor.id);
  }
}

function view(f: FactorRow): FactorView {
  return {
    id: f.id, type: f.type, name: f.name, created_at: iso(f.created_at), last_used_at: f.last_used_at === null ? null : iso(f.last_used_at),
    ...(f.type === "passkey" ? { backed_up: f.backed_up === 1, device_type: f.device_type } : {}),
  };
}
