/**
 * The PostgreSQL corner: a `pg` pool with 64-bit integers read as numbers (our
 * epoch-ms times fit easily in 2^53), an optional schema (tests give each run
 * its own), a statement timeout, and PostgreSQL's unique-violation code.
 */
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { KyselyStore } from "../kysely-store.js";
import { migrateToLatest } from "../migrations/index.js";
import type { Database } from "../schema.js";

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema to create and use (default: the connection's search_path). */
  schema?: string;
  /** Pool size (default 10). */
  poolSize?: number;
  /** Statement timeout, ms (default 5000). */
  statementTimeout?: number;
}

const INT8_OID = 20;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openPostgresStore(options: PostgresStoreOptions): Promise<KyselyStore> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) throw new TypeError(`invalid schema name ${options.schema}`);
  const types = { getTypeParser: (oid: number, format?: "text" | "binary") => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as "text")) };
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeout ?? 5000,
    types: types as pg.CustomTypesConfig,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  if (options.schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrateToLatest(db as Kysely<unknown>, "postgres");
  return new KyselyStore(db, {
    name: "postgres",
    isUniqueViolation: (error) => typeof error === "object" && error !== null && "code" in error && error.code === "23505",
  });
}
