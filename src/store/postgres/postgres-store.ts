/**
 * The PostgreSQL corner: a `pg` pool with 64-bit integers read as numbers (our
 * epoch-ms times fit easily in 2^53), an optional schema (tests give each run
 * its own), a statement timeout, and PostgreSQL's unique-violation code.
 */
import { Kysely } from "kysely";
import pg from "pg";
import { createKyselyStore } from "../kysely-store.js";
import type { Store } from "../store.js";
import { migrateToLatest } from "../migrations/index.js";
import { SchemaBoundPostgresDialect } from "./postgres-introspector.js";
import type { Database } from "../schema.js";

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema to create and use (default: the connection's search_path). */
  schema?: string;
  /** Pool size (default 10). */
  poolSize?: number;
  /** Statement timeout, ms (default 5000). */
  statementTimeoutMs?: number;
}

const INT8_OID = 20;

/**
 * `CREATE SCHEMA IF NOT EXISTS` is not safe against itself: two instances
 * starting at once can both pass the check, and the second fails on the
 * catalog's unique index. Losing that race is fine if the schema now exists.
 */
async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  // Look first: a role without CREATE on the database may still use an existing schema.
  const exists = async () => (await pool.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).rowCount === 1;
  if (await exists()) return;
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (error) {
    if (!(await exists())) throw error;
  }
}
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) throw new TypeError(`invalid schema name ${options.schema}`);
  const types = { getTypeParser: (oid: number, format?: "text" | "binary") => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as "text")) };
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 5000,
    // Waiting for a free connection (or for an unreachable server) fails after 10 s
    // instead of for ever, so requests cannot pile up behind a dead database.
    connectionTimeoutMillis: 10_000,
    types: types as pg.CustomTypesConfig,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  // An idle client whose connection the server dropped (restart, failover) emits
  // 'error' on the pool; unhandled, that would kill the process. The pool has
  // already discarded the client, and the next query opens a fresh connection.
  pool.on("error", () => undefined);
  if (options.schema !== undefined) await createSchema(pool, options.schema);
  const schema = options.schema ?? (await pool.query<{ schema: string }>("SELECT current_schema() AS schema")).rows[0]!.schema;
  const db = new Kysely<Database>({ dialect: new SchemaBoundPostgresDialect({ pool }, schema) });
  await migrateToLatest(db as Kysely<unknown>, "postgres", schema);
  return createKyselyStore(db, {
    name: "postgres",
    isUniqueViolation: (error) => typeof error === "object" && error !== null && "code" in error && error.code === "23505",
    isUnavailable,
  });
}

/**
 * Failures that mean "PostgreSQL cannot answer now": statement timeout or
 * cancel (57014), shutdown or start-up (57P01–57P03), too many connections
 * (53300), lock not available (55P03), deadlock (40P01), any connection
 * exception (class 08), and the driver's own connection errors.
 */
const UNAVAILABLE_SQLSTATES = new Set(["57014", "57P01", "57P02", "57P03", "53300", "55P03", "40P01"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND"]);

function isUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = "code" in error && typeof error.code === "string" ? error.code : undefined;
  if (code !== undefined && (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith("08") || NETWORK_CODES.has(code))) return true;
  const message = error instanceof Error ? error.message : "";
  return /Connection terminated|timeout exceeded when trying to connect/i.test(message);
}
