/**
 * The statements behind second factors (docs/mfa.md), beside kysely-store.ts
 * so that file stays about sessions and tokens. Every single-use secret here
 * is spent by one statement whose WHERE is the compare-and-set: of two
 * requests racing for it, exactly one sees a row change (on PostgreSQL the
 * loser waits on the row lock, re-evaluates the WHERE and changes nothing).
 */
import type { Kysely, Transaction } from "kysely";
import type { Database, FactorsTable, MfaTokensTable, RecoveryCodesTable, WebauthnChallengesTable } from "./schema.js";
import type { SessionEnd } from "./store.js";

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

type EndUserSessions = (tx: Transaction<Database>, end: SessionEnd, userId: string) => Promise<string[]>;

export class FactorQueries implements FactorStore {
  readonly #db: Kysely<Database>;
  readonly #endUserSessions: EndUserSessions;

  constructor(db: Kysely<Database>, endUserSessions: EndUserSessions) {
    this.#db = db;
    this.#endUserSessions = endUserSessions;
  }

  async insertFactor(factor: FactorRow, replacePendingTotp: boolean): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      // One pending TOTP enrolment per user: starting again replaces the unconfirmed one.
      if (replacePendingTotp) {
        await tx.deleteFrom("factors").where("user_id", "=", factor.user_id).where("type", "=", "totp").where("confirmed_at", "is", null).execute();
      }
      await tx.insertInto("factors").values(factor).execute();
    });
  }

  findFactor(id: string): Promise<FactorRow | undefined> {
    return this.#db.selectFrom("factors").selectAll().where("id", "=", id).executeTakeFirst();
  }

  findFactorByCredentialId(credentialId: string): Promise<FactorRow | undefined> {
    return this.#db.selectFrom("factors").selectAll().where("credential_id", "=", credentialId).executeTakeFirst();
  }

  listFactors(userId: string): Promise<FactorRow[]> {
    return this.#db.selectFrom("factors").selectAll().where("user_id", "=", userId).orderBy("created_at").orderBy("id").execute();
  }

  async confirmFactor(id: string, userId: string, step: number, now: number): Promise<boolean> {
    const result = await this.#db.updateTable("factors").set({ confirmed_at: now, last_step: step, last_used_at: now })
      .where("id", "=", id).where("user_id", "=", userId).where("confirmed_at", "is", null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async useTotpStep(id: string, step: number, now: number): Promise<boolean> {
    const result = await this.#db.updateTable("factors").set({ last_step: step, last_used_at: now })
      .where("id", "=", id).where("confirmed_at", "is not", null)
      .where((eb) => eb.or([eb("last_step", "is", null), eb("last_step", "<", step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async usePasskey(id: string, counter: number, backedUp: boolean, now: number): Promise<void> {
    await this.#db.updateTable("factors").set({ counter, backed_up: backedUp ? 1 : 0, last_used_at: now }).where("id", "=", id).execute();
  }

  deleteFactor(id: string, userId: string): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      const deleted = await tx.deleteFrom("factors").where("id", "=", id).where("user_id", "=", userId).executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== 1) return false;
      const left = await tx.selectFrom("factors").select("id").where("user_id", "=", userId).where("confirmed_at", "is not", null).limit(1).executeTakeFirst();
      if (!left) await tx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
      return true;
    });
  }

  resetFactors(userId: string, end: SessionEnd): Promise<{ factors: number; ended: string[] }> {
    return this.#db.transaction().execute(async (tx) => {
      const deleted = await tx.deleteFrom("factors").where("user_id", "=", userId).executeTakeFirst();
      await tx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
      await tx.deleteFrom("mfa_tokens").where("user_id", "=", userId).execute();
      return { factors: Number(deleted.numDeletedRows), ended: await this.#endUserSessions(tx, end, userId) };
    });
  }

  async replaceRecoveryCodes(userId: string, codeHashes: string[], now: number): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
      await tx.insertInto("recovery_codes").values(codeHashes.map((code_hash) => ({ code_hash, user_id: userId, created_at: now, used_at: null }))).execute();
    });
  }

  async useRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean> {
    const result = await this.#db.updateTable("recovery_codes").set({ used_at: now })
      .where("code_hash", "=", codeHash).where("user_id", "=", userId).where("used_at", "is", null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async countRecoveryCodes(userId: string): Promise<number> {
    const row = await this.#db.selectFrom("recovery_codes").select((eb) => eb.fn.countAll().as("n"))
      .where("user_id", "=", userId).where("used_at", "is", null).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async insertMfaToken(token: MfaTokenRow): Promise<void> {
    await this.#db.insertInto("mfa_tokens").values(token).execute();
  }

  reserveMfaAttempt(tokenHash: string, now: number, maxAttempts: number): Promise<MfaTokenRow | undefined> {
    return this.#db.updateTable("mfa_tokens").set((eb) => ({ attempts: eb("attempts", "+", 1) }))
      .where("token_hash", "=", tokenHash).where("used_at", "is", null).where("expires_at", ">", now).where("attempts", "<", maxAttempts)
      .returningAll().executeTakeFirst();
  }

  findLiveMfaToken(tokenHash: string, now: number, maxAttempts: number): Promise<MfaTokenRow | undefined> {
    return this.#db.selectFrom("mfa_tokens").selectAll()
      .where("token_hash", "=", tokenHash).where("used_at", "is", null).where("expires_at", ">", now).where("attempts", "<", maxAttempts)
      .executeTakeFirst();
  }

  async spendMfaToken(tokenHash: string, now: number): Promise<boolean> {
    const result = await this.#db.updateTable("mfa_tokens").set({ used_at: now })
      .where("token_hash", "=", tokenHash).where("used_at", "is", null).where("expires_at", ">", now).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async insertChallenge(challenge: ChallengeRow): Promise<void> {
    await this.#db.insertInto("webauthn_challenges").values(challenge).execute();
  }

  takeChallenge(id: string, purpose: string, now: number): Promise<ChallengeRow | undefined> {
    return this.#db.deleteFrom("webauthn_challenges").where("id", "=", id).where("purpose", "=", purpose).where("expires_at", ">", now)
      .returningAll().executeTakeFirst();
  }

  async sweepFactors(now: number): Promise<number> {
    const tokens = await this.#db.deleteFrom("mfa_tokens").where("expires_at", "<", now).executeTakeFirst();
    const challenges = await this.#db.deleteFrom("webauthn_challenges").where("expires_at", "<", now).executeTakeFirst();
    return Number(tokens.numDeletedRows) + Number(challenges.numDeletedRows);
  }
}
