/**
 * A real store for the store conformance suite (test/store): SQLite in a
 * temporary folder, or, under TESSERA_TEST_STORE=postgres (the runner's second
 * run), PostgreSQL on a fresh schema, dropped at close.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store, SessionRow, UserRow } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { dropSchema, newSchemaName, PG_TEST_URL, usePostgres } from "./pg-schema.js";

export interface TestStore {
  store: Store;
  close(): Promise<void>;
}

export async function openTestStore(): Promise<TestStore> {
  if (usePostgres()) {
    const { openPostgresStore } = await import("../../src/store/postgres/postgres-store.js");
    const schema = newSchemaName();
    const store = await openPostgresStore({ connectionString: PG_TEST_URL, schema, poolSize: 10 });
    return { store, close: async () => { await store.close(); await dropSchema(schema); } };
  }
  const dir = mkdtempSync(join(tmpdir(), "tessera-store-"));
  const store = await openSqliteStore({ filename: join(dir, "tessera.db") });
  return { store, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export function userRow(id: string, now: number, extra: Partial<UserRow> = {}): UserRow {
  return {
    id, username: id, username_key: id, email: null, password_hash: "h", roles: '["user"]', disabled_at: null,
    password_changed_at: now, created_at: now, updated_at: now, ...extra,
  };
}

export function sessionRow(id: string, userId: string, now: number, extra: Partial<SessionRow> = {}): SessionRow {
  return {
    id, user_id: userId, client_id: "tessera-web", kind: "token", scope: "openid", cookie_hash: null,
    created_at: now, last_used_at: now, expires_at: now + 86_400_000, refresh_generation: 0, refresh_hash: `h-${id}-0`,
    rotated_at: null, revoked_at: null, revoked_reason: null, user_agent: null, ip: null, resource: null, ...extra,
  };
}
