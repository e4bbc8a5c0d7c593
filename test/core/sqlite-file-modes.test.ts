// The SQLite database and its -wal and -shm files hold password hashes and
// sealed keys: readable by their owner only, like master.key (docs/security.md).
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openSqliteStore } from "../../src/store/index.js";

const FILES = ["tessera.db", "tessera.db-wal", "tessera.db-shm"];
const mode = (path: string) => statSync(path).mode & 0o777;

async function useStore(dir: string): Promise<void> {
  const store = await openSqliteStore({ filename: join(dir, "tessera.db") });
  // A write, so the WAL and its index exist and have been written through.
  await store.upsertClient({
    id: "mode-check", name: "mode check", secret_hash: null, type: "public", first_party: 0,
    grant_types: "[]", scopes: "[]", access_token_ttl: null, created_at: Date.now(),
  });
  for (const name of FILES) assert.ok(existsSync(join(dir, name)), `${name} exists while the store is open`);
  for (const name of FILES) assert.equal(mode(join(dir, name)), 0o600, `${name} is 0600 while open`);
  await store.close();
}

test("a new database, its -wal and its -shm are created 0600, whatever the umask allows", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-modes-"));
  const umask = process.umask(0o022); // the usual default, which gave -rw-r--r--
  try {
    await useStore(dir);
    assert.equal(mode(join(dir, "tessera.db")), 0o600, "still 0600 after close");
  } finally {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("files left world-readable by an older version are tightened to 0600 at open", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-modes-"));
  try {
    await useStore(dir);
    // Reopen over files an older version left -rw-r--r--, including a stale -wal and -shm.
    for (const name of ["tessera.db-wal", "tessera.db-shm"]) if (!existsSync(join(dir, name))) writeFileSync(join(dir, name), "");
    for (const name of FILES) chmodSync(join(dir, name), 0o644);
    await useStore(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
