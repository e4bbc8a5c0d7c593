/**
 * Second factors in Kysely. On PostgreSQL the loser of a compare-and-set waits
 * on the row lock, re-evaluates the WHERE and changes nothing.
 */
import { changedOne, type StoreContext } from "../kysely-context.js";
import { prepared } from "../prepared.js";
import { endSessionsWhere } from "../sessions/kysely-session-store.js";
import type { SessionEnd } from "../sessions/session-store.js";
import type { ChallengeRow, FactorRow, FactorStore, MfaTokenRow } from "./factor-store.js";

export function kyselyFactorStore({ db, hot }: StoreContext): FactorStore {
  // Every sign-in asks which factors its user has (the second-step gate): compiled once, run on the fast path.
  const factorsOf = prepared(1, (userId: string) => db.selectFrom("factors").selectAll().where("user_id", "=", userId).orderBy("created_at").orderBy("id"));
  return {
    async insertFactor(factor: FactorRow, replacePendingTotp: boolean): Promise<void> {
      await db.transaction().execute(async (tx) => {
        // One pending TOTP enrolment per user: starting again replaces the unconfirmed one.
        if (replacePendingTotp) {
          await tx.deleteFrom("factors").where("user_id", "=", factor.user_id).where("type", "=", "totp").where("confirmed_at", "is", null).execute();
        }
        await tx.insertInto("factors").values(factor).execute();
      });
    },

    findFactor(id: string): Promise<FactorRow | undefined> {
      return db.selectFrom("factors").selectAll().where("id", "=", id).executeTakeFirst();
    },

    findFactorByCredentialId(credentialId: string): Promise<FactorRow | undefined> {
      return db.selectFrom("factors").selectAll().where("credential_id", "=", credentialId).executeTakeFirst();
    },

    async listFactors(userId: string): Promise<FactorRow[]> {
      return (await factorsOf(hot, userId)).rows;
    },

    async confirmFactor(id: string, userId: string, step: number, now: number): Promise<boolean> {
      return changedOne(await db.updateTable("factors").set({ confirmed_at: now, last_step: step, last_used_at: now })
        .where("id", "=", id).where("user_id", "=", userId).where("confirmed_at", "is", null).executeTakeFirst());
    },

    async useTotpStep(id: string, step: number, now: number): Promise<boolean> {
      return changedOne(await db.updateTable("factors").set({ last_step: step, last_used_at: now })
        .where("id", "=", id).where("confirmed_at", "is not", null)
        .where((eb) => eb.or([eb("last_step", "is", null), eb("last_step", "<", step)]))
        .executeTakeFirst());
    },

    async usePasskey(id: string, counter: number, backedUp: boolean, now: number): Promise<void> {
      await db.updateTable("factors").set({ counter, backed_up: backedUp ? 1 : 0, last_used_at: now }).where("id", "=", id).execute();
    },

    deleteFactor(id: string, userId: string): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        const deleted = await tx.deleteFrom("factors").where("id", "=", id).where("user_id", "=", userId).executeTakeFirst();
        if (Number(deleted.numDeletedRows) !== 1) return false;
        const left = await tx.selectFrom("factors").select("id").where("user_id", "=", userId).where("confirmed_at", "is not", null).limit(1).executeTakeFirst();
        if (!left) await tx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
        return true;
      });
    },

    resetFactors(userId: string, end: SessionEnd): Promise<{ factors: number; ended: string[] }> {
      return db.transaction().execute(async (tx) => {
        const deleted = await tx.deleteFrom("factors").where("user_id", "=", userId).executeTakeFirst();
        await tx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
        await tx.deleteFrom("mfa_tokens").where("user_id", "=", userId).execute();
        return { factors: Number(deleted.numDeletedRows), ended: await endSessionsWhere(tx, end, { userId }) };
      });
    },

    async replaceRecoveryCodes(userId: string, codeHashes: string[], now: number): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
        await tx.insertInto("recovery_codes").values(codeHashes.map((code_hash) => ({ code_hash, user_id: userId, created_at: now, used_at: null }))).execute();
      });
    },

    async useRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean> {
      return changedOne(await db.updateTable("recovery_codes").set({ used_at: now })
        .where("code_hash", "=", codeHash).where("user_id", "=", userId).where("used_at", "is", null).executeTakeFirst());
    },

    async countRecoveryCodes(userId: string): Promise<number> {
      const row = await db.selectFrom("recovery_codes").select((eb) => eb.fn.countAll().as("n"))
        .where("user_id", "=", userId).where("used_at", "is", null).executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async insertMfaToken(token: MfaTokenRow): Promise<void> {
      await db.insertInto("mfa_tokens").values(token).execute();
    },

    reserveMfaAttempt(tokenHash: string, now: number, maxAttempts: number): Promise<MfaTokenRow | undefined> {
      return db.updateTable("mfa_tokens").set((eb) => ({ attempts: eb("attempts", "+", 1) }))
        .where("token_hash", "=", tokenHash).where("used_at", "is", null).where("expires_at", ">", now).where("attempts", "<", maxAttempts)
        .returningAll().executeTakeFirst();
    },

    findLiveMfaToken(tokenHash: string, now: number, maxAttempts: number): Promise<MfaTokenRow | undefined> {
      return db.selectFrom("mfa_tokens").selectAll()
        .where("token_hash", "=", tokenHash).where("used_at", "is", null).where("expires_at", ">", now).where("attempts", "<", maxAttempts)
        .executeTakeFirst();
    },

    async spendMfaToken(tokenHash: string, now: number): Promise<boolean> {
      return changedOne(await db.updateTable("mfa_tokens").set({ used_at: now })
        .where("token_hash", "=", tokenHash).where("used_at", "is", null).where("expires_at", ">", now).executeTakeFirst());
    },

    async insertChallenge(challenge: ChallengeRow): Promise<void> {
      await db.insertInto("webauthn_challenges").values(challenge).execute();
    },

    takeChallenge(id: string, purpose: string, now: number): Promise<ChallengeRow | undefined> {
      return db.deleteFrom("webauthn_challenges").where("id", "=", id).where("purpose", "=", purpose).where("expires_at", ">", now)
        .returningAll().executeTakeFirst();
    },

    async sweepFactors(now: number): Promise<number> {
      const tokens = await db.deleteFrom("mfa_tokens").where("expires_at", "<", now).executeTakeFirst();
      const challenges = await db.deleteFrom("webauthn_challenges").where("expires_at", "<", now).executeTakeFirst();
      return Number(tokens.numDeletedRows) + Number(challenges.numDeletedRows);
    },
  };
}
