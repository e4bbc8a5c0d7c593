/**
 * Passkeys (WebAuthn Level 3) through @simplewebauthn/server: enrolment, a
 * passwordless sign-in with a discoverable credential (user verification
 * required), and a passkey as the second step. Challenges are stored
 * server-side under the SHA-256 of the challenge, live two minutes and are
 * taken by delete-and-return (single use). The RP ID and the allowed origins
 * come from the issuer unless configured (config.ts validates them); the
 * library refuses an assertion made for another origin or RP ID. The
 * signature counter and the backup flags are recorded at every use.
 */
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { Store, UserRow } from "../../store/index.js";
import type { FactorRow } from "../../store/index.js";
import { randomToken, sha256 } from "../crypto-utils.js";
import { TesseraError } from "../errors.js";
import type { AuthEvents, EventOrigin } from "../events.js";
import type { FactorService } from "./factors.js";
import { factorName } from "./factors.js";
import type { PasskeyProof } from "./second-step.js";
import type { SessionAuth } from "../sessions/session-service.js";

export const CHALLENGE_TTL_MS = 2 * 60 * 1000;
/** A WebAuthn field is base64url; these bound what we decode (an attestation with a certificate chain fits easily). */
const MAX_FIELD = { id: 1024, clientDataJSON: 2048, authenticatorData: 2048, signature: 1024, userHandle: 256, attestationObject: 8192 } as const;

export interface PasskeyOptions {
  store: Store;
  events: AuthEvents;
  factors: FactorService;
  now: () => number;
  rpId: string;
  rpName: string;
  /** Read at each check: with PORT=0 the issuer's origin is known only after listen. */
  origins: () => string[];
}

export function invalidWebauthn(detail: string): TesseraError {
  return new TesseraError("invalid_request", "webauthn: not a well-formed WebAuthn response.", { detail });
}

function passkeyRefused(detail: string, cause?: unknown): TesseraError {
  return new TesseraError("invalid_grant", "The passkey could not be verified.", { detail, ...(cause === undefined ? {} : { cause }) });
}

function b64(value: unknown, field: keyof typeof MAX_FIELD, optional = false): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_FIELD[field] || !/^[A-Za-z0-9_-]+={0,2}$/.test(value)) {
    throw invalidWebauthn(`${field} missing, oversized or not base64url`);
  }
  return value;
}

function record(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalidWebauthn("not an object");
  return value as Record<string, unknown>;
}

/** The shape checks before the library sees anything: bad input is a 400, never a thrown TypeError. */
export function parseAssertion(input: unknown): AuthenticationResponseJSON {
  const r = record(input);
  const response = record(r.response);
  if (r.type !== "public-key") throw invalidWebauthn("type is not public-key");
  const id = b64(r.id, "id")!;
  const userHandle = b64(response.userHandle ?? undefined, "userHandle", true);
  return {
    id, rawId: b64(r.rawId, "id")!, type: "public-key", clientExtensionResults: {},
    response: {
      clientDataJSON: b64(response.clientDataJSON, "clientDataJSON")!, authenticatorData: b64(response.authenticatorData, "authenticatorData")!,
      signature: b64(response.signature, "signature")!, ...(userHandle === undefined ? {} : { userHandle }),
    },
  };
}

export function parseAttestation(input: unknown): RegistrationResponseJSON {
  const r = record(input);
  const response = record(r.response);
  if (r.type !== "public-key") throw invalidWebauthn("type is not public-key");
  const transports = Array.isArray(response.transports) ? response.transports.filter((t): t is string => typeof t === "string" && t.length <= 32).slice(0, 8) : undefined;
  return {
    id: b64(r.id, "id")!, rawId: b64(r.rawId, "id")!, type: "public-key", clientExtensionResults: {},
    response: {
      clientDataJSON: b64(response.clientDataJSON, "clientDataJSON")!, attestationObject: b64(response.attestationObject, "attestationObject")!,
      ...(transports === undefined ? {} : { transports: transports as RegistrationResponseJSON["response"]["transports"] }),
    },
  };
}

/** The challenge a client-data blob names (for looking the stored one up); undefined when unreadable. */
function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8")) as { challenge?: unknown };
    return typeof parsed.challenge === "string" && parsed.challenge.length <= 256 ? parsed.challenge : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 8176: a synced passkey is a software key; a device-bound one, hardware. */
function amrOf(deviceType: string | null, userVerified: boolean): string[] {
  return [deviceType === "multiDevice" ? "swk" : "hwk", ...(userVerified ? ["user"] : [])];
}

export class PasskeyService {
  readonly #o: PasskeyOptions;

  constructor(options: PasskeyOptions) {
    this.#o = options;
  }

  /** Creation options for a new passkey of `user` (a discoverable credential; the user's passkeys excluded). */
  async registrationOptions(user: Pick<UserRow, "id" | "username">): Promise<Record<string, unknown>> {
    const existing = (await this.#o.store.factors.listFactors(user.id)).filter((f) => f.type === "passkey" && f.credential_id !== null);
    const options = await generateRegistrationOptions({
      // displayName is what password managers show for the passkey (WebAuthn L3: "human-palatable"); the library's default is "".
      rpName: this.#o.rpName, rpID: this.#o.rpId, userName: user.username, userDisplayName: user.username, userID: Buffer.from(user.id, "utf8"),
      attestationType: "none", timeout: CHALLENGE_TTL_MS,
      excludeCredentials: existing.map((f) => ({ id: f.credential_id!, ...transportsOf(f) })),
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
      // EdDSA, ES256, RS256 on every Node. The library's default adds ML-DSA-44 where
      // node:crypto has it (Node 24): its 2.4 KB signatures exceed MAX_FIELD, and a key
      // enrolled on Node 24 could not be checked by an instance on Node 20 or 22.
      supportedAlgorithmIDs: [-8, -7, -257],
    });
    await this.#storeChallenge(options.challenge, "register", user.id);
    return options as unknown as Record<string, unknown>;
  }

  /** Verifies and stores a new passkey. The user's first factor also gets recovery codes (shown once). */
  async register(user: Pick<UserRow, "id">, input: unknown, name: unknown, origin: EventOrigin = {}): Promise<{ id: string; name: string; created_at: string; recovery_codes?: string[] }> {
    const made = await this.#create(user, input, name, origin, (message, detail, cause) => new TesseraError("invalid_request", `response: ${message}`, { detail, cause }));
    const answer = { id: made.id, name: made.name, created_at: new Date(made.createdAt).toISOString() };
    return made.first ? { ...answer, recovery_codes: await this.#o.factors.newRecoveryCodes(user.id, origin) } : answer;
  }

  /**
   * The enrolment sign-in's passkey (second-step.ts, an `enroll` mfa_token): a new
   * passkey of a user who must have a factor, made for creation options of
   * `POST /auth/mfa-enrollment/passkey/options`, is the proof that finishes the
   * sign-in. Its recovery codes come with it. A creation that does not verify is
   * `invalid_grant`, as a wrong code is there; a malformed one stays a 400 `invalid_request`.
   */
  readonly enrolForSignIn = async (user: Pick<UserRow, "id">, input: unknown, origin: EventOrigin = {}): Promise<PasskeyProof & { recoveryCodes: string[] }> => {
    const made = await this.#create(user, input, undefined, origin, (_message, detail, cause) => passkeyRefused(detail ?? "creation refused", cause));
    return { factorId: made.id, amr: made.amr, recoveryCodes: await this.#o.factors.newRecoveryCodes(user.id, origin) };
  };

  async #create(user: Pick<UserRow, "id">, input: unknown, name: unknown, origin: EventOrigin, refuse: (message: string, detail?: string, cause?: unknown) => TesseraError) {
    const response = parseAttestation(input);
    const label = factorName(name, "Passkey");
    const challenge = await this.#takeChallenge(response.response.clientDataJSON, "register", user.id);
    if (!challenge) throw refuse("the challenge is unknown, used or expired; ask for new options", "register challenge unknown, used, expired or another user's");
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response, expectedChallenge: challenge, expectedOrigin: this.#o.origins(), expectedRPID: this.#o.rpId, requireUserVerification: true,
      });
    } catch (error) {
      throw refuse("the passkey could not be verified.", (error as Error).message?.slice(0, 200), error);
    }
    if (!verified.verified) throw refuse("the passkey could not be verified.", "registration not verified");
    const info = verified.registrationInfo;
    const first = (await this.#o.factors.methods(user.id)).length === 0;
    const id = randomToken(16);
    const now = this.#o.now();
    const row: FactorRow = {
      id, user_id: user.id, type: "passkey", name: label, secret_enc: null, last_step: null,
      credential_id: info.credential.id, public_key: Buffer.from(info.credential.publicKey).toString("base64url"), counter: info.credential.counter,
      transports: JSON.stringify(info.credential.transports ?? response.response.transports ?? []),
      device_type: info.credentialDeviceType, backed_up: info.credentialBackedUp ? 1 : 0,
      confirmed_at: now, created_at: now, last_used_at: null,
    };
    try {
      await this.#o.store.factors.insertFactor(row, false);
    } catch (error) {
      if (await this.#o.store.factors.findFactorByCredentialId(info.credential.id)) throw refuse("this passkey is already registered.", "credential already registered", error);
      throw error;
    }
    this.#o.events.emit("factor-changed", { action: "enrolled", type: "passkey", factorId: id, userId: user.id, ...origin });
    return { id, name: label, createdAt: now, first, amr: amrOf(info.credentialDeviceType, info.userVerified) };
  }

  /** Options for a discoverable-credential sign-in (also for conditional UI): no credentials listed, user verification required. */
  async loginOptions(): Promise<{ challenge_id: string; options: Record<string, unknown> }> {
    const options = await generateAuthenticationOptions({ rpID: this.#o.rpId, userVerification: "required", timeout: CHALLENGE_TTL_MS });
    const id = await this.#storeChallenge(options.challenge, "login", null);
    return { challenge_id: id, options: options as unknown as Record<string, unknown> };
  }

  /**
   * Options for a passkey as the second step of `userId`'s sign-in (their credentials listed). A user
   * with no passkey (mfa_required did not offer one) is refused `invalid_grant`, as the second step
   * refuses a recovery code or an assertion from a user who has none; no challenge is stored.
   */
  async secondStepOptions(userId: string): Promise<{ challenge_id: string; options: Record<string, unknown> }> {
    const passkeys = (await this.#o.store.factors.listFactors(userId)).filter((f) => f.type === "passkey" && f.credential_id !== null && f.confirmed_at !== null);
    if (passkeys.length === 0) throw new TesseraError("invalid_grant", "This sign-in offers no passkey: use one of the methods mfa_required listed.", { detail: "mfa-options for a user without a passkey" });
    const options = await generateAuthenticationOptions({
      rpID: this.#o.rpId, userVerification: "preferred", timeout: CHALLENGE_TTL_MS,
      allowCredentials: passkeys.map((f) => ({ id: f.credential_id!, ...transportsOf(f) })),
    });
    const id = await this.#storeChallenge(options.challenge, "mfa", userId);
    return { challenge_id: id, options: options as unknown as Record<string, unknown> };
  }

  /** A passwordless sign-in: the challenge of `challengeId`, an assertion with user verification. */
  async passwordless(challengeId: unknown, input: unknown, origin: EventOrigin & { clientId?: string } = {}): Promise<{ user: UserRow; auth: SessionAuth }> {
    const assertion = parseAssertion(input);
    if (typeof challengeId !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(challengeId)) throw passkeyRefused("malformed challenge_id");
    const challenge = await this.#o.store.factors.takeChallenge(challengeId, "login", this.#o.now());
    if (!challenge) throw passkeyRefused("challenge unknown, used or expired");
    const factor = await this.#o.store.factors.findFactorByCredentialId(assertion.id);
    const fail = (detail: string) => {
      this.#o.events.emit("second-factor", { outcome: "failure", method: "passkey", passwordless: true, userId: factor?.user_id, ...origin });
      return passkeyRefused(detail);
    };
    if (!factor || factor.type !== "passkey") throw fail("unknown credential");
    // The authenticator's user handle must name the credential's owner.
    const owner = Buffer.from(factor.user_id, "utf8").toString("base64url");
    if (assertion.response.userHandle !== undefined && assertion.response.userHandle !== owner) throw fail("user handle of another user");
    const result = await this.#verify(factor, assertion, challenge.challenge, true);
    if (!result) throw fail("assertion refused");
    const user = await this.#o.store.findUserById(factor.user_id);
    if (!user || user.disabled_at !== null) throw fail("user gone or disabled");
    this.#o.events.emit("second-factor", { outcome: "success", method: "passkey", passwordless: true, userId: user.id, factorId: factor.id, ...origin });
    return { user, auth: { amr: result.amr, authTime: this.#o.now(), complete: true } };
  }

  /** The second step's passkey check (second-step.ts): an assertion by one of `userId`'s passkeys, for their mfa challenge. */
  readonly check = async (userId: string, input: unknown): Promise<PasskeyProof | undefined> => {
    const assertion = parseAssertion(input);
    const challenge = await this.#takeChallenge(assertion.response.clientDataJSON, "mfa", userId);
    if (!challenge) return undefined;
    const factor = await this.#o.store.factors.findFactorByCredentialId(assertion.id);
    if (!factor || factor.type !== "passkey" || factor.user_id !== userId) return undefined;
    const result = await this.#verify(factor, assertion, challenge, false);
    return result && { factorId: factor.id, amr: result.amr };
  };

  async #verify(factor: FactorRow, response: AuthenticationResponseJSON, expectedChallenge: string, requireUserVerification: boolean): Promise<{ amr: string[] } | undefined> {
    let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verified = await verifyAuthenticationResponse({
        response, expectedChallenge, expectedOrigin: this.#o.origins(), expectedRPID: this.#o.rpId, requireUserVerification,
        credential: { id: factor.credential_id!, publicKey: Buffer.from(factor.public_key ?? "", "base64url"), counter: factor.counter ?? 0, ...transportsOf(factor) },
      });
    } catch {
      return undefined; // wrong origin, RP ID, challenge, signature, or a counter that went backwards
    }
    if (!verified.verified) return undefined;
    const info = verified.authenticationInfo;
    await this.#o.store.factors.usePasskey(factor.id, info.newCounter, info.credentialBackedUp, this.#o.now());
    return { amr: amrOf(info.credentialDeviceType, info.userVerified) };
  }

  async #storeChallenge(challenge: string, purpose: string, userId: string | null): Promise<string> {
    const id = sha256(challenge);
    const now = this.#o.now();
    await this.#o.store.factors.insertChallenge({ id, challenge, purpose, user_id: userId, created_at: now, expires_at: now + CHALLENGE_TTL_MS });
    return id;
  }

  /** Takes the stored challenge a response's client data names, if it is this user's and of this purpose. */
  async #takeChallenge(clientDataJSON: string, purpose: string, userId: string): Promise<string | undefined> {
    const challenge = challengeOf(clientDataJSON);
    if (challenge === undefined) return undefined;
    const row = await this.#o.store.factors.takeChallenge(sha256(challenge), purpose, this.#o.now());
    return row && row.user_id === userId ? row.challenge : undefined;
  }
}

function transportsOf(f: FactorRow): { transports?: string[] } {
  try {
    const parsed: unknown = JSON.parse(f.transports ?? "[]");
    return Array.isArray(parsed) && parsed.length > 0 ? { transports: parsed.filter((t): t is string => typeof t === "string") } : {};
  } catch {
    return {};
  }
}
