// The SQLite corner's hot-path runners (src/store/sqlite/sqlite-store.ts): rotations
// of one moment commit together, each with its own answer, and never inside
// somebody else's transaction.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { KyselyStore, SessionRow } from "../../src/store/index.js";

let store: KyselyStore;
const now = Date.now();

function session(id: string): SessionRow {
  return {
    id, user_id: "u1", client_id: "tessera-web", kind: "token", scope: "openid", cookie_hash: null,
    created_at: now, last_used_at: now, expires_at: now + 1e9, refresh_generation: 0, refresh_hash: `h-${id}-0`,
    rotated_at: null, revoked_at: null, revoked_reason: null, user_agent: null, ip: null, resource: null,
  };
}

before(async () => {
  store = await openSqliteStore({ filename: join(mkdtempSync(join(tmpdir(), "tessera-group-")), "t.db") });
  await store.insertUser({
    id: "u1", username: "ann", username_key: "ann", email: null, password_hash: "h", roles: "[]", disabled_at: null,
    password_changed_at: now, created_at: now, updated_at: now,
  });
  for (const id of ["a", "b", "c"]) await store.createSession(session(id));
});
after(() => store.close());

test("rotations of one moment each get their own compare-and-set answer", async () => {
  const answers = await Promise.all([
    store.rotateRefreshToken("a", 0, "h-a-1", now + 1),
    store.rotateRefreshToken("a", 0, "h-a-1-racer", now + 1), // same generation: loses
    store.rotateRefreshToken("b", 0, "h-b-1", now + 1),
    store.rotateRefreshToken("b", 5, "h-b-x", now + 1), // a generation the session never had
  ]);
  assert.deepEqual(answers, [true, false, true, false]);
  assert.equal((await store.findSession("a"))?.refresh_hash, "h-a-1");
  assert.equal((await store.findSession("a"))?.refresh_generation, 1);
  assert.equal((await store.findSession("b"))?.refresh_hash, "h-b-1");
});

test("a rotation queued while another transaction is open is not rolled back with it", async () => {
  let rotation: Promise<boolean> | undefined;
  await assert.rejects(store.db.transaction().execute(async (tx) => {
    await tx.updateTable("users").set({ updated_at: now + 5 }).where("id", "=", "u1").execute();
    rotation = store.rotateRefreshToken("c", 0, "h-c-1", now + 2);
    // Hold the transaction open across turns of the event loop, then fail it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    throw new Error("roll back");
  }), /roll back/);
  assert.equal(await rotation, true);
  const c = await store.findSession("c");
  assert.equal(c?.refresh_hash, "h-c-1", "the rotation committed on its own");
  assert.equal((await store.findUserById("u1"))?.updated_at, now, "the failed transaction left nothing");
});
