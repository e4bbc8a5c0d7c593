/** Users in Kysely. */
import { applyEmailWrites } from "../email/kysely-email-store.js";
import { insertUnlessDuplicate, unmatchable, type StoreContext } from "../kysely-context.js";
import { prepared } from "../prepared.js";
import { endSessionsWhere } from "../sessions/kysely-session-store.js";
import type { SessionEnd } from "../sessions/session-store.js";
import type { EmailWrites } from "../email/email-store.js";
import { sql, type Transaction } from "kysely";
import type { Database } from "../schema.js";
import type { UserListQuery, UserRow, UserStore } from "./user-store.js";

/** Sets a user's password hash inside the caller's transaction (a change, or a reset). */
export async function setPasswordHash(tx: Transaction<Database>, userId: string, passwordHash: string, now: number): Promise<void> {
  await tx.updateTable("users").set({ password_hash: passwordHash, password_changed_at: now, updated_at: now }).where("id", "=", userId).execute();
}

export function kyselyUserStore(ctx: StoreContext): UserStore {
  const { db, hot } = ctx;
  // Every sign-in looks a user up (by name, or by id for a refresh's owner): compiled once, run on the fast path.
  const byColumn = (column: "id" | "username_key" | "username_skeleton" | "email_verified_key") =>
    prepared(1, (value: string) => db.selectFrom("users").selectAll().where(column, "=", value));
  const lookups = { id: byColumn("id"), username_key: byColumn("username_key"), username_skeleton: byColumn("username_skeleton"), email_verified_key: byColumn("email_verified_key") };
  const findBy = async (column: keyof typeof lookups, value: string): Promise<UserRow | undefined> => {
    if (unmatchable(value)) return undefined;
    return (await lookups[column](hot, value)).rows[0];
  };
  return {
    insertUser(user: UserRow, writes?: EmailWrites): Promise<boolean> {
      if (!writes) return insertUnlessDuplicate(ctx, () => db.insertInto("users").values(user).execute());
      return insertUnlessDuplicate(ctx, () => db.transaction().execute(async (tx) => {
        await tx.insertInto("users").values(user).execute();
        await applyEmailWrites(tx, writes);
      }));
    },

    findUserById: (id) => findBy("id", id),
    findUserByUsernameKey: (key) => findBy("username_key", key),
    findUserBySkeleton: (skeleton) => findBy("username_skeleton", skeleton),
    findUserByVerifiedEmail: (key) => findBy("email_verified_key", key),

    listUsersWithoutSkeleton(): Promise<UserRow[]> {
      return db.selectFrom("users").selectAll().where("username_skeleton", "is", null).orderBy("created_at").limit(1000).execute();
    },

    async listUsers(query: UserListQuery): Promise<UserRow[]> {
      if (unmatchable(query.search, query.after)) return [];
      let q = db.selectFrom("users").selectAll().orderBy("username_key").limit(query.limit);
      if (query.after !== undefined) q = q.where("username_key", ">", query.after);
      if (query.search) {
        const pattern = `%${query.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        // ESCAPE is spelled out: PostgreSQL escapes with a backslash by default, SQLite has no default.
        const like = (column: "username_key" | "email") => sql<boolean>`${sql.ref(column)} LIKE ${pattern} ESCAPE '\\'`;
        q = q.where((eb) => eb.or([like("username_key"), like("email")]));
      }
      return q.execute();
    },

    async updateUser(id: string, changes: Partial<Omit<UserRow, "id" | "created_at">>): Promise<boolean> {
      const result = await db.updateTable("users").set(changes).where("id", "=", id).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    changePassword(userId: string, passwordHash: string, keepSessionId: string | null, end: SessionEnd): Promise<string[]> {
      return db.transaction().execute(async (tx) => {
        await setPasswordHash(tx, userId, passwordHash, end.now);
        return endSessionsWhere(tx, end, { userId, exceptId: keepSessionId });
      });
    },
  };
}
