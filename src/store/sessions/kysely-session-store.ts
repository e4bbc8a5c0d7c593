/**
 * Sessions in Kysely. The statements of every protected request and every
 * refresh are compiled once (prepared.ts) and run on the dialect's hot path;
 * the rotation runs on its grouped writes (SQLite's group commit).
 */
import type { Transaction } from "kysely";
import { prepared } from "../prepared.js";
import type { Database } from "../schema.js";
import { unmatchable, type StoreContext } from "../kysely-context.js";
import type { UserRow } from "../users/user-store.js";
import type { Revocation, SessionEnd, SessionRow, SessionStore, SessionView, UserView } from "./session-store.js";

const userColumns = [
  "u.id", "u.username", "u.username_key", "u.email", "u.password_hash", "u.roles", "u.disabled_at",
  "u.password_changed_at", "u.created_at", "u.updated_at", "u.email_verified_key", "u.email_verified_at",
] as const;

type Joined = SessionRow & { [K in keyof UserRow as `u_${K}`]: UserRow[K] };

function splitJoined(row: Joined): { session: SessionRow; user: UserRow } {
  const user = {
    id: row.u_id, username: row.u_username, username_key: row.u_username_key, email: row.u_email,
    password_hash: row.u_password_hash, roles: row.u_roles, disabled_at: row.u_disabled_at,
    password_changed_at: row.u_password_changed_at, created_at: row.u_created_at, updated_at: row.u_updated_at,
    email_verified_key: row.u_email_verified_key ?? null, email_verified_at: row.u_email_verified_at ?? null,
  };
  const session = {
    id: row.id, user_id: row.user_id, client_id: row.client_id, kind: row.kind, scope: row.scope,
    cookie_hash: row.cookie_hash, created_at: row.created_at, last_used_at: row.last_used_at,
    expires_at: row.expires_at, refresh_generation: row.refresh_generation, refresh_hash: row.refresh_hash, rotated_at: row.rotated_at,
    revoked_at: row.revoked_at, revoked_reason: row.revoked_reason, user_agent: row.user_agent, ip: row.ip, resource: row.resource,
    amr: row.amr ?? null, auth_time: row.auth_time ?? null,
  };
  return { session, user };
}

export interface SessionFilter {
  id?: string;
  userId?: string;
  exceptId?: string | null;
}

/**
 * Ends the live sessions a filter selects and records each in the revocation
 * feed, inside the caller's transaction: the step every write that ends
 * sessions (logout, password change, resets, a factor reset) shares.
 */
export async function endSessionsWhere(tx: Transaction<Database>, end: SessionEnd, filter: SessionFilter): Promise<string[]> {
  let update = tx.updateTable("sessions")
    .set({ revoked_at: end.now, revoked_reason: end.reason })
    .where("revoked_at", "is", null);
  if (filter.id !== undefined) update = update.where("id", "=", filter.id);
  if (filter.userId !== undefined) update = update.where("user_id", "=", filter.userId);
  if (filter.exceptId) update = update.where("id", "!=", filter.exceptId);
  const ended = await update.returning("id").execute();
  if (ended.length > 0) {
    await tx.insertInto("revocations")
      .values(ended.map((s) => ({ session_id: s.id, exp: end.tokensExpireAt, created_at: end.now })))
      .execute();
  }
  return ended.map((s) => s.id);
}

/** A session row's columns, in the order of the prepared insert's parameters. */
const SESSION_COLUMNS = [
  "id", "user_id", "client_id", "kind", "scope", "cookie_hash", "created_at", "last_used_at", "expires_at", "refresh_generation",
  "refresh_hash", "rotated_at", "revoked_at", "revoked_reason", "user_agent", "ip", "amr", "auth_time", "resource",
] as const satisfies readonly (keyof SessionRow)[];
// A column added to SessionRow but not above would be dropped by every insert: make that a type error.
const everySessionColumn: Exclude<keyof SessionRow, (typeof SESSION_COLUMNS)[number]> extends never ? true : never = true;
void everySessionColumn;

export function kyselySessionStore({ db, hot, hotWrites }: StoreContext): SessionStore {
  const sessionWithUser = () => db.selectFrom("sessions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .selectAll("s")
    .select(userColumns.map((c) => `${c} as u_${c.slice(2)}` as `u.id as u_id`));
  // Compiled at first use.
  const q = {
    sessionWithUser: prepared(1, (id: string) => sessionWithUser().where("s.id", "=", id)),
    sessionView: prepared(1, (id: string) => db.selectFrom("sessions as s")
      .innerJoin("users as u", "u.id", "s.user_id")
      .select(["s.id", "s.client_id", "s.last_used_at", "s.expires_at", "s.revoked_at", "s.revoked_reason"])
      .select(["u.id as u_id", "u.username as u_username", "u.email as u_email", "u.roles as u_roles", "u.disabled_at as u_disabled_at", "u.email_verified_at as u_email_verified_at"])
      .where("s.id", "=", id)),
    session: prepared(1, (id: string) => db.selectFrom("sessions").selectAll().where("id", "=", id)),
    advanceGeneration: prepared(5, (next: number, hash: string, now: number, id: string, from: number) => db.updateTable("sessions")
      .set({ refresh_generation: next, refresh_hash: hash, rotated_at: now, last_used_at: now })
      .where("id", "=", id)
      .where("refresh_generation", "=", from)
      .where("revoked_at", "is", null)),
    // Every sign-in inserts one; every column is given (null where the row has none).
    insertSession: prepared(SESSION_COLUMNS.length, (...values: unknown[]) => db.insertInto("sessions")
      .values(Object.fromEntries(SESSION_COLUMNS.map((column, i) => [column, values[i]])) as unknown as SessionRow)),
  };

  return {
    async createSession(session: SessionRow): Promise<void> {
      await q.insertSession(hot, ...SESSION_COLUMNS.map((column) => session[column] ?? null));
    },

    async findSession(id: string): Promise<SessionRow | undefined> {
      if (unmatchable(id)) return undefined;
      return (await q.session(hot, id)).rows[0];
    },

    async findSessionWithUser(id: string): Promise<{ session: SessionRow; user: UserRow } | undefined> {
      const { rows } = await q.sessionWithUser(hot, id);
      return rows[0] && splitJoined(rows[0] as Joined);
    },

    async findSessionView(id: string): Promise<{ session: SessionView; user: UserView } | undefined> {
      if (unmatchable(id)) return undefined;
      const row = (await q.sessionView(hot, id)).rows[0];
      if (!row) return undefined;
      return {
        session: { id: row.id, client_id: row.client_id, last_used_at: row.last_used_at, expires_at: row.expires_at, revoked_at: row.revoked_at, revoked_reason: row.revoked_reason },
        user: { id: row.u_id, username: row.u_username, email: row.u_email, roles: row.u_roles, disabled_at: row.u_disabled_at, email_verified_at: row.u_email_verified_at ?? null },
      };
    },

    async findSessionByCookieHash(hash: string): Promise<{ session: SessionRow; user: UserRow } | undefined> {
      const row = await sessionWithUser().where("s.cookie_hash", "=", hash).executeTakeFirst();
      return row && splitJoined(row as Joined);
    },

    async rotateRefreshToken(sessionId: string, fromGeneration: number, successorHash: string, now: number): Promise<boolean> {
      // Compare-and-set on the generation: of two requests racing with the same
      // token, exactly one sees a row updated. On PostgreSQL the UPDATE takes the
      // row lock, so the loser blocks, re-evaluates the WHERE and updates nothing.
      const moved = await q.advanceGeneration(hotWrites, fromGeneration + 1, successorHash, now, sessionId, fromGeneration);
      return Number(moved.numAffectedRows ?? 0) === 1;
    },

    async touchSession(id: string, now: number): Promise<void> {
      await db.updateTable("sessions").set({ last_used_at: now }).where("id", "=", id).where("last_used_at", "<", now).execute();
    },

    listLiveSessions(userId: string, now: number, idleCutoff: number): Promise<SessionRow[]> {
      return db.selectFrom("sessions").selectAll()
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now)
        .where("last_used_at", ">", idleCutoff)
        .orderBy("created_at", "desc")
        .execute();
    },

    async endSession(id: string, end: SessionEnd): Promise<boolean> {
      const ended = await db.transaction().execute((tx) => endSessionsWhere(tx, end, { id }));
      return ended.length > 0;
    },

    endUserSessions(userId: string, end: SessionEnd): Promise<string[]> {
      return db.transaction().execute((tx) => endSessionsWhere(tx, end, { userId }));
    },

    async revocationsSince(afterSeq: number, nowSeconds: number): Promise<Revocation[]> {
      const rows = await db.selectFrom("revocations").select(["seq", "session_id", "exp"])
        .where("seq", ">", afterSeq).where("exp", ">", nowSeconds).orderBy("seq").limit(10_000).execute();
      return rows.map((r) => ({ seq: Number(r.seq), sessionId: r.session_id, exp: Number(r.exp) }));
    },

    async latestRevocationSeq(): Promise<number> {
      const row = await db.selectFrom("revocations").select((eb) => eb.fn.max("seq").as("seq")).executeTakeFirst();
      return Number(row?.seq ?? 0);
    },

    async sweep(now: number, idleCutoff: number, retentionMs: number): Promise<{ sessions: number; revocations: number }> {
      const sessions = await db.deleteFrom("sessions")
        .where((eb) => eb.or([
          eb("expires_at", "<", now - retentionMs),
          eb("last_used_at", "<", idleCutoff - retentionMs),
          eb("revoked_at", "<", now - retentionMs),
        ]))
        .executeTakeFirst();
      const revocations = await db.deleteFrom("revocations").where("exp", "<", Math.floor(now / 1000) - 60).executeTakeFirst();
      return { sessions: Number(sessions.numDeletedRows), revocations: Number(revocations.numDeletedRows) };
    },

    async countLiveSessions(now: number, idleCutoff: number): Promise<number> {
      const row = await db.selectFrom("sessions").select((eb) => eb.fn.countAll().as("n"))
        .where("revoked_at", "is", null).where("expires_at", ">", now).where("last_used_at", ">", idleCutoff)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
}
