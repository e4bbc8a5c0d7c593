/**
 * The SQLite costs behind two design choices of the refresh grant
 * (docs/refresh-rotation.md, docs/performance.md): storing every refresh token
 * in a table with random-keyed indexes, against one UPDATE of the session row;
 * and that UPDATE alone, against groups of 16 in one transaction (group commit).
 * Straight on better-sqlite3, on a file database with the real schema and the
 * server's pragmas (WAL, synchronous=NORMAL), 2,000 sessions.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.js";

const SESSIONS = 2000;
const OPERATIONS = 20_000;
const GROUP = 16;

const hash = (value: string) => createHash("sha256").update(value).digest("base64url");

function microseconds(operations: number, work: () => void): number {
  const started = performance.now();
  work();
  return Math.round(((performance.now() - started) * 1000 / operations) * 10) / 10;
}

export async function benchSqlite(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-bench-sqlite-"));
  try {
    const file = join(dir, "tessera.db");
    await (await openSqliteStore({ filename: file })).close(); // the real schema, by the real migrations
    const db = new SQLite(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    const now = Date.now();
    db.prepare("INSERT INTO users VALUES ('u', 'bench', 'bench', NULL, 'h', '[]', NULL, ?, ?, ?)").run(now, now, now);
    const ids = Array.from({ length: SESSIONS }, () => randomBytes(16).toString("base64url"));
    const insertSession = db.prepare(`INSERT INTO sessions (id, user_id, client_id, kind, scope, cookie_hash, created_at, last_used_at,
      expires_at, refresh_generation, refresh_hash, rotated_at, revoked_at, revoked_reason, user_agent, ip)
      VALUES (?, 'u', 'tessera-web', 'token', 'openid', NULL, ?, ?, ?, 0, ?, NULL, NULL, NULL, 'bench', '127.0.0.1')`);
    db.transaction(() => { for (const id of ids) insertSession.run(id, now, now, now + 1e9, hash(id)); })();

    // The table this design replaced (migration 001's refresh_tokens), filled as a
    // few weeks of refreshes would: a row per token, looked up by its hash.
    db.exec(`CREATE TABLE old_refresh_tokens (token_hash TEXT PRIMARY KEY, session_id TEXT NOT NULL, generation INTEGER NOT NULL, created_at BIGINT NOT NULL);
      CREATE INDEX old_refresh_tokens_session_idx ON old_refresh_tokens (session_id)`);
    const insertToken = db.prepare("INSERT INTO old_refresh_tokens VALUES (?, ?, ?, ?)");
    db.transaction(() => { for (let i = 0; i < 100_000; i++) insertToken.run(hash(randomBytes(32).toString("base64url")), ids[i % SESSIONS], i, now); })();

    const update = db.prepare("UPDATE sessions SET refresh_generation = refresh_generation + 1, refresh_hash = ?, rotated_at = ?, last_used_at = ? WHERE id = ?");
    const newHash = () => hash(randomBytes(32).toString("base64url"));
    const results = {
      token_row_insert_us: microseconds(OPERATIONS, () => {
        for (let i = 0; i < OPERATIONS; i++) insertToken.run(newHash(), ids[i % SESSIONS], i, now);
      }),
      session_update_us: microseconds(OPERATIONS, () => {
        for (let i = 0; i < OPERATIONS; i++) update.run(newHash(), now + i, now + i, ids[(i * 7) % SESSIONS]);
      }),
      session_update_grouped_us: microseconds(OPERATIONS, () => {
        const group = db.transaction((start: number) => {
          for (let j = start; j < start + GROUP; j++) update.run(newHash(), now + j, now + j, ids[(j * 7) % SESSIONS]);
        });
        for (let i = 0; i < OPERATIONS; i += GROUP) group(i);
      }),
      hash_only_us: microseconds(OPERATIONS, () => {
        for (let i = 0; i < OPERATIONS; i++) newHash();
      }),
    };
    db.close();
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchSqlite());
}
