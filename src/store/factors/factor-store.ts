/**
 * Second factors (docs/mfa.md): TOTP and passkey factors, recovery codes, mfa
 * tokens (the second step of a sign-in) and WebAuthn challenges. Every
 * single-use secret is spent by one statement whose WHERE is the
 * compare-and-set: of two requests racing for it, exactly one sees a row change.
 */
import type { FactorsTable, MfaTokensTable, RecoveryCodesTable, WebauthnChallengesTable } from "../schema.js";
import type { SessionEnd } from "../sessions/session-store.js";

export type FactorRow = FactorsTable;
export type MfaTokenRow = MfaTokensTable;
export type RecoveryCodeRow = RecoveryCodesTable;
export type ChallengeRow = WebauthnChallengesTable;

/** What the core may ask of the factor tables. */
export interface FactorStore {
  insertFactor(factor: FactorRow, replacePendingTotp: boolean): Promise<void>;
  findFactor(id: string): Promise<FactorRow | undefined>;
  findFactorByCredentialId(credentialId: string): Promise<FactorRow | undefined>;
  listFactors(userId: string): Promise<FactorRow[]>;
  /** Confirms a pending factor (compare-and-set on confirmed_at) and records the step of the code that confirmed it. */
  confirmFactor(id: string, userId: string, step: number, now: number): Promise<boolean>;
  /** Records a TOTP step as used, only if it is later than the last one used (a code is accepted once). */
  useTotpStep(id: string, step: number, now: number): Promise<boolean>;
  /** Records a passkey use: the new counter and backup flag. */
  usePasskey(id: string, counter: number, backedUp: boolean, now: number): Promise<void>;
  /** Deletes a factor of the user; when no confirmed factor remains, the recovery codes go too. */
  deleteFactor(id: string, userId: string): Promise<boolean>;
  /** Admin reset: deletes every factor and recovery code of the user and ends every session — together. */
  resetFactors(userId: string, end: SessionEnd): Promise<{ factors: number; ended: string[] }>;

  /** Replaces the user's recovery codes with these (the old set is dead). */
  replaceRecoveryCodes(userId: string, codeHashes: string[], now: number): Promise<void>;
  /** Spends one unused recovery code of the user; false when unknown or spent. */
  useRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean>;
  countRecoveryCodes(userId: string): Promise<number>;

  insertMfaToken(token: MfaTokenRow): Promise<void>;
  /**
   * Reserves one attempt on a live, unspent token, before its code is checked:
   * the UPDATE succeeds only while attempts < maxAttempts. Returns the row, or
   * undefined when the token is unknown, spent, expired or out of attempts.
   */
  reserveMfaAttempt(tokenHash: string, now: number, maxAttempts: number): Promise<MfaTokenRow | undefined>;
  /** A live, unspent token with attempts left (to list a user's passkeys for the second step); nothing is spent. */
  findLiveMfaToken(tokenHash: string, now: number, maxAttempts: number): Promise<MfaTokenRow | undefined>;
  /** Spends the token; false when someone else spent it first (or it expired). */
  spendMfaToken(tokenHash: string, now: number): Promise<boolean>;

  insertChallenge(challenge: ChallengeRow): Promise<void>;
  /** Takes a live challenge (delete-and-return: single use); undefined when unknown, taken or expired. */
  takeChallenge(id: string, purpose: string, now: number): Promise<ChallengeRow | undefined>;

  /** Deletes expired mfa tokens and challenges. */
  sweepFactors(now: number): Promise<number>;
}
