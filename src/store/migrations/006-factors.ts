/**
 * Second factors and passkeys (docs/mfa.md): enrolled factors (TOTP secrets
 * sealed with the master key, passkey public keys), recovery codes (SHA-256
 * only), the short-lived `mfa_token`s of a sign-in waiting for its second
 * step, and WebAuthn challenges. Sessions record how the user signed in
 * (`amr`, `auth_time`), so a refreshed access token says the same.
 */
import type { Kysely } from "kysely";
import type { MigrationContext } from "./index.js";

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable("factors")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    // TOTP: AES-256-GCM envelope of the base32 secret (AAD: the factor id); the last time step used.
    .addColumn("secret_enc", "text")
    .addColumn("last_step", "bigint")
    // Passkeys: the credential id (base64url, unique), COSE public key (base64url), signature counter, flags.
    .addColumn("credential_id", "text", (c) => c.unique())
    .addColumn("public_key", "text")
    .addColumn("counter", "bigint")
    .addColumn("transports", "text")
    .addColumn("device_type", "text")
    .addColumn("backed_up", "integer")
    .addColumn("confirmed_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_used_at", "bigint")
    .execute();
  await db.schema.createIndex("factors_user_idx").on("factors").column("user_id").execute();

  await db.schema
    .createTable("recovery_codes")
    .addColumn("code_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .execute();
  await db.schema.createIndex("recovery_codes_user_idx").on("recovery_codes").column("user_id").execute();

  await db.schema
    .createTable("mfa_tokens")
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("resource", "text")
    .addColumn("amr", "text", (c) => c.notNull())
    .addColumn("auth_time", "bigint", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .execute();
  await db.schema.createIndex("mfa_tokens_expiry_idx").on("mfa_tokens").column("expires_at").execute();

  await db.schema
    .createTable("webauthn_challenges")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("challenge", "text", (c) => c.notNull())
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("user_id", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("webauthn_challenges_expiry_idx").on("webauthn_challenges").column("expires_at").execute();

  await db.schema.alterTable("sessions").addColumn("amr", "text").execute();
  await db.schema.alterTable("sessions").addColumn("auth_time", "bigint").execute();
}
