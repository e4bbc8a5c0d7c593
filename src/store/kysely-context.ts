/**
 * What every aggregate's Kysely implementation is built from: the query
 * builder, the dialect's corner (how to spot a unique violation, its fast
 * paths), and the executors the hot statements run on. Built once per store
 * (kysely-store.ts) and never handed outside `src/store`.
 */
import type { CompiledQuery, Kysely, QueryResult } from "kysely";
import type { Executor } from "./prepared.js";
import type { Database } from "./schema.js";

export interface StoreDialect {
  name: "sqlite" | "postgres";
  isUniqueViolation(error: unknown): boolean;
  /** True for a failure that says the database cannot answer now (locked, overloaded, unreachable), not that the request is wrong. */
  isUnavailable(error: unknown): boolean;
  /** Runs after `close()` (e.g. to release a pool the dialect opened). */
  onClose?(): Promise<void>;
  /** Runs a compiled hot-path query without the driver's machinery, or answers undefined when it cannot now. */
  runDirect?(query: CompiledQuery): QueryResult<unknown> | undefined;
  /** Runs a compiled hot-path write, committed together with the others of the same moment. */
  runGrouped?(query: CompiledQuery): Promise<QueryResult<unknown>>;
}

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  /** Where the hot-path statements run: the dialect's direct path when it has one, else Kysely. */
  readonly hot: Executor;
  /** Where the hot-path writes run: the dialect's group commit when it has one, else Kysely. */
  readonly hotWrites: Executor;
}

export function storeContext(db: Kysely<Database>, dialect: StoreDialect): StoreContext {
  const direct = dialect.runDirect;
  const hot: Executor = direct
    ? { executeQuery: <R>(query: CompiledQuery<R>) => { const result = direct(query); return result ? Promise.resolve(result as QueryResult<R>) : db.executeQuery(query); } }
    : db;
  const grouped = dialect.runGrouped;
  const hotWrites: Executor = grouped ? { executeQuery: <R>(query: CompiledQuery<R>) => grouped(query) as Promise<QueryResult<R>> } : db;
  return { db, dialect, hot, hotWrites };
}

/** Runs an insert; resolves false when it broke a unique constraint (the declared answer for "taken"). */
export async function insertUnlessDuplicate(ctx: StoreContext, insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (error) {
    if (ctx.dialect.isUniqueViolation(error)) return false;
    throw error;
  }
}

/** True when an UPDATE or DELETE changed exactly one row (the winner of a compare-and-set). */
export function changedOne(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): boolean {
  return Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0) === 1;
}

/**
 * A lookup key holding a NUL character matches nothing: no stored text holds
 * one (PostgreSQL cannot store it, and writes validate their input). Answered
 * here as "not found" on every dialect, because PostgreSQL rejects such a
 * parameter outright, which made a sign-in with "a\u0000b" a 500 there and an
 * invalid_grant on SQLite (found by running the HTTP suite on both).
 */
export function unmatchable(...keys: Array<string | undefined>): boolean {
  return keys.some((key) => key !== undefined && key.includes("\u0000"));
}
