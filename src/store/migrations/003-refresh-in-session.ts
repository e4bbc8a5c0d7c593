/**
 * The session row holds the hash of its current refresh token; the table of
 * every token ever issued goes (docs/refresh-rotation.md, "The token names its
 * session"). Tokens issued before this migration have the old shape and
 * can no longer be redeemed, so their sessions end here, recorded in the
 * revocation feed like any other ending, instead of lingering in session lists.
 */
import { sql, type Kysely } from "kysely";
import type { MigrationContext } from "./index.js";

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable("sessions").addColumn("refresh_hash", "text").execute();
  const now = Date.now();
  // Access tokens live at most 24 h (the configuration's upper bound): the feed keeps the entry that long.
  const tokensExpireAt = Math.ceil(now / 1000) + 24 * 3600;
  await sql`
    INSERT INTO revocations (session_id, exp, created_at)
    SELECT id, ${tokensExpireAt}, ${now} FROM sessions WHERE kind = 'token' AND revoked_at IS NULL`.execute(db);
  await sql`UPDATE sessions SET revoked_at = ${now}, revoked_reason = 'revoked' WHERE kind = 'token' AND revoked_at IS NULL`.execute(db);
  await db.schema.dropTable("refresh_tokens").execute();
}
