/**
 * What an `mfa_token` allows: `second_step` (the user has a factor and must
 * use it) or `enroll` (the user's role requires a factor and they have none:
 * the token allows enrolling one and finishing the sign-in with it; docs/mfa.md,
 * "Mandatory second factor"). Tokens issued before this migration were all
 * second steps.
 */
import type { Kysely } from "kysely";
import type { MigrationContext } from "./index.js";

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable("mfa_tokens").addColumn("purpose", "text", (c) => c.notNull().defaultTo("second_step")).execute();
}
