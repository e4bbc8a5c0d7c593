/**
 * The SQLite corner: opening the file with the pragmas Tessera relies on, and
 * recognising SQLite's errors; its fast paths for the hot statements are in
 * hot-path.ts, and the session check remembered until the database changes in
 * session-views.ts.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { createKyselyStore } from "../kysely-store.js";
import type { Store } from "../store.js";
import { directRunner, groupCommitter, withStatementCache } from "./hot-path.js";
import { rememberSessionViews } from "./session-views.js";
import { migrateToLatest } from "../migrations/index.js";
import type { Database } from "../schema.js";

export interface SqliteStoreOptions {
  /** Path of the database file, or ":memory:". */
  filename: string;
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

export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
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
  const store = createKyselyStore(db, {
    name: "sqlite",
    runDirect: directRunner(database, statements),
    runGrouped: groupCommitter(database, statements),
    // Another process (the CLI, a second server) held the write lock past busy_timeout.
    isUnavailable: (error) => /^SQLITE_(BUSY|LOCKED)/.test(sqliteCode(error)),
    isUniqueViolation: (error) => ["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"].includes(sqliteCode(error)),
  });
  return { ...store, findSessionView: rememberSessionViews(database, store.findSessionView) };
}
