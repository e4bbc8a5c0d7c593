/**
 * The SQLite corner: opening the file with the pragmas Tessera relies on, and
 * recognising SQLite's unique-constraint error. Nothing else here is SQLite-only.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect, type CompiledQuery, type QueryResult } from "kysely";
import { KyselyStore } from "../kysely-store.js";
import { migrateToLatest } from "../migrations/index.js";
import type { Database } from "../schema.js";

export interface SqliteStoreOptions {
  /** Path of the database file, or ":memory:". */
  filename: string;
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than
 * running a primary-key lookup. Kysely only needs `prepare` and `close`
 * (SqliteDatabase), so we hand it a database whose `prepare` reuses statements.
 * Safe because better-sqlite3 runs each statement to completion synchronously.
 */
function withStatementCache(database: SQLite.Database, limit = 256) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

/**
 * Runs a compiled hot-path statement straight on better-sqlite3, skipping the
 * driver's connection mutex and its chain of promises (a third of a primary-key
 * lookup's cost here). Only outside a transaction: while one is open, a statement
 * run now would join it, so the caller queues behind Kysely's mutex instead.
 */
function directRunner(database: SQLite.Database, statements: ReturnType<typeof withStatementCache>) {
  return (query: CompiledQuery): QueryResult<unknown> | undefined => (database.inTransaction ? undefined : run(statements, query));
}

function run(statements: ReturnType<typeof withStatementCache>, query: CompiledQuery): QueryResult<unknown> {
  const statement = statements.prepare(query.sql);
  if (statement.reader) return { rows: statement.all(query.parameters as unknown[]) };
  const { changes, lastInsertRowid } = statement.run(query.parameters as unknown[]);
  return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
}

/**
 * Group commit for the hot writes (refresh-token rotations): the statements
 * queued during one turn of the event loop run in one transaction, right after
 * it. A commit in WAL mode costs locks, a WAL append and now and then a
 * checkpoint; sharing them between the rotations of a busy moment roughly
 * halves the cost of a rotation's UPDATE (`npm run bench -- sqlite`). Each caller
 * still gets its own result (a compare-and-set that lost sees 0 rows changed)
 * and its answer only after the commit; if the commit fails, every caller in
 * the group gets the error and none of their writes stays. While another
 * transaction is open, the group waits a turn rather than join it.
 */
function groupCommitter(database: SQLite.Database, statements: ReturnType<typeof withStatementCache>) {
  interface Queued { query: CompiledQuery; resolve(result: QueryResult<unknown>): void; reject(error: unknown): void }
  let queued: Queued[] = [];
  const commitAll = database.transaction((group: Queued[]) => group.map((item) => run(statements, item.query)));
  function flush(): void {
    if (database.inTransaction) {
      setImmediate(flush);
      return;
    }
    const group = queued;
    queued = [];
    let results: Array<QueryResult<unknown>>;
    try {
      results = commitAll(group);
    } catch (error) {
      for (const item of group) item.reject(error);
      return;
    }
    group.forEach((item, i) => item.resolve(results[i]!));
  }
  return (query: CompiledQuery): Promise<QueryResult<unknown>> => new Promise((resolve, reject) => {
    if (queued.push({ query, resolve, reject }) === 1) setImmediate(flush);
  });
}

/** better-sqlite3's error code (e.g. `SQLITE_BUSY`), or "" for anything else. */
function sqliteCode(error: unknown): string {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : "";
}

/**
 * Owner-only files: the database holds password hashes and sealed keys, and its
 * -wal and -shm hold the same pages. SQLite creates a new file 0644 (less the
 * umask) and gives the -wal and -shm the mode of the database file, so the
 * database is created 0600 before SQLite opens it; files an older version left
 * readable by others are tightened (a start that cannot do so stops, naming the fix).
 */
function ownerOnly(filename: string): void {
  mkdirSync(dirname(filename), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(filename, "wx", 0o600)); // "wx": never truncate a database another process just made
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  for (const path of [filename, `${filename}-wal`, `${filename}-shm`]) {
    if (!existsSync(path) || (statSync(path).mode & 0o077) === 0) continue;
    try {
      chmodSync(path, 0o600);
    } catch (error) {
      throw new Error(`${path} is readable by other users and could not be made private; run: chmod 600 ${path}`, { cause: error });
    }
  }
}

export async function openSqliteStore(options: SqliteStoreOptions): Promise<KyselyStore> {
  if (options.filename !== ":memory:") ownerOnly(options.filename);
  const database = new SQLite(options.filename);
  // WAL lets readers run beside the writer; NORMAL sync is durable across process
  // crashes in WAL mode (a power cut may lose the last commits, never corrupt).
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  const statements = withStatementCache(database);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
  await migrateToLatest(db as Kysely<unknown>, "sqlite");
  return new KyselyStore(db, {
    name: "sqlite",
    runDirect: directRunner(database, statements),
    runGrouped: groupCommitter(database, statements),
    // Another process (the CLI, a second server) held the write lock past busy_timeout.
    isUnavailable: (error) => /^SQLITE_(BUSY|LOCKED)/.test(sqliteCode(error)),
    isUniqueViolation: (error) => ["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"].includes(sqliteCode(error)),
  });
}
