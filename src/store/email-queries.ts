/**
 * The statements behind email (docs/email.md): verified addresses, one-time
 * email tokens and codes, and the outbox. Every message is written in the same
 * transaction as the change that causes it; claims on the outbox are
 * compare-and-sets with a lease (and `FOR UPDATE SKIP LOCKED` on PostgreSQL),
 * so several instances never deliver one message at once.
 */
import type { Kysely, Transaction } from "kysely";
import type { Database, EmailTokensTable, OutboxTable } from "./schema.js";
import type { PasswordResetRow, UserRow } from "./store.js";

export type EmailTokenRow = EmailTokensTable;
export type OutboxRow = OutboxTable;

/** What one change writes besides itself: secrets and the messages that carry them. */
export interface EmailWrites {
  /** Earlier secrets of these purposes of the user go first: one live secret per purpose. */
  replace?: { userId: string; purposes: string[] };
  tokens?: EmailTokenRow[];
  /** A self-service password reset (it replaces the user's earlier reset tokens). */
  reset?: PasswordResetRow;
  messages?: OutboxRow[];
}

export type SpentEmailToken = { userId: string; email: string; emailKey: string; purpose: string };

export interface OutboxQuery {
  status?: string;
  limit: number;
  /** Rows created before this one's created_at/id (paging, newest first). */
  before?: number;
}

export async function applyEmailWrites(tx: Transaction<Database>, writes: EmailWrites): Promise<void> {
  if (writes.replace && writes.replace.purposes.length > 0) {
    await tx.deleteFrom("email_tokens").where("user_id", "=", writes.replace.userId).where("purpose", "in", writes.replace.purposes).execute();
  }
  if (writes.tokens && writes.tokens.length > 0) await tx.insertInto("email_tokens").values(writes.tokens).execute();
  if (writes.reset) {
    await tx.deleteFrom("password_resets").where("user_id", "=", writes.reset.user_id).execute();
    await tx.insertInto("password_resets").values(writes.reset).execute();
  }
  if (writes.messages && writes.messages.length > 0) await tx.insertInto("outbox").values(writes.messages).execute();
}

export function writeEmail(db: Kysely<Database>, writes: EmailWrites): Promise<void> {
  return db.transaction().execute((tx) => applyEmailWrites(tx, writes));
}

export function findUserByVerifiedEmail(db: Kysely<Database>, key: string): Promise<UserRow | undefined> {
  return db.selectFrom("users").selectAll().where("email_verified_key", "=", key).executeTakeFirst();
}

export function findEmailToken(db: Kysely<Database>, secretHash: string): Promise<EmailTokenRow | undefined> {
  return db.selectFrom("email_tokens").selectAll().where("secret_hash", "=", secretHash).executeTakeFirst();
}

/**
 * Spends a verification (or address-change) token and verifies its address, together.
 * The DELETE … RETURNING is the compare-and-set: of concurrent requests, one gets the
 * row. A `verify` token only verifies the address it was sent to if that is still the
 * user's. "conflict" when another user verified that address first (nothing changes).
 */
export async function spendVerification(db: Kysely<Database>, isUnique: (e: unknown) => boolean, secretHash: string, purposes: string[], now: number): Promise<SpentEmailToken | "conflict" | undefined> {
  try {
    return await db.transaction().execute(async (tx) => {
      const spent = await tx.deleteFrom("email_tokens").where("secret_hash", "=", secretHash).where("purpose", "in", purposes)
        .where("expires_at", ">", now).returning(["user_id", "email", "email_key", "purpose"]).executeTakeFirst();
      if (!spent) return undefined;
      let update = tx.updateTable("users")
        .set({ email: spent.email, email_verified_key: spent.email_key, email_verified_at: now, updated_at: now })
        .where("id", "=", spent.user_id);
      if (spent.purpose === "verify") update = update.where("email", "=", spent.email);
      const changed = await update.executeTakeFirst();
      if (Number(changed.numUpdatedRows) === 0) return undefined;
      // The address is now verified: its other pending change and verify tokens are moot.
      await tx.deleteFrom("email_tokens").where("user_id", "=", spent.user_id).where("purpose", "in", ["verify", "change"]).execute();
      return { userId: spent.user_id, email: spent.email, emailKey: spent.email_key, purpose: spent.purpose };
    });
  } catch (error) {
    if (isUnique(error)) return "conflict";
    throw error;
  }
}

/** Sets a verified address directly (an admin's act); false when another user holds it verified. */
export async function markEmailVerified(db: Kysely<Database>, isUnique: (e: unknown) => boolean, userId: string, email: string, key: string, now: number): Promise<boolean> {
  try {
    await db.transaction().execute(async (tx) => {
      await tx.updateTable("users").set({ email, email_verified_key: key, email_verified_at: now, updated_at: now }).where("id", "=", userId).execute();
      await tx.deleteFrom("email_tokens").where("user_id", "=", userId).where("purpose", "in", ["verify", "change"]).execute();
    });
    return true;
  } catch (error) {
    if (isUnique(error)) return false;
    throw error;
  }
}

/**
 * Takes one attempt on the user's live code of `purpose` before it is compared:
 * one UPDATE that succeeds only below `maxAttempts`, so 30 concurrent guesses get
 * at most `maxAttempts` comparisons.
 */
export async function reserveCodeAttempt(db: Kysely<Database>, userId: string, purpose: string, now: number, maxAttempts: number): Promise<Pick<EmailTokenRow, "id" | "secret_hash" | "email_key"> | undefined> {
  return db.updateTable("email_tokens").set((eb) => ({ attempts: eb("attempts", "+", 1) }))
    .where("user_id", "=", userId).where("purpose", "=", purpose).where("expires_at", ">", now).where("attempts", "<", maxAttempts)
    .returning(["id", "secret_hash", "email_key"]).executeTakeFirst();
}

/** Spends a code after its check: true for the one request whose DELETE found the row. */
export async function spendCode(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  const spent = await db.deleteFrom("email_tokens").where("id", "=", id).where("expires_at", ">", now).executeTakeFirst();
  return Number(spent.numDeletedRows) === 1;
}

/**
 * Claims up to `limit` due messages for `owner` until `leaseUntil`. A message is due
 * when pending, its next attempt has come, and no live lease holds it (an instance
 * that died mid-delivery loses its claim when the lease runs out).
 */
export async function claimOutbox(db: Kysely<Database>, dialect: "sqlite" | "postgres", owner: string, now: number, leaseUntil: number, limit: number): Promise<OutboxRow[]> {
  const due = () => db.selectFrom("outbox").select("id")
    .where("status", "=", "pending").where("next_attempt_at", "<=", now)
    .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now)]))
    .orderBy("next_attempt_at").limit(limit);
  if (dialect === "postgres") {
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
}

/** Records the outcome of a delivery attempt; only the claim's owner may (false: the claim was lost). */
export async function settleOutbox(db: Kysely<Database>, id: string, owner: string, outcome:
  | { status: "sent"; at: number }
  | { status: "pending"; nextAttemptAt: number; error: string }
  | { status: "failed"; at: number; error: string }): Promise<boolean> {
  const changes = outcome.status === "sent"
    ? { status: "sent", sent_at: outcome.at, lease_until: null, last_error: null }
    : outcome.status === "pending"
      ? { status: "pending", next_attempt_at: outcome.nextAttemptAt, lease_until: null, last_error: outcome.error.slice(0, 500) }
      : { status: "failed", failed_at: outcome.at, lease_until: null, last_error: outcome.error.slice(0, 500) };
  const result = await db.updateTable("outbox").set(changes).where("id", "=", id).where("claimed_by", "=", owner).where("status", "=", "pending").executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function listOutbox(db: Kysely<Database>, query: OutboxQuery): Promise<OutboxRow[]> {
  let q = db.selectFrom("outbox").selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(query.limit);
  if (query.status !== undefined) q = q.where("status", "=", query.status);
  if (query.before !== undefined) q = q.where("created_at", "<", query.before);
  return q.execute();
}

export async function countOutbox(db: Kysely<Database>): Promise<Record<string, number>> {
  const rows = await db.selectFrom("outbox").select(["status", (eb) => eb.fn.countAll().as("n")]).groupBy("status").execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Deletes delivered messages older than `sentBefore`, failed ones older than `failedBefore`, and expired email secrets. */
export async function sweepEmail(db: Kysely<Database>, sentBefore: number, failedBefore: number, now: number): Promise<{ messages: number; secrets: number }> {
  const messages = await db.deleteFrom("outbox").where((eb) => eb.or([
    eb.and([eb("status", "=", "sent"), eb("sent_at", "<", sentBefore)]),
    eb.and([eb("status", "=", "failed"), eb("failed_at", "<", failedBefore)]),
  ])).executeTakeFirst();
  const secrets = await db.deleteFrom("email_tokens").where("expires_at", "<", now).executeTakeFirst();
  return { messages: Number(messages.numDeletedRows), secrets: Number(secrets.numDeletedRows) };
}
