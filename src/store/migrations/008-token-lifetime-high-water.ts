/**
 * Marks that only ever rise, kept across starts. The first is the longest
 * access-token lifetime any start configured (`access_token_ttl`, seconds): a
 * revocation-feed entry must outlive every token still alive, including those
 * issued before the lifetime was lowered (docs/security.md).
 */
import type { Kysely } from "kysely";
import type { MigrationContext } from "./index.js";

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable("high_water_marks")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("value", "bigint", (c) => c.notNull())
    .execute();
}
