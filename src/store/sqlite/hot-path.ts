/**
 * SQLite's fast paths for the hot statements (every protected request, every
 * refresh): a statement cache under Kysely, a direct runner outside
 * transactions, and group commit for the rotations of one moment.
 */
import type SQLite from "better-sqlite3";
import type { CompiledQuery, QueryResult } from "kysely";

/** What Kysely's SQLite driver needs of a database (SqliteDatabase), with statements reused. */
export interface StatementCache {
  close(): void;
  prepare(sql: string): SQLite.Statement;
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than
 * running a primary-key lookup. Kysely only needs `prepare` and `close`
 * (SqliteDatabase), so we hand it a database whose `prepare` reuses statements.
 * Safe because better-sqlite3 runs each statement to completion synchronously.
 */
export function withStatementCache(database: SQLite.Database, limit = 256): StatementCache {
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
export function directRunner(database: SQLite.Database, statements: StatementCache) {
  return (query: CompiledQuery): QueryResult<unknown> | undefined => (database.inTransaction ? undefined : run(statements, query));
}

function run(statements: StatementCache, query: CompiledQuery): QueryResult<unknown> {
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
export function groupCommitter(database: SQLite.Database, statements: StatementCache) {
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
