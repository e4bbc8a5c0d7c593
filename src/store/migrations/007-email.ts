/**
 * Email: verified addresses, one-time email tokens and codes, and the outbox
 * of messages waiting for delivery (docs/email.md). Same conventions as 001:
 * epoch-ms bigints, text ids, JSON text, one migration for both dialects.
 */
import type { Kysely } from "kysely";
import type { MigrationContext } from "./index.js";

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  // The normalised key of the address, set only once it is verified: the unique index
  // allows many NULLs, so unverified addresses may repeat, verified ones may not.
  await db.schema.alterTable("users").addColumn("email_verified_key", "text").execute();
  await db.schema.alterTable("users").addColumn("email_verified_at", "bigint").execute();
  await db.schema.createIndex("users_email_verified_key_idx").on("users").column("email_verified_key").unique().execute();

  // A self-service reset is bound to the verified address it was sent to.
  await db.schema.alterTable("password_resets").addColumn("email_key", "text").execute();

  await db.schema
    .createTable("email_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("email_key", "text", (c) => c.notNull())
    .addColumn("secret_hash", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("email_tokens_secret_idx").on("email_tokens").column("secret_hash").unique().execute();
  await db.schema.createIndex("email_tokens_user_idx").on("email_tokens").columns(["user_id", "purpose"]).execute();

  await db.schema
    .createTable("outbox")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("recipient", "text", (c) => c.notNull())
    .addColumn("user_id", "text")
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("claimed_by", "text")
    .addColumn("lease_until", "bigint")
    .addColumn("last_error", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("sent_at", "bigint")
    .addColumn("failed_at", "bigint")
    .execute();
  await db.schema.createIndex("outbox_due_idx").on("outbox").columns(["status", "next_attempt_at"]).execute();
  await db.schema.createIndex("outbox_created_idx").on("outbox").column("created_at").execute();
}
