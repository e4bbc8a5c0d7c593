// SQLite's group commit (src/store/sqlite/hot-path.ts) on a real database: the
// writes queued in one turn of the event loop commit in one transaction, each
// caller gets its own answer and only after the commit, a failed commit fails
// every caller in it and keeps none of their writes, and a group never joins
// somebody else's open transaction. SQLite only: PostgreSQL has no group
// commit (scripts/run-tests.js runs this file once).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import SQLite from "better-sqlite3";
import type { CompiledQuery } from "kysely";
import { groupCommitter, withStatementCache } from "../../src/store/sqlite/hot-path.js";

let dir: string;
let database: SQLite.Database;
let grouped: ReturnType<typeof groupCommitter>;

/** The rotation's compare-and-set, on a table of its own ("refused" breaks a CHECK: a write that fails). */
function rotation(id: string, from: number, hash: string): CompiledQuery {
  return {
    sql: "UPDATE chain SET generation = generation + 1, hash = ? WHERE id = ? AND generation = ?",
    parameters: [hash, id, from],
  } as unknown as CompiledQuery;
}

function row(id: string): { generation: number; hash: string } {
  return database.prepare("SELECT generation, hash FROM chain WHERE id = ?").get(id) as { generation: number; hash: string };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tessera-group-"));
  database = new SQLite(join(dir, "t.db"));
  database.pragma("journal_mode = WAL");
  database.exec("CREATE TABLE chain (id TEXT PRIMARY KEY, generation INTEGER NOT NULL, hash TEXT NOT NULL CHECK (hash <> 'refused'))");
  for (const id of ["a", "b", "c", "d", "e"]) database.prepare("INSERT INTO chain VALUES (?, 0, ?)").run(id, `h-${id}-0`);
  grouped = groupCommitter(database, withStatementCache(database));
});
after(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the writes of one moment each get their own compare-and-set answer, after the commit", async () => {
  const answers = await Promise.all([
    grouped(rotation("a", 0, "h-a-1")),
    grouped(rotation("a", 0, "h-a-1-racer")), // same generation, later in the group: loses
    grouped(rotation("b", 0, "h-b-1")),
    grouped(rotation("b", 5, "h-b-x")), // a generation the chain never had
  ]);
  assert.equal(database.inTransaction, false, "callers hear back once the group's transaction is closed");
  assert.deepEqual(answers.map((r) => Number(r.numAffectedRows)), [1, 0, 1, 0]);
  assert.deepEqual(row("a"), { generation: 1, hash: "h-a-1" });
  assert.deepEqual(row("b"), { generation: 1, hash: "h-b-1" });
});

test("a group is one transaction: one failing write fails every caller in it and keeps none of their writes", async () => {
  const answers = await Promise.allSettled([
    grouped(rotation("c", 0, "h-c-1")),
    grouped(rotation("d", 0, "refused")),
  ]);
  assert.deepEqual(answers.map((a) => a.status), ["rejected", "rejected"]);
  assert.deepEqual(row("c"), { generation: 0, hash: "h-c-0" }, "the other caller's write was rolled back with the group");
  // The next moment is a group of its own.
  assert.equal(Number((await grouped(rotation("c", 0, "h-c-1"))).numAffectedRows), 1);
});

test("a group queued while another transaction is open waits for it, and is not rolled back with it", async () => {
  database.exec("BEGIN");
  database.prepare("UPDATE chain SET hash = 'h-e-outside' WHERE id = 'e'").run();
  const rotated = grouped(rotation("e", 0, "h-e-1"));
  // Hold the other transaction open across turns of the event loop, then roll it back.
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(row("e"), { generation: 0, hash: "h-e-outside" }, "the group has not run inside the open transaction");
  database.exec("ROLLBACK");
  assert.equal(Number((await rotated).numAffectedRows), 1);
  assert.deepEqual(row("e"), { generation: 1, hash: "h-e-1" }, "the rotation committed on its own");
});
