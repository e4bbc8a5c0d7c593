/**
 * Issue #7: the audit log and one-time password-reset tokens. Same column
 * conventions as 001 (epoch-ms bigints, JSON text, text ids), so one
 * migration serves SQLite and PostgreSQL.
 */
import type { Kysely } from "kysely";
import type { MigrationContext } from "./index.js";

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable("audit_events")
    .addColumn("id", ctx.autoIncrementType, (c) => {
      const col = c.primaryKey();
      return ctx.dialect === "sqlite" ? col.autoIncrement() : col;
    })
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("user_id", "text")
    .addColumn("session_id", "text")
    .addColumn("client_id", "text")
    .addColumn("actor", "text")
    .addColumn("ip", "text")
    .addColumn("user_agent", "text")
    .addColumn("detail", "text")
    .execute();
  // Queries page newest-first by id, optionally narrowed by user or type; retention deletes by time.
  await db.schema.createIndex("audit_events_user_idx").on("audit_events").columns(["user_id", "id"]).execute();
  await db.schema.createIndex("audit_events_type_idx").on("audit_events").columns(["type", "id"]).execute();
  await db.schema.createIndex("audit_events_at_idx").on("audit_events").column("at").execute();

  await db.schema
    .createTable("password_resets")
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("created_by", "text")
    .execute();
  await db.schema.createIndex("password_resets_user_idx").on("password_resets").column("user_id").execute();
}
