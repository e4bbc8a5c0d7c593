// Upgrading a database that holds data: what migration 003 does to sessions from before it.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { migrateTo, migrateToLatest } from "../../src/store/migrations/index.js";

test("003 ends token sessions of the old token format, records them in the revocation feed, keeps cookie sessions", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "tessera-migrate-")), "t.db");
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
  try {
    assert.deepEqual(await migrateTo(db, "sqlite", "002-security"), ["001-initial", "002-security"]);
    const now = Date.now();
    await sql`INSERT INTO users VALUES ('u1', 'ann', 'ann', NULL, 'h', '[]', NULL, ${now}, ${now}, ${now})`.execute(db);
    const session = (id: string, kind: string, revokedAt: number | null) =>
      sql`INSERT INTO sessions VALUES (${id}, 'u1', 'tessera-web', ${kind}, 'openid', ${kind === "cookie" ? `c-${id}` : null}, ${now}, ${now}, ${now + 1e9}, 0, NULL, ${revokedAt}, ${revokedAt === null ? null : "logout"}, NULL, NULL)`.execute(db);
    await session("live-token", "token", null);
    await session("ended-token", "token", now - 1000);
    await session("live-cookie", "cookie", null);
    await sql`INSERT INTO refresh_tokens VALUES ('hash', 'live-token', 0, ${now})`.execute(db);

    assert.equal((await migrateToLatest(db, "sqlite"))[0], "003-refresh-in-session", "003 runs first; later migrations follow");
    const rows = await sql<{ id: string; revoked_at: number | null; revoked_reason: string | null; refresh_hash: string | null }>`
      SELECT id, revoked_at, revoked_reason, refresh_hash FROM sessions ORDER BY id`.execute(db);
    const byId = Object.fromEntries(rows.rows.map((r) => [r.id, r]));
    assert.ok(byId["live-token"]!.revoked_at! >= now, "a token session of the old format ends");
    assert.equal(byId["live-token"]!.revoked_reason, "revoked");
    assert.equal(byId["ended-token"]!.revoked_reason, "logout", "an ended session keeps how it ended");
    assert.equal(byId["live-cookie"]!.revoked_at, null, "cookie sessions carry no refresh token and live on");
    const feed = await sql<{ session_id: string }>`SELECT session_id FROM revocations`.execute(db);
    assert.deepEqual(feed.rows.map((r) => r.session_id), ["live-token"], "verifiers learn of the ending");
    const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'refresh_tokens'`.execute(db);
    assert.equal(tables.rows.length, 0, "the table of every token ever issued is gone");
  } finally {
    await db.destroy();
  }
});
