// The store conformance suite: what every store (SQLite, PostgreSQL) must do,
// run once per store by scripts/run-tests.js. The refresh compare-and-set is
// tried with the interleaving that matters: a request that read the session
// before someone else rotated it writes last — it must lose, not roll the chain
// back to its own successor.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Store } from "../../src/store/index.js";
import { openTestStore, sessionRow, userRow, type TestStore } from "../helpers/store.js";

let opened: TestStore;
let store: Store;
const now = Date.now();
let n = 0;

/** A new user with one token session at generation 0. */
async function freshSession(extra: Parameters<typeof sessionRow>[3] = {}): Promise<{ userId: string; sessionId: string }> {
  const userId = `u${++n}`;
  const sessionId = `s${n}`;
  assert.equal(await store.insertUser(userRow(userId, now)), true);
  await store.createSession(sessionRow(sessionId, userId, now, extra));
  return { userId, sessionId };
}

before(async () => {
  opened = await openTestStore();
  store = opened.store;
});
after(() => opened.close());

describe(`refresh compare-and-set (${process.env.TESSERA_TEST_STORE === "postgres" ? "PostgreSQL" : "SQLite"})`, () => {
  test("a stale read writes last and loses: the chain is not rolled back", async () => {
    const { sessionId } = await freshSession();
    // Two requests read the session at generation 0 ...
    const readByA = (await store.findSession(sessionId))!;
    const readByB = (await store.findSession(sessionId))!;
    assert.equal(readByA.refresh_generation, 0);
    // ... A rotates, and rotates again (its client refreshed once more) ...
    assert.equal(await store.rotateRefreshToken(sessionId, readByA.refresh_generation, "h-A-1", now + 1), true);
    assert.equal(await store.rotateRefreshToken(sessionId, 1, "h-A-2", now + 2), true);
    // ... then B, still holding generation 0, writes: it must lose.
    assert.equal(await store.rotateRefreshToken(sessionId, readByB.refresh_generation, "h-B-1", now + 3), false);
    const row = (await store.findSession(sessionId))!;
    assert.equal(row.refresh_generation, 2, "generation 2 stays (not back to 1)");
    assert.equal(row.refresh_hash, "h-A-2", "A's current token stays current");
    assert.equal(row.rotated_at, now + 2);
  });

  test("a rotation from the current generation wins once; the same generation again loses", async () => {
    const { sessionId } = await freshSession();
    assert.equal(await store.rotateRefreshToken(sessionId, 0, "h-1", now + 1), true);
    assert.equal(await store.rotateRefreshToken(sessionId, 0, "h-1-again", now + 1), false);
    assert.equal(await store.rotateRefreshToken(sessionId, 7, "h-never", now + 1), false, "a generation the session never had");
    const row = (await store.findSession(sessionId))!;
    assert.deepEqual([row.refresh_generation, row.refresh_hash], [1, "h-1"]);
  });

  test("30 rotations from one generation at once: exactly one wins, and its hash is the one stored", async () => {
    const { sessionId } = await freshSession();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => store.rotateRefreshToken(sessionId, 0, `h-racer-${i}`, now + 1)));
    assert.equal(answers.filter(Boolean).length, 1);
    const row = (await store.findSession(sessionId))!;
    assert.equal(row.refresh_generation, 1);
    assert.equal(row.refresh_hash, `h-racer-${answers.indexOf(true)}`);
  });

  test("an ended session is never rotated", async () => {
    const { sessionId } = await freshSession();
    assert.equal(await store.endSession(sessionId, { reason: "logout", now: now + 1, tokensExpireAt: Math.floor(now / 1000) + 900 }), true);
    assert.equal(await store.rotateRefreshToken(sessionId, 0, "h-after-end", now + 2), false);
    assert.equal((await store.findSession(sessionId))!.refresh_hash, `h-${sessionId}-0`);
  });

  test("rotations of many sessions at once each get their own answer (SQLite commits them as a group)", async () => {
    const sessions = await Promise.all(Array.from({ length: 10 }, () => freshSession()));
    const answers = await Promise.all(sessions.flatMap(({ sessionId }) => [
      store.rotateRefreshToken(sessionId, 0, `h-${sessionId}-win`, now + 1),
      store.rotateRefreshToken(sessionId, 3, `h-${sessionId}-lose`, now + 1),
    ]));
    assert.deepEqual(answers, sessions.flatMap(() => [true, false]));
    for (const { sessionId } of sessions) assert.equal((await store.findSession(sessionId))!.refresh_hash, `h-${sessionId}-win`);
  });
});

describe("ending sessions writes revocations", () => {
  test("endSession: one revocation with the tokens' expiry; a second end writes nothing", async () => {
    const { sessionId } = await freshSession();
    const since = await store.latestRevocationSeq();
    const exp = Math.floor(now / 1000) + 900;
    assert.equal(await store.endSession(sessionId, { reason: "logout", now: now + 5, tokensExpireAt: exp }), true);
    assert.equal(await store.endSession(sessionId, { reason: "logout", now: now + 6, tokensExpireAt: exp }), false);
    const revoked = await store.revocationsSince(since, Math.floor(now / 1000));
    assert.deepEqual(revoked.map((r) => [r.sessionId, r.exp]), [[sessionId, exp]]);
    assert.equal(await store.latestRevocationSeq(), revoked[0]!.seq);
    const row = (await store.findSession(sessionId))!;
    assert.deepEqual([row.revoked_at, row.revoked_reason], [now + 5, "logout"]);
  });

  test("endUserSessions: every live session of that user, one revocation each, no other user's", async () => {
    const a = await freshSession();
    await store.createSession(sessionRow(`${a.sessionId}-2`, a.userId, now));
    const other = await freshSession();
    const since = await store.latestRevocationSeq();
    const ended = await store.endUserSessions(a.userId, { reason: "logout_all", now: now + 1, tokensExpireAt: Math.floor(now / 1000) + 900 });
    assert.deepEqual([...ended].sort(), [a.sessionId, `${a.sessionId}-2`].sort());
    const revoked = await store.revocationsSince(since, Math.floor(now / 1000));
    assert.deepEqual(revoked.map((r) => r.sessionId).sort(), [...ended].sort());
    assert.equal((await store.findSession(other.sessionId))!.revoked_at, null);
  });

  test("revocations whose tokens have expired are not listed", async () => {
    const { sessionId } = await freshSession();
    const since = await store.latestRevocationSeq();
    const exp = Math.floor(now / 1000) + 60;
    await store.endSession(sessionId, { reason: "logout", now, tokensExpireAt: exp });
    assert.equal((await store.revocationsSince(since, exp - 1)).length, 1);
    assert.equal((await store.revocationsSince(since, exp + 1)).length, 0);
  });
});

describe("the session view", () => {
  test("one lookup gives what protected routes need of the session and its user", async () => {
    const { userId, sessionId } = await freshSession();
    await store.updateUser(userId, { email: "v@example.com", password_hash: "$argon2id$password-hash" });
    const view = (await store.findSessionView(sessionId))!;
    assert.deepEqual(view.session, {
      id: sessionId, client_id: "tessera-web", last_used_at: now, expires_at: now + 86_400_000, revoked_at: null, revoked_reason: null,
    });
    assert.deepEqual(view.user, { id: userId, username: userId, email: "v@example.com", email_verified_at: null, roles: '["user"]', disabled_at: null });
    assert.ok(!/h-s|argon2/.test(JSON.stringify(view)), "no refresh hash and no password hash in the view");
    assert.equal(await store.findSessionView("no-such-session"), undefined);
    assert.equal(await store.findSessionView(`${sessionId}\u0000`), undefined, "an id no stored id can match finds nothing");
  });

  test("it follows writes: an ended session and a disabled user show at once", async () => {
    const { userId, sessionId } = await freshSession();
    await store.touchSession(sessionId, now + 1);
    assert.equal((await store.findSessionView(sessionId))!.session.last_used_at, now + 1);
    await store.updateUser(userId, { disabled_at: now + 1 });
    await store.endSession(sessionId, { reason: "admin", now: now + 2, tokensExpireAt: Math.floor(now / 1000) });
    const view = (await store.findSessionView(sessionId))!;
    assert.equal(view.user.disabled_at, now + 1);
    assert.deepEqual([view.session.revoked_at, view.session.revoked_reason], [now + 2, "admin"]);
  });
});

// The statements every sign-in runs (the user by name, the user's factors, the new session)
// are compiled once and run with each call's values swapped in: each call must get its own.
describe("the sign-in statements, compiled once", () => {
  test("a session comes back as written, every column; one written without amr and auth_time has them null", async () => {
    const userId = `u${++n}`;
    assert.equal(await store.insertUser(userRow(userId, now)), true);
    const full = sessionRow(`s${n}-full`, userId, now, {
      kind: "cookie", scope: "openid profile", cookie_hash: `ch-${n}`, refresh_generation: 3, refresh_hash: null, rotated_at: now + 1,
      revoked_at: now + 2, revoked_reason: "admin", user_agent: "agent/1.0", ip: "203.0.113.7", amr: '["pwd","otp"]', auth_time: now - 5,
      resource: "https://api.example.com",
    });
    await store.createSession(full);
    assert.deepEqual(await store.findSession(full.id), full);
    const older = sessionRow(`s${n}-older`, userId, now);
    await store.createSession(older);
    assert.deepEqual(await store.findSession(older.id), { ...older, amr: null, auth_time: null });
  });

  test("30 sign-ins at once: each finds its own user and factors, and each session is its own", async () => {
    const ids = Array.from({ length: 30 }, () => `u${++n}`);
    for (const id of ids) assert.equal(await store.insertUser(userRow(id, now, { username_key: `key-${id}` })), true);
    await Promise.all(ids.map((id, i) => store.factors.insertFactor({
      id: `${id}-f`, user_id: id, type: "totp", name: `phone ${i}`, secret_enc: "sealed", last_step: null, credential_id: null, public_key: null,
      counter: null, transports: null, device_type: null, backed_up: null, confirmed_at: now, created_at: now, last_used_at: null,
    }, false)));
    const found = await Promise.all(ids.map((id) => store.findUserByUsernameKey(`key-${id}`)));
    assert.deepEqual(found.map((u) => u?.id), ids);
    const factors = await Promise.all(ids.map((id) => store.factors.listFactors(id)));
    assert.deepEqual(factors.map((f) => f.map((x) => x.name)), ids.map((_, i) => [`phone ${i}`]));
    await Promise.all(ids.map((id, i) => store.createSession(sessionRow(`${id}-s`, id, now, { scope: `scope-${i}`, ip: `10.0.0.${i}` }))));
    const sessions = await Promise.all(ids.map((id) => store.findSession(`${id}-s`)));
    assert.deepEqual(sessions.map((s) => [s?.user_id, s?.scope, s?.ip]), ids.map((id, i) => [id, `scope-${i}`, `10.0.0.${i}`]));
    assert.equal(await store.findUserByUsernameKey("key-nobody"), undefined);
    assert.deepEqual(await store.factors.listFactors("nobody"), []);
  });
});
