// Refresh rotation, the grace window and reuse detection (docs/refresh-rotation.md)
// in the core, on a real SQLite store (the store's compare-and-set on both stores
// is test/store/conformance.test.ts) and the injected clock: no HTTP server and
// no password hash, so the mutation run of `refresh` (docs/testing.md) costs
// seconds per mutant. Sessions
// start through SessionService.startTokenSession, as a sign-in starts them after
// its password check; the server tests (test/server/refresh.test.ts,
// single-use.test.ts) check the same rules through /oauth/token.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { TesseraError } from "../../src/core/errors.js";
import { AuthEvents } from "../../src/core/events.js";
import { rotateCurrent, withinGraceWindow, type RefreshContext } from "../../src/core/sessions/refresh.js";
import { hashRefreshToken, refreshTokenKeys, successorOf } from "../../src/core/sessions/refresh-token-format.js";
import { SessionService } from "../../src/core/sessions/session-service.js";
import type { ClientRow, Store } from "../../src/store/index.js";
import { testClock } from "../helpers/server.js";
import { openTestStore, userRow, type TestStore } from "../helpers/store.js";

const GRACE_MS = 10_000;
const clock = testClock();
const events = new AuthEvents();
const refreshKeys = refreshTokenKeys(randomBytes(32));
const client: ClientRow = {
  id: "core-app", name: "core app", secret_hash: null, type: "public", first_party: 1,
  grant_types: '["refresh_token"]', scopes: '["openid"]', access_token_ttl: null, created_at: clock.now(), disabled_at: null,
};
let opened: TestStore;
let store: Store;
let sessions: SessionService;
let n = 0;

before(async () => {
  opened = await openTestStore();
  store = opened.store;
  sessions = new SessionService({
    store, events, refreshKeys, now: clock.now,
    policy: { idleTimeoutMs: 3_600_000, absoluteLifetimeMs: 86_400_000, graceWindowMs: GRACE_MS, longestAccessTokenTtlMs: 900_000 },
  });
});
after(() => opened.close());

/** A new user signed in once: its session (generation 0) and first refresh token. */
async function signedIn() {
  const user = userRow(`core-u${++n}`, clock.now());
  assert.equal(await store.insertUser(user), true);
  const { session, refreshToken } = await sessions.startTokenSession(user, client, "openid", {});
  return { user, sessionId: session.id, token: refreshToken };
}

type Subject = { sessionId?: string | undefined; userId?: string | undefined };

/**
 * What `refresh` events say, what `refresh-reuse` events give as the cause, and
 * whom each event names (the audit log and the metrics read them), while `run` runs.
 */
async function eventsOf<T>(run: () => Promise<T>): Promise<{ outcomes: string[]; causes: string[]; subjects: string[]; result: T | TesseraError }> {
  const outcomes: string[] = [];
  const causes: string[] = [];
  const subjects: string[] = [];
  const named = (e: Subject) => subjects.push(`${e.sessionId} ${e.userId}`);
  const onRefresh = (e: { outcome: string } & Subject) => { outcomes.push(e.outcome); named(e); };
  const onReuse = (e: { cause: string } & Subject) => { causes.push(e.cause); named(e); };
  events.on("refresh", onRefresh);
  events.on("refresh-reuse", onReuse);
  try {
    return { outcomes, causes, subjects, result: await run() };
  } catch (error) {
    assert.ok(error instanceof TesseraError, String(error));
    return { outcomes, causes, subjects, result: error };
  } finally {
    events.off("refresh", onRefresh);
    events.off("refresh-reuse", onReuse);
  }
}

/** The refusal of a refresh: invalid_grant with the reason its holder may know. */
function assertRefused(result: unknown, reason: string): void {
  assert.ok(result instanceof TesseraError, "refused");
  assert.deepEqual([result.code, result.reason], ["invalid_grant", reason]);
}

/** Reuse ended the session: revoked for reuse, with a revocation for its access tokens. */
async function assertEndedForReuse(sessionId: string, revocationsBefore: number): Promise<void> {
  const row = (await store.findSession(sessionId))!;
  assert.deepEqual([row.revoked_at, row.revoked_reason], [clock.now(), "refresh_token_reuse"]);
  const revoked = await store.revocationsSince(revocationsBefore, Math.floor(clock.now() / 1000));
  assert.deepEqual(revoked.map((r) => r.sessionId), [sessionId]);
}

describe("refresh rotation in the core", () => {
  test("a current token rotates: generation, hash and times move in the store and in the answer", async () => {
    const { sessionId, token } = await signedIn();
    clock.advance(5);
    const { outcomes, causes, result } = await eventsOf(() => sessions.refresh(token, client));
    assert.ok(!(result instanceof TesseraError), String(result));
    const successor = successorOf(refreshKeys, sessionId, token);
    assert.equal(result.refreshToken, successor);
    assert.equal(result.repeated, false, "a rotation, not a repeat");
    const row = (await store.findSession(sessionId))!;
    assert.deepEqual(
      [row.refresh_generation, row.refresh_hash, row.rotated_at, row.last_used_at],
      [1, hashRefreshToken(successor), clock.now(), clock.now()],
    );
    assert.deepEqual(result.session, row, "the answer's session is the row as stored");
    assert.deepEqual([outcomes, causes], [["rotated"], []]);

    clock.advance(5);
    const again = await sessions.refresh(successor, client);
    assert.equal(again.session.refresh_generation, 2);
    assert.equal((await store.findSession(sessionId))!.refresh_generation, 2, "the successor rotates in turn");
  });

  test("a stale read loses the compare-and-set: no answer, and the chain is not rolled back", async () => {
    const { user, sessionId, token } = await signedIn();
    const stale = (await store.findSession(sessionId))!;
    const won = await sessions.refresh(token, client);
    const context: RefreshContext = {
      store, events, now: clock.now, refreshKeys, graceWindowMs: GRACE_MS,
      endedReason: (s, u) => sessions.endedReason(s, u), end: (id, reason, ctx) => sessions.end(id, reason, ctx),
    };
    const successor = successorOf(refreshKeys, sessionId, token);
    const { outcomes, result } = await eventsOf(() => rotateCurrent(context, stale, user, successor, hashRefreshToken(successor), { sessionId, userId: user.id }));
    assert.equal(result, undefined, "the loser learns it lost");
    assert.deepEqual(outcomes, [], "and reports no rotation");
    assert.deepEqual(await store.findSession(sessionId), won.session, "the winner's row stays as it was");
  });

  test("two refreshes of one token at once: one rotates, the loser is judged again and repeats the same successor", async () => {
    const { sessionId, token } = await signedIn();
    const { outcomes, result } = await eventsOf(() => Promise.all([sessions.refresh(token, client), sessions.refresh(token, client)]));
    assert.ok(!(result instanceof TesseraError), String(result));
    assert.deepEqual(result.map((r) => r.refreshToken), Array(2).fill(successorOf(refreshKeys, sessionId, token)));
    assert.deepEqual(result.map((r) => r.repeated).sort(), [false, true], "one rotation, one repeat");
    assert.deepEqual(outcomes.sort(), ["grace", "rotated"]);
    assert.equal((await store.findSession(sessionId))!.refresh_generation, 1);
  });
});

describe("the grace window and reuse in the core", () => {
  test("the predecessor exactly grace-window ms after the rotation repeats the current token, and ends nothing", async () => {
    const { user, sessionId, token } = await signedIn();
    const rotated = await sessions.refresh(token, client);
    clock.advance(GRACE_MS);
    const { outcomes, causes, subjects, result } = await eventsOf(() => sessions.refresh(token, client));
    assert.ok(!(result instanceof TesseraError), String(result));
    assert.equal(result.refreshToken, rotated.refreshToken, "the same current token");
    assert.equal(result.repeated, true);
    assert.deepEqual([outcomes, causes], [["grace"], ["benign_race"]]);
    assert.deepEqual(subjects, Array(2).fill(`${sessionId} ${user.id}`), "both events name the session and its user");
    const row = (await store.findSession(sessionId))!;
    assert.deepEqual([row.revoked_at, row.refresh_generation], [null, 1], "nothing rotated, nothing ended");
  });

  test("one millisecond later the predecessor is reuse: the session ends, its current token with it", async () => {
    const { sessionId, token } = await signedIn();
    const rotated = await sessions.refresh(token, client);
    clock.advance(GRACE_MS + 1);
    const since = await store.latestRevocationSeq();
    const { outcomes, causes, result } = await eventsOf(() => sessions.refresh(token, client));
    assertRefused(result, "reuse");
    assert.deepEqual([outcomes, causes], [["reuse"], ["suspected_theft"]]);
    await assertEndedForReuse(sessionId, since);
    assertRefused((await eventsOf(() => sessions.refresh(rotated.refreshToken, client))).result, "reuse");
  });

  test("only the immediate predecessor gets grace: an older token inside the window is reuse", async () => {
    const { sessionId, token } = await signedIn();
    const first = await sessions.refresh(token, client);
    clock.advance(1);
    await sessions.refresh(first.refreshToken, client);
    clock.advance(1);
    const since = await store.latestRevocationSeq();
    const { outcomes, causes, result } = await eventsOf(() => sessions.refresh(token, client));
    assertRefused(result, "reuse");
    assert.deepEqual([outcomes, causes], [["reuse"], ["suspected_theft"]]);
    await assertEndedForReuse(sessionId, since);
  });

  test("withinGraceWindow: up to and including the window's last millisecond, never for a session not rotated", () => {
    assert.equal(withinGraceWindow({ rotated_at: 1000 }, 1000, 10), true, "at the rotation");
    assert.equal(withinGraceWindow({ rotated_at: 1000 }, 1010, 10), true, "at the last millisecond");
    assert.equal(withinGraceWindow({ rotated_at: 1000 }, 1011, 10), false, "one after");
    assert.equal(withinGraceWindow({ rotated_at: 1000 }, 1000, 0), true, "a window of 0: the same millisecond only");
    assert.equal(withinGraceWindow({ rotated_at: null }, 5, 10), false, "a session that never rotated has no predecessor");
  });
});
