// Look-alike accounts found when migration 004 made look-alike names one key: the operator
// is told at start and lists them with `tessera users look-alikes` (docs/admin.md).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { main } from "../../src/cli/main.js";
import { migrateTo } from "../../src/store/migrations/index.js";
import { startTestServer } from "../helpers/server.js";

const dataDir = mkdtempSync(join(tmpdir(), "tessera-lookalike-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test("an upgraded database with look-alike accounts: a warning at start, and the CLI lists each with the older account", async () => {
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(join(dataDir, "tessera.db")) }) });
  await migrateTo(db, "sqlite", "003-refresh-in-session");
  const now = Date.now();
  for (const [id, name, key, at] of [["u-alice", "alice", "alice", now - 2000], ["u-cyr", "\u0430lice", "\u0430lice", now - 1000], ["u-bob", "bob", "bob", now]] as const) {
    await sql`INSERT INTO users (id, username, username_key, email, password_hash, roles, disabled_at, password_changed_at, created_at, updated_at)
      VALUES (${id}, ${name}, ${key}, NULL, 'h', '["user"]', NULL, ${at}, ${at}, ${at})`.execute(db);
  }
  await db.destroy();

  const lines: string[] = [];
  const masterKey = randomBytes(32).toString("base64url");
  const server = await startTestServer({ dataDir, keepData: true, config: { masterKey, logLevel: "warn" }, logStream: { write: (chunk) => { lines.push(...chunk.split("\n").filter(Boolean)); } } });
  await server.close();
  const warning = lines.map((l) => JSON.parse(l) as { msg: string; users?: Array<{ id: string; looks_like: string }> }).find((l) => /look/.test(l.msg));
  assert.ok(warning, lines.join(""));
  assert.match(warning.msg, /^1 account\(s\) have a username that looks like an older account's/);
  assert.deepEqual(warning.users, [{ id: "u-cyr", looks_like: "u-alice" }]);

  const saved = { ...process.env };
  Object.assign(process.env, { TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: masterKey, LOG_LEVEL: "silent" });
  const out: string[] = [];
  try {
    assert.equal(await main(["users", "look-alikes"], { out: (s) => out.push(s), err: (s) => out.push(`ERR ${s}`) }), 0);
  } finally {
    process.env = saved;
  }
  assert.deepEqual(out, ["u-cyr  \u0430lice  looks like u-alice  alice"]);
});
