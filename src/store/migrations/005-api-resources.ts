/**
 * APIs as resources (RFC 8707, docs/admin.md "APIs"): each registered API is
 * an audience with its scopes and the roles that grant them. A token session
 * remembers the API it was granted (`resource`), so that its refreshes keep
 * that audience; a client can be disabled without losing its row.
 */
import type { Kysely } from "kysely";
import type { MigrationContext } from "./index.js";

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable("api_resources")
    .addColumn("identifier", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("grants", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.alterTable("sessions").addColumn("resource", "text").execute();
  await db.schema.alterTable("clients").addColumn("disabled_at", "bigint").execute();
}
