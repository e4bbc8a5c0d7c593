// Upgrading a database that holds data: what migrations 003 and 004 do to rows from before them.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { migrateTo } from "../../src/store/migrations/index.js";
import { dropSchema, newSchemaName, PG_TEST_URL } from "../helpers/pg-schema.js";

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

    assert.deepEqual(await migrateTo(db, "sqlite", "003-refresh-in-session"), ["003-refresh-in-session"]);
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

// 004: look-alike usernames become one key; existing collisions are reported, never merged.
async function lookAlikeUpgrade(db: Kysely<unknown>, dialect: "sqlite" | "postgres", schema?: string) {
  assert.deepEqual(await migrateTo(db, dialect, "003-refresh-in-session", schema), ["001-initial", "002-security", "003-refresh-in-session"]);
  const now = Date.now();
  const user = (id: string, name: string, key: string, at: number) =>
    sql`INSERT INTO users (id, username, username_key, email, password_hash, roles, disabled_at, password_changed_at, created_at, updated_at)
        VALUES (${id}, ${name}, ${key}, NULL, 'h', '["user"]', NULL, ${at}, ${at}, ${at})`.execute(db);
  // Keys as the old rules made them: NFKC + toLowerCase.
  await user("u-alice", "alice", "alice", now - 5000);
  await user("u-cyr", "\u0430lice", "\u0430lice", now - 4000); // Cyrillic а: a look-alike of the older alice
  await user("u-strasse-new", "STRASSE", "strasse", now - 2000);
  await user("u-strasse-old", "straße", "straße", now - 3000); // older: it keeps the folded key
  await user("u-zoe", "zoë", "zoë", now - 1000);
  await user("u-uuid", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", now - 500);

  assert.deepEqual(await migrateTo(db, dialect, "004-username-skeleton", schema), ["004-username-skeleton"]);
  const rows = (await sql<{ id: string; username: string; username_key: string; username_skeleton: string | null }>`
    SELECT id, username, username_key, username_skeleton FROM users`.execute(db)).rows;
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  assert.equal(rows.length, 6, "no account is merged or removed");
  assert.equal(byId["u-alice"]!.username_skeleton, "alice");
  assert.equal(byId["u-cyr"]!.username_skeleton, null, "the younger look-alike is left for an operator");
  assert.equal(byId["u-cyr"]!.username, "\u0430lice", "and is not renamed");
  assert.equal(byId["u-strasse-old"]!.username_key, "strasse", "the older straße takes the folded key");
  assert.equal(byId["u-strasse-old"]!.username_skeleton, "strasse");
  assert.equal(byId["u-strasse-new"]!.username_skeleton, null);
  assert.equal(byId["u-strasse-new"]!.username_key, "~look-alike~u-strasse-new", "the younger gives the key up, keeps its name");
  assert.equal(byId["u-strasse-new"]!.username, "STRASSE");
  assert.equal(byId["u-zoe"]!.username_skeleton, "zoë".normalize("NFD"));
  assert.ok(byId["u-uuid"]!.username_skeleton, "a name valid under the old rules keeps working");
  // The unique skeleton now refuses a look-alike written past the core.
  await assert.rejects(user("u-late", "a1ice", "a1ice", now).then(() =>
    sql`UPDATE users SET username_skeleton = 'alice' WHERE id = 'u-late'`.execute(db)));
}

test("004 gives every user a unique look-alike skeleton and a fully folded key, and leaves existing collisions unmerged", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "tessera-migrate-")), "t.db");
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
  try {
    await lookAlikeUpgrade(db, "sqlite");
  } finally {
    await db.destroy();
  }
});

test("004 on PostgreSQL", { skip: process.env.TESSERA_TEST_PG === "0" ? "PostgreSQL is not reachable" : false }, async () => {
  const schema = newSchemaName();
  const admin = new pg.Client({ connectionString: PG_TEST_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_TEST_URL, options: `-c search_path=${schema}` }) }) });
  try {
    await lookAlikeUpgrade(db, "postgres", schema);
  } finally {
    await db.destroy();
    await dropSchema(schema);
  }
});
