/**
 * The statements behind issue #7's tables (audit log, password resets), kept
 * beside kysely-store.ts so that file stays about sessions and tokens. Plain
 * Kysely, the same on SQLite and PostgreSQL.
 */
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.js";
import type { AuditEventRow, AuditQuery, NewAuditEvent, PasswordResetRow, SessionEnd } from "./store.js";

/** Rows per INSERT: 11 columns × 500 stays far below SQLite's 32,766 parameters. */
const CHUNK = 500;

export async function insertAuditEvents(db: Kysely<Database>, rows: NewAuditEvent[]): Promise<void> {
  if (rows.length === 0) return;
  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < rows.length; i += CHUNK) await tx.insertInto("audit_events").values(rows.slice(i, i + CHUNK)).execute();
  });
}

export async function queryAuditEvents(db: Kysely<Database>, query: AuditQuery): Promise<AuditEventRow[]> {
  let q = db.selectFrom("audit_events").selectAll().orderBy("id", "desc").limit(query.limit);
  if (query.types && query.types.length > 0) q = q.where("type", "in", query.types);
  if (query.userId !== undefined) q = q.where("user_id", "=", query.userId);
  if (query.from !== undefined) q = q.where("at", ">=", query.from);
  if (query.to !== undefined) q = q.where("at", "<", query.to);
  if (query.before !== undefined) q = q.where("id", "<", query.before);
  const rows = await q.execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export async function pruneAuditEvents(db: Kysely<Database>, before: number): Promise<number> {
  const result = await db.deleteFrom("audit_events").where("at", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

type EndSessions = (tx: Transaction<Database>, end: SessionEnd, filter: { userId: string }) => Promise<string[]>;

export function forcePasswordReset(db: Kysely<Database>, endSessions: EndSessions, reset: PasswordResetRow, passwordHash: string, end: SessionEnd): Promise<string[]> {
  return db.transaction().execute(async (tx) => {
    await tx.updateTable("users").set({ password_hash: passwordHash, password_changed_at: end.now, updated_at: end.now }).where("id", "=", reset.user_id).execute();
    // One live reset token per user: a new one replaces whatever the admin issued before.
    await tx.deleteFrom("password_resets").where("user_id", "=", reset.user_id).execute();
    await tx.insertInto("password_resets").values(reset).execute();
    return endSessions(tx, end, { userId: reset.user_id });
  });
}

export function consumePasswordReset(db: Kysely<Database>, endSessions: EndSessions, tokenHash: string, passwordHash: string, end: SessionEnd): Promise<{ userId: string; ended: string[] } | undefined> {
  return db.transaction().execute(async (tx) => {
    // Delete-and-return is the compare-and-set: of two requests spending one token, one gets the row.
    // A reset sent by email holds only while its address is still the user's verified one.
    const spent = await tx.deleteFrom("password_resets").where("token_hash", "=", tokenHash).where("expires_at", ">", end.now)
      .where((eb) => eb.or([eb("email_key", "is", null), eb("email_key", "=", eb.selectFrom("users").select("users.email_verified_key").whereRef("users.id", "=", "password_resets.user_id"))]))
      .returning("user_id").executeTakeFirst();
    if (!spent) return undefined;
    await tx.updateTable("users").set({ password_hash: passwordHash, password_changed_at: end.now, updated_at: end.now }).where("id", "=", spent.user_id).execute();
    return { userId: spent.user_id, ended: await endSessions(tx, end, { userId: spent.user_id }) };
  });
}

export function findPasswordReset(db: Kysely<Database>, tokenHash: string): Promise<PasswordResetRow | undefined> {
  return db.selectFrom("password_resets").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
}
