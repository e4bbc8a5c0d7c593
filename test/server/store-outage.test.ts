// A database that cannot answer now — its write lock held elsewhere (SQLite), a
// statement past its timeout (PostgreSQL) — is a 503 with Retry-After, never a
// 500, and the refused request leaves nothing half-written.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import SQLite from "better-sqlite3";
import pg from "pg";
import { PG_TEST_URL, schemaFor, usePostgres } from "../helpers/pg-schema.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { sidOf } from "../helpers/tokens.js";

type TokenBody = { refresh_token: string; access_token: string; error?: string };

let server: TestServer;
// PostgreSQL cancels a statement after 1 s here (TESSERA_PG_STATEMENT_TIMEOUT), SQLite gives up after its 5 s busy timeout.
before(async () => { server = await startTestServer({ config: { pgStatementTimeoutMs: 1000 } }); });
after(() => server.close());

const refresh = (token: string) => server.request<TokenBody>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: token } });

/** Holds the session row (PostgreSQL) or the whole database (SQLite) locked from another connection until released. */
async function lockElsewhere(sessionId: string): Promise<() => Promise<void>> {
  if (usePostgres()) {
    const client = new pg.Client({ connectionString: PG_TEST_URL, options: `-c search_path=${schemaFor(server.dataDir)}` });
    await client.connect();
    await client.query("BEGIN");
    await client.query("SELECT id FROM sessions WHERE id = $1 FOR UPDATE", [sessionId]);
    return async () => { await client.query("ROLLBACK"); await client.end(); };
  }
  const other = new SQLite(join(server.dataDir, "tessera.db"));
  other.prepare("BEGIN IMMEDIATE").run();
  return async () => { other.prepare("ROLLBACK").run(); other.close(); };
}

test("a refresh that cannot write answers 503 temporarily_unavailable with Retry-After; the token stays current", async () => {
  const user = await server.signUpAndSignIn();
  const release = await lockElsewhere(sidOf(user.access_token));
  let refused;
  try {
    refused = await refresh(user.refresh_token);
  } finally {
    await release();
  }
  assert.equal(refused.status, 503);
  assert.equal(refused.body.error, "temporarily_unavailable");
  assert.equal(refused.headers.get("retry-after"), "1");
  assert.equal(refused.headers.get("cache-control"), "no-store");
  const session = await server.tessera.parts.store.findSession(sidOf(user.access_token));
  assert.equal(session?.refresh_generation, 0, "nothing moved");
  assert.equal(session?.revoked_at, null);
  const retried = await refresh(user.refresh_token);
  assert.equal(retried.status, 200, "the client's retry with the same token succeeds");
});
