/**
 * Email in Kysely. Spending a secret is a DELETE … RETURNING or a guarded
 * UPDATE: of concurrent requests, one gets the row. Claims on the outbox take
 * `FOR UPDATE SKIP LOCKED` on PostgreSQL and a per-row compare-and-set on SQLite.
 */
import type { Transaction } from "kysely";
import type { Database } from "../schema.js";
import { changedOne, type StoreContext } from "../kysely-context.js";
import { replacePasswordReset } from "../resets/kysely-reset-store.js";
import type { EmailStore, EmailTokenRow, EmailWrites, OutboxOutcome, OutboxQuery, OutboxRow, SpentEmailToken } from "./email-store.js";

/** Applies what a change writes besides itself, inside the caller's transaction. */
export async function applyEmailWrites(tx: Transaction<Database>, writes: EmailWrites): Promise<void> {
  if (writes.replace && writes.replace.purposes.length > 0) {
    await tx.deleteFrom("email_tokens").where("user_id", "=", writes.replace.userId).where("purpose", "in", writes.replace.purposes).execute();
  }
  if (writes.tokens && writes.tokens.length > 0) await tx.insertInto("email_tokens").values(writes.tokens).execute();
  if (writes.reset) await replacePasswordReset(tx, writes.reset);
  if (writes.messages && writes.messages.length > 0) await tx.insertInto("outbox").values(writes.messages).execute();
}

/** Once an address is verified, its other pending change and verify tokens are moot. */
async function dropAddressTokens(tx: Transaction<Database>, userId: string): Promise<void> {
  await tx.deleteFrom("email_tokens").where("user_id", "=", userId).where("purpose", "in", ["verify", "change"]).execute();
}

export function kyselyEmailStore({ db, dialect }: StoreContext): EmailStore {
  /** Runs a write that verifies an address; `onTaken` when another user holds that address verified (its unique index). */
  async function verifyingAddress<T>(write: () => Promise<T>, onTaken: T): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (dialect.isUniqueViolation(error)) return onTaken;
      throw error;
    }
  }

  return {
    async writeEmail(writes: EmailWrites): Promise<void> {
      await db.transaction().execute((tx) => applyEmailWrites(tx, writes));
    },

    findEmailToken(secretHash: string): Promise<EmailTokenRow | undefined> {
      return db.selectFrom("email_tokens").selectAll().where("secret_hash", "=", secretHash).executeTakeFirst();
    },

    // A `verify` token only verifies the address it was sent to if that is still the user's.
    spendVerification(secretHash: string, purposes: string[], now: number): Promise<SpentEmailToken | "conflict" | undefined> {
      return verifyingAddress<SpentEmailToken | "conflict" | undefined>(() => db.transaction().execute(async (tx) => {
        const spent = await tx.deleteFrom("email_tokens").where("secret_hash", "=", secretHash).where("purpose", "in", purposes)
          .where("expires_at", ">", now).returning(["user_id", "email", "email_key", "purpose"]).executeTakeFirst();
        if (!spent) return undefined;
        let update = tx.updateTable("users")
          .set({ email: spent.email, email_verified_key: spent.email_key, email_verified_at: now, updated_at: now })
          .where("id", "=", spent.user_id);
        if (spent.purpose === "verify") update = update.where("email", "=", spent.email);
        const changed = await update.executeTakeFirst();
        if (Number(changed.numUpdatedRows) === 0) return undefined;
        await dropAddressTokens(tx, spent.user_id);
        return { userId: spent.user_id, email: spent.email, emailKey: spent.email_key, purpose: spent.purpose };
      }), "conflict");
    },

    markEmailVerified(userId: string, email: string, key: string, now: number): Promise<boolean> {
      return verifyingAddress(() => db.transaction().execute(async (tx) => {
        await tx.updateTable("users").set({ email, email_verified_key: key, email_verified_at: now, updated_at: now }).where("id", "=", userId).execute();
        await dropAddressTokens(tx, userId);
        return true;
      }), false);
    },

    // One UPDATE that succeeds only below `maxAttempts`, so 30 concurrent guesses get at most `maxAttempts` comparisons.
    reserveCodeAttempt(userId: string, purpose: string, now: number, maxAttempts: number): Promise<Pick<EmailTokenRow, "id" | "secret_hash" | "email_key"> | undefined> {
      return db.updateTable("email_tokens").set((eb) => ({ attempts: eb("attempts", "+", 1) }))
        .where("user_id", "=", userId).where("purpose", "=", purpose).where("expires_at", ">", now).where("attempts", "<", maxAttempts)
        .returning(["id", "secret_hash", "email_key"]).executeTakeFirst();
    },

    async spendCode(id: string, now: number): Promise<boolean> {
      return changedOne(await db.deleteFrom("email_tokens").where("id", "=", id).where("expires_at", ">", now).executeTakeFirst());
    },

    // A message is due when pending, its next attempt has come, and no live lease holds it
    // (an instance that died mid-delivery loses its claim when the lease runs out).
    async claimOutbox(owner: string, now: number, leaseUntil: number, limit: number): Promise<OutboxRow[]> {
      const due = () => db.selectFrom("outbox").select("id")
        .where("status", "=", "pending").where("next_attempt_at", "<=", now)
        .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now)]))
        .orderBy("next_attempt_at").limit(limit);
      if (dialect.name === "postgres") {
        // One statement: the sub-select locks the rows it picks and skips those another
        // instance is claiming at this moment, so instances never wait on each other.
        return db.updateTable("outbox")
          .set((eb) => ({ claimed_by: owner, lease_until: leaseUntil, attempts: eb("attempts", "+", 1) }))
          .where("id", "in", due().forUpdate().skipLocked())
          .returningAll().execute();
      }
      // SQLite: one writer at a time; each row is claimed by a compare-and-set on its lease.
      const ids = await due().execute();
      const claimed: OutboxRow[] = [];
      for (const { id } of ids) {
        const row = await db.updateTable("outbox")
          .set((eb) => ({ claimed_by: owner, lease_until: leaseUntil, attempts: eb("attempts", "+", 1) }))
          .where("id", "=", id).where("status", "=", "pending")
          .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now)]))
          .returningAll().executeTakeFirst();
        if (row) claimed.push(row);
      }
      return claimed;
    },

    async settleOutbox(id: string, owner: string, outcome: OutboxOutcome): Promise<boolean> {
      const changes = outcome.status === "sent"
        ? { status: "sent", sent_at: outcome.at, lease_until: null, last_error: null }
        : outcome.status === "pending"
          ? { status: "pending", next_attempt_at: outcome.nextAttemptAt, lease_until: null, last_error: outcome.error.slice(0, 500) }
          : { status: "failed", failed_at: outcome.at, lease_until: null, last_error: outcome.error.slice(0, 500) };
      return changedOne(await db.updateTable("outbox").set(changes).where("id", "=", id).where("claimed_by", "=", owner).where("status", "=", "pending").executeTakeFirst());
    },

    listOutbox(query: OutboxQuery): Promise<OutboxRow[]> {
      let q = db.selectFrom("outbox").selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(query.limit);
      if (query.status !== undefined) q = q.where("status", "=", query.status);
      if (query.before !== undefined) q = q.where("created_at", "<", query.before);
      return q.execute();
    },

    async countOutbox(): Promise<Record<string, number>> {
      const rows = await db.selectFrom("outbox").select(["status", (eb) => eb.fn.countAll().as("n")]).groupBy("status").execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },

    async sweepEmail(sentBefore: number, failedBefore: number, now: number): Promise<{ messages: number; secrets: number }> {
      const messages = await db.deleteFrom("outbox").where((eb) => eb.or([
        eb.and([eb("status", "=", "sent"), eb("sent_at", "<", sentBefore)]),
        eb.and([eb("status", "=", "failed"), eb("failed_at", "<", failedBefore)]),
      ])).executeTakeFirst();
      const secrets = await db.deleteFrom("email_tokens").where("expires_at", "<", now).executeTakeFirst();
      return { messages: Number(messages.numDeletedRows), secrets: Number(secrets.numDeletedRows) };
    },
  };
}
