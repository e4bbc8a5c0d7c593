/** Password resets in Kysely; each write is one transaction with the sessions it ends. */
import type { Transaction } from "kysely";
import type { Database } from "../schema.js";
import type { StoreContext } from "../kysely-context.js";
import { endSessionsWhere } from "../sessions/kysely-session-store.js";
import type { SessionEnd } from "../sessions/session-store.js";
import { setPasswordHash } from "../users/kysely-user-store.js";
import type { PasswordResetRow, ResetStore } from "./reset-store.js";

/** One live reset token per user: a new one replaces whatever was issued before (inside the caller's transaction). */
export async function replacePasswordReset(tx: Transaction<Database>, reset: PasswordResetRow): Promise<void> {
  await tx.deleteFrom("password_resets").where("user_id", "=", reset.user_id).execute();
  await tx.insertInto("password_resets").values(reset).execute();
}

export function kyselyResetStore({ db }: StoreContext): ResetStore {
  return {
    forcePasswordReset(reset: PasswordResetRow, passwordHash: string, end: SessionEnd): Promise<string[]> {
      return db.transaction().execute(async (tx) => {
        await setPasswordHash(tx, reset.user_id, passwordHash, end.now);
        await replacePasswordReset(tx, reset);
        return endSessionsWhere(tx, end, { userId: reset.user_id });
      });
    },

    consumePasswordReset(tokenHash: string, passwordHash: string, end: SessionEnd): Promise<{ userId: string; ended: string[] } | undefined> {
      return db.transaction().execute(async (tx) => {
        // Delete-and-return is the compare-and-set: of two requests spending one token, one gets the row.
        // A reset sent by email holds only while its address is still the user's verified one.
        const spent = await tx.deleteFrom("password_resets").where("token_hash", "=", tokenHash).where("expires_at", ">", end.now)
          .where((eb) => eb.or([eb("email_key", "is", null), eb("email_key", "=", eb.selectFrom("users").select("users.email_verified_key").whereRef("users.id", "=", "password_resets.user_id"))]))
          .returning("user_id").executeTakeFirst();
        if (!spent) return undefined;
        await setPasswordHash(tx, spent.user_id, passwordHash, end.now);
        return { userId: spent.user_id, ended: await endSessionsWhere(tx, end, { userId: spent.user_id }) };
      });
    },

    findPasswordReset(tokenHash: string): Promise<PasswordResetRow | undefined> {
      return db.selectFrom("password_resets").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
    },
  };
}
