/**
 * Versioned migrations, applied at start (and by `tessera migrate`). Listed
 * statically so the built package needs no file-system discovery. A migration
 * that needs a dialect-specific type gets it from the context, never by
 * sniffing the connection.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from "kysely";
import * as initial from "./001-initial.js";
import * as security from "./002-security.js";
import * as refreshInSession from "./003-refresh-in-session.js";
import * as usernameSkeleton from "./004-username-skeleton.js";
import * as apiResources from "./005-api-resources.js";
import * as factors from "./006-factors.js";
import * as email from "./007-email.js";
import * as tokenLifetimeHighWater from "./008-token-lifetime-high-water.js";
import * as mfaTokenPurpose from "./009-mfa-token-purpose.js";

export interface MigrationContext {
  dialect: "sqlite" | "postgres";
  /** Column type of an auto-incrementing integer key in this dialect. */
  autoIncrementType: "integer" | "bigserial";
}

type Step = (db: Kysely<unknown>, ctx: MigrationContext) => Promise<void>;
const steps: Record<string, { up: Step }> = {
  "001-initial": initial,
  "002-security": security,
  "003-refresh-in-session": refreshInSession,
  "004-username-skeleton": usernameSkeleton,
  "005-api-resources": apiResources,
  "006-factors": factors,
  "007-email": email,
  "008-token-lifetime-high-water": tokenLifetimeHighWater,
  "009-mfa-token-purpose": mfaTokenPurpose,
};

class StaticMigrationProvider implements MigrationProvider {
  readonly #ctx: MigrationContext;
  constructor(ctx: MigrationContext) {
    this.#ctx = ctx;
  }
  async getMigrations(): Promise<Record<string, Migration>> {
    const ctx = this.#ctx;
    return Object.fromEntries(
      Object.entries(steps).map(([name, step]) => [name, { up: (db: Kysely<unknown>) => step.up(db, ctx) }]),
    );
  }
}

/** Brings the schema to the latest version; throws with the failing migration named. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: MigrationContext["dialect"], schema?: string): Promise<string[]> {
  return migrate(db, dialect, schema, (migrator) => migrator.migrateToLatest());
}

/** Brings the schema to the version `name` (tests of an upgrade start from an older version). */
export async function migrateTo(db: Kysely<unknown>, dialect: MigrationContext["dialect"], name: string, schema?: string): Promise<string[]> {
  return migrate(db, dialect, schema, (migrator) => migrator.migrateTo(name));
}

async function migrate(db: Kysely<unknown>, dialect: MigrationContext["dialect"], schema: string | undefined, run: (migrator: Migrator) => Promise<MigrationResultSet>): Promise<string[]> {
  const ctx: MigrationContext = { dialect, autoIncrementType: dialect === "sqlite" ? "integer" : "bigserial" };
  // On PostgreSQL the schema must be named: without it Kysely's "does the migration
  // table exist?" check matches a table of that name in *any* schema of the database
  // (another deployment's, another test's) and then skips creating ours.
  const migrator = new Migrator({
    db, provider: new StaticMigrationProvider(ctx), migrationTableName: "tessera_migrations", migrationLockTableName: "tessera_migrations_lock",
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await run(migrator);
  const failed = results?.find((r) => r.status === "Error");
  if (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? "(unknown)"} failed: ${reason}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
