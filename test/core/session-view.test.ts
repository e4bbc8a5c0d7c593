// The narrow read behind every protected request (Store.findSessionView): what
// the routes need of a session and its user, always current, and never a hash
// or a secret (a Bearer request must not load the user's password hash).
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { KyselyStore } from "../../src/store/index.js";

let store: KyselyStore;
const now = Date.now();

before(async () => {
  store = await openSqliteStore({ filename: join(mkdtempSync(join(tmpdir(), "tessera-view-")), "t.db") });
  await store.insertUser({
    id: "u1", username: "ann", username_key: "ann", email: "ann@example.com", password_hash: "$argon2id$secret-hash", roles: '["user"]',
    disabled_at: null, password_changed_at: now, created_at: now, updated_at: now,
  });
  await store.createSession({
    id: "s1", user_id: "u1", client_id: "tessera-web", kind: "token", scope: "openid", cookie_hash: "cookie-hash",
    created_at: now, last_used_at: now, expires_at: now + 1e9, refresh_generation: 0, refresh_hash: "refresh-hash",
    rotated_at: null, revoked_at: null, revoked_reason: null, user_agent: "agent", ip: "127.0.0.1", resource: null,
  });
});
after(() => store.close());

test("holds exactly what protected routes use: no password hash, no refresh or cookie hash", async () => {
  const view = await store.findSessionView("s1");
  assert.deepEqual(view, {
    session: { id: "s1", client_id: "tessera-web", last_used_at: now, expires_at: now + 1e9, revoked_at: null, revoked_reason: null },
    user: { id: "u1", username: "ann", email: "ann@example.com", email_verified_at: null, roles: '["user"]', disabled_at: null },
  });
  assert.ok(!JSON.stringify(view).includes("hash"));
});

test("sees an ending or a disabled account at once (no cache between the write and the read)", async () => {
  await store.touchSession("s1", now + 5);
  assert.equal((await store.findSessionView("s1"))?.session.last_used_at, now + 5);
  await store.updateUser("u1", { disabled_at: now + 6 });
  assert.equal((await store.findSessionView("s1"))?.user.disabled_at, now + 6);
  await store.endSession("s1", { reason: "logout", now: now + 7, tokensExpireAt: Math.floor(now / 1000) + 900 });
  assert.deepEqual((await store.findSessionView("s1"))?.session, { id: "s1", client_id: "tessera-web", last_used_at: now + 5, expires_at: now + 1e9, revoked_at: now + 7, revoked_reason: "logout" });
});

test("an unknown id, or one no stored id can match, finds nothing", async () => {
  assert.equal(await store.findSessionView("nope"), undefined);
  assert.equal(await store.findSessionView("s1\u0000"), undefined);
});
