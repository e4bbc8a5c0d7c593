/**
 * PostgreSQL for tests: each server (or cluster) gets a fresh schema
 * `t_<random>` in the `test` database, dropped when it closes. The schema's
 * name is kept in the server's data folder, so a test that restarts a server
 * over a kept folder finds its database again, as with SQLite.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";

export const PG_TEST_URL = process.env.TESSERA_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** True when this test process runs the store-backed suites on PostgreSQL (scripts/run-tests.js sets TESSERA_TEST_STORE=postgres for its second run). */
export function usePostgres(): boolean {
  return process.env.TESSERA_TEST_STORE === "postgres";
}

/** Schemas this process made and has not dropped yet. */
const made = new Set<string>();
let sweeping = false;

// A test that keeps its data across restarts (keepData) removes its folder itself,
// but a schema is easy to forget: whatever is left is dropped when the process ends.
process.on("beforeExit", () => {
  if (sweeping || made.size === 0) return;
  sweeping = true;
  void Promise.all([...made].map((name) => dropSchema(name).catch(() => undefined)));
});

export function newSchemaName(): string {
  const name = `t_${randomBytes(6).toString("hex")}`;
  made.add(name);
  return name;
}

/** The schema of a data folder: the one recorded there, or a new one recorded now. */
export function schemaFor(dataDir: string): string {
  const file = join(dataDir, "pg-schema");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const name = newSchemaName();
  writeFileSync(file, name);
  return name;
}

/** Runs `use` on a connection of its own to the test database (for tests that read a store's tables behind its back). */
export async function withTestDatabase<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(name: string): Promise<void> {
  if (!/^t_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test schema`);
  await withTestDatabase((client) => client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`));
  made.delete(name);
}
