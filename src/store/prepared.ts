/**
 * Compile-once queries. Building a Kysely query tree costs more than running a
 * primary-key lookup in SQLite, so the statements on the hot paths (every
 * protected request, every refresh) are built and compiled once with
 * placeholder markers, then run with the real values swapped in. The SQL is
 * still Kysely's, so it stays correct for every dialect.
 */
import type { CompiledQuery, Compilable, QueryResult } from "kysely";

/** Anything that runs a compiled query: Kysely itself, or a dialect's faster path (kysely-store.ts). */
export interface Executor {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

class Marker {
  constructor(readonly index: number) {}
}

export function prepared<Args extends unknown[], Row>(arity: Args["length"], build: (...args: Args) => Compilable<Row>) {
  let compiled: CompiledQuery<Row> | undefined;
  let slots: number[] = [];
  return (executor: Executor, ...args: Args): Promise<QueryResult<Row>> => {
    if (!compiled) {
      const markers = Array.from({ length: arity }, (_, i) => new Marker(i)) as unknown as Args;
      compiled = build(...markers).compile();
      slots = compiled.parameters.map((p) => (p instanceof Marker ? p.index : -1));
      if (slots.includes(-1)) throw new Error(`prepared query has a literal parameter: ${compiled.sql}`);
    }
    const parameters = slots.map((slot) => args[slot]);
    return executor.executeQuery({ ...compiled, parameters } as CompiledQuery<Row>);
  };
}
