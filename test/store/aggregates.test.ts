// The store conformance suite, aggregate by aggregate: what is written is read
// back, a taken key answers the declared "taken" (false or "conflict", never a
// throw), single-use secrets are spent once under concurrency, and writes that
// end sessions append revocations. Run once per store by scripts/run-tests.js
// (conformance.test.ts holds the refresh compare-and-set and the session view).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ClientRow, EmailTokenRow, OutboxRow, SessionEnd, Store } from "../../src/store/index.js";
import { openTestStore, sessionRow, userRow, type TestStore } from "../helpers/store.js";

let opened: TestStore;
let store: Store;
const now = Date.now();
const nowSeconds = Math.floor(now / 1000);
let n = 0;
const end = (reason: string, at = now + 1): SessionEnd => ({ reason, now: at, tokensExpireAt: nowSeconds + 900 });

async function freshUser(extra: Parameters<typeof userRow>[2] = {}): Promise<string> {
  const id = `agg-u${++n}`;
  assert.equal(await store.insertUser(userRow(id, now, extra)), true);
  return id;
}

async function withSessions(userId: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${userId}-s${i}`);
  for (const id of ids) await store.createSession(sessionRow(id, userId, now));
  return ids;
}

/** The ids whose endings the revocation feed holds since `since`. */
async function revokedSince(since: number): Promise<string[]> {
  return (await store.revocationsSince(since, nowSeconds)).map((r) => r.sessionId).sort();
}

function client(id: string, extra: Partial<ClientRow> = {}): ClientRow {
  return {
    id, name: `Client ${id}`, secret_hash: null, type: "public", first_party: 0, grant_types: '["refresh_token"]',
    scopes: "openid", access_token_ttl: null, created_at: now, disabled_at: null, ...extra,
  } as ClientRow;
}

before(async () => {
  opened = await openTestStore();
  store = opened.store;
});
after(() => opened.close());

describe("users", () => {
  test("a user is read back by id, username key, skeleton and verified address; a taken username answers false", async () => {
    const id = await freshUser({ username_skeleton: "skel-1", email: "a@example.com" } as never);
    assert.equal((await store.findUserById(id))?.username, id);
    assert.equal((await store.findUserByUsernameKey(id))?.id, id);
    assert.equal((await store.findUserBySkeleton("skel-1"))?.id, id);
    assert.equal(await store.insertUser(userRow(`${id}-other`, now, { username_key: id })), false, "the username key is unique");
    assert.equal(await store.insertUser(userRow(id, now, { username_key: `${id}-x` })), false, "the id is unique");
    assert.equal(await store.markEmailVerified(id, "a@example.com", "a@example.com", now), true);
    assert.equal((await store.findUserByVerifiedEmail("a@example.com"))?.id, id);
    assert.equal(await store.findUserById("nobody"), undefined);
    assert.equal(await store.findUserByUsernameKey("x\u0000"), undefined, "a NUL key finds nothing on every store");
  });

  test("listUsers pages by username key and searches literally (% and _ are not wildcards)", async () => {
    const ids = ["list-a", "list-b", "list_c"];
    for (const id of ids) assert.equal(await store.insertUser(userRow(id, now)), true);
    const first = await store.listUsers({ search: "list", limit: 2 });
    assert.deepEqual(first.map((u) => u.id), ["list-a", "list-b"]);
    assert.deepEqual((await store.listUsers({ search: "list", limit: 2, after: "list-b" })).map((u) => u.id), ["list_c"]);
    assert.deepEqual((await store.listUsers({ search: "t_", limit: 10 })).map((u) => u.id), ["list_c"], "_ matches only itself");
    assert.deepEqual(await store.listUsers({ search: "%", limit: 10 }), []);
  });

  test("updateUser changes the row and says whether it existed", async () => {
    const id = await freshUser();
    assert.equal(await store.updateUser(id, { roles: '["admin"]', updated_at: now + 1 }), true);
    assert.equal((await store.findUserById(id))?.roles, '["admin"]');
    assert.equal(await store.updateUser("no-such-user", { roles: "[]" }), false);
  });

  test("changePassword sets the hash and ends every other session, each in the revocation feed", async () => {
    const id = await freshUser();
    const [keep, ...others] = await withSessions(id, 3);
    const since = await store.latestRevocationSeq();
    const ended = await store.changePassword(id, "new-hash", keep!, end("password_changed"));
    assert.deepEqual([...ended].sort(), [...others].sort());
    assert.deepEqual(await revokedSince(since), [...others].sort());
    assert.equal((await store.findSession(keep!))?.revoked_at, null);
    const user = (await store.findUserById(id))!;
    assert.deepEqual([user.password_hash, user.password_changed_at], ["new-hash", now + 1]);
  });
});

describe("clients and API resources", () => {
  test("a client is written, read back, updated and deleted; a taken id answers false", async () => {
    assert.equal(await store.insertClient(client("agg-c1")), true);
    assert.equal(await store.insertClient(client("agg-c1", { name: "again" })), false);
    assert.equal((await store.findClient("agg-c1"))?.name, "Client agg-c1");
    assert.equal(await store.updateClient("agg-c1", { disabled_at: now }), true);
    assert.equal((await store.findClient("agg-c1"))?.disabled_at, now);
    assert.equal(await store.updateClient("agg-none", { disabled_at: now }), false);
    assert.ok((await store.listClients()).some((c) => c.id === "agg-c1"));
    assert.equal(await store.deleteClient("agg-c1"), true);
    assert.equal(await store.deleteClient("agg-c1"), false);
    assert.equal(await store.findClient("agg-c1"), undefined);
  });

  test("upsertClient makes a built-in client's row follow the code, keeping its creation time", async () => {
    await store.upsertClient(client("agg-builtin", { name: "v1" }));
    await store.upsertClient(client("agg-builtin", { name: "v2", created_at: now + 99 }));
    const row = (await store.findClient("agg-builtin"))!;
    assert.deepEqual([row.name, row.created_at], ["v2", now]);
  });

  test("an API resource is written, read back, updated and deleted; a taken identifier answers false", async () => {
    const api = { identifier: "https://api.example", name: "API", scopes: '["read"]', grants: "[]", created_at: now, updated_at: now };
    assert.equal(await store.insertApiResource(api), true);
    assert.equal(await store.insertApiResource({ ...api, name: "again" }), false);
    assert.equal(await store.updateApiResource(api.identifier, { name: "Renamed", updated_at: now + 1 }), true);
    assert.deepEqual(await store.findApiResource(api.identifier), { ...api, name: "Renamed", updated_at: now + 1 });
    assert.deepEqual((await store.listApiResources()).map((a) => a.identifier), [api.identifier]);
    assert.equal(await store.deleteApiResource(api.identifier), true);
    assert.equal(await store.deleteApiResource(api.identifier), false);
    assert.equal(await store.updateApiResource(api.identifier, { name: "gone" }), false);
  });
});

describe("signing keys and high-water marks", () => {
  test("keys list in activation order, follow their schedule and are deleted by kid", async () => {
    const key = (kid: string, activates_at: number) => ({
      kid, alg: "ES256", public_jwk: "{}", private_enc: "sealed", created_at: now, activates_at, retires_at: null, expires_at: null, revoked_at: null,
    });
    await store.insertSigningKey(key("k-late", now + 10));
    await store.insertSigningKey(key("k-early", now));
    await assert.rejects(store.insertSigningKey(key("k-early", now)), "a kid is unique");
    assert.deepEqual((await store.listSigningKeys()).map((k) => k.kid), ["k-early", "k-late"]);
    await store.updateSigningKey("k-early", { retires_at: now + 5, revoked_at: now + 6 });
    const early = (await store.listSigningKeys()).find((k) => k.kid === "k-early")!;
    assert.deepEqual([early.retires_at, early.revoked_at], [now + 5, now + 6]);
    await store.deleteSigningKeys(["k-early", "k-late"]);
    await store.deleteSigningKeys([]);
    assert.deepEqual(await store.listSigningKeys(), []);
  });

  test("a high-water mark only rises, also when raised from many requests at once", async () => {
    assert.equal(await store.raiseHighWaterMark("agg-mark", 300), 300);
    assert.equal(await store.raiseHighWaterMark("agg-mark", 100), 300, "a lower value leaves it");
    const values = Array.from({ length: 20 }, (_, i) => 400 + ((i * 7) % 20));
    await Promise.all(values.map((v) => store.raiseHighWaterMark("agg-mark", v)));
    assert.equal(await store.raiseHighWaterMark("agg-mark", 0), Math.max(...values));
  });
});

describe("sessions: endings, sweep and cascades", () => {
  test("sweep deletes sessions ended or expired past retention; their revocations outlive them until the tokens' expiry", async () => {
    const id = await freshUser();
    const [old, live] = await withSessions(id, 2);
    const since = await store.latestRevocationSeq();
    const tokensExpireAt = nowSeconds + 3600;
    await store.endSession(old!, { reason: "logout", now, tokensExpireAt });
    const later = now + 10 * 60_000;
    const swept = await store.sweep(later, later - 86_400_000, 60_000);
    assert.ok(swept.sessions >= 1);
    assert.equal(await store.findSession(old!), undefined);
    assert.ok(await store.findSession(live!), "a live session stays");
    // No cascade from sessions to revocations (by design): access tokens outlive the row.
    assert.deepEqual(await revokedSince(since), [old], "the revocation stays while the session's tokens may be valid");
    const pastExpiry = (tokensExpireAt + 61) * 1000;
    await store.sweep(pastExpiry, pastExpiry - 86_400_000 * 365, 86_400_000 * 365);
    assert.deepEqual((await store.revocationsSince(since, 0)).map((r) => r.sessionId), [], "and goes once they have expired");
  });

  test("listLiveSessions and countLiveSessions leave out ended, expired and idle sessions", async () => {
    const id = await freshUser();
    const idleCutoff = now - 10_000;
    const before = await store.countLiveSessions(now, idleCutoff);
    const [ended, live] = await withSessions(id, 2);
    await store.endSession(ended!, end("logout"));
    await store.createSession(sessionRow(`${id}-idle`, id, now - 50_000));
    await store.createSession(sessionRow(`${id}-expired`, id, now, { expires_at: now }));
    assert.deepEqual((await store.listLiveSessions(id, now, idleCutoff)).map((s) => s.id), [live]);
    assert.equal(await store.countLiveSessions(now, idleCutoff), before + 1);
  });

  test("touchSession only moves last use forward", async () => {
    const id = await freshUser();
    const [sid] = await withSessions(id, 1);
    await store.touchSession(sid!, now + 50);
    await store.touchSession(sid!, now + 10);
    assert.equal((await store.findSession(sid!))?.last_used_at, now + 50);
  });

  test("a cookie session is found by its hash, with its user", async () => {
    const id = await freshUser();
    await store.createSession(sessionRow(`${id}-cookie`, id, now, { kind: "cookie", cookie_hash: `ch-${id}`, refresh_hash: null }));
    const found = (await store.findSessionByCookieHash(`ch-${id}`))!;
    assert.deepEqual([found.session.id, found.user.id], [`${id}-cookie`, id]);
    assert.equal(await store.findSessionByCookieHash("no-such-hash"), undefined);
  });
});

describe("audit log", () => {
  test("rows read back newest first, filtered by type, user and time, paged by id, and pruned by age", async () => {
    const event = (type: string, at: number, user_id: string | null) => ({
      at, type, outcome: "success", user_id, session_id: null, client_id: null, actor: null, ip: null, user_agent: null, detail: null,
    });
    await store.insertAuditEvents([]);
    await store.insertAuditEvents(Array.from({ length: 1200 }, (_, i) => event("bulk", now - 1_000_000 + i, null)));
    await store.insertAuditEvents([event("sign_in", now, "agg-audit-u"), event("sign_out", now + 1, "agg-audit-u"), event("sign_in", now + 2, "other")]);
    const mine = await store.queryAuditEvents({ userId: "agg-audit-u", limit: 10 });
    assert.deepEqual(mine.map((e) => e.type), ["sign_out", "sign_in"], "newest first");
    assert.equal(typeof mine[0]!.id, "number");
    assert.deepEqual((await store.queryAuditEvents({ types: ["sign_in"], from: now, to: now + 2, limit: 10 })).map((e) => e.user_id), ["agg-audit-u"]);
    assert.deepEqual((await store.queryAuditEvents({ userId: "agg-audit-u", before: mine[0]!.id, limit: 10 })).map((e) => e.type), ["sign_in"]);
    assert.equal((await store.queryAuditEvents({ types: ["bulk"], limit: 5000 })).length, 1200, "every chunk of a large batch is written");
    assert.equal(await store.pruneAuditEvents(now), 1200);
    assert.equal((await store.queryAuditEvents({ limit: 5000 })).length, 3);
  });
});

describe("password resets", () => {
  test("a forced reset sets the hash, replaces the earlier token and ends every session, in the feed", async () => {
    const id = await freshUser();
    const sessions = await withSessions(id, 2);
    const reset = (token_hash: string) => ({ token_hash, user_id: id, created_at: now, expires_at: now + 60_000, created_by: "admin", email_key: null });
    await store.forcePasswordReset(reset(`rt-${id}-1`), "unguessable-1", end("password_reset"));
    const since = await store.latestRevocationSeq();
    const ended = await store.forcePasswordReset(reset(`rt-${id}-2`), "unguessable-2", end("password_reset"));
    assert.deepEqual(ended, [], "the sessions had ended with the first reset");
    assert.deepEqual(await revokedSince(since), []);
    assert.equal(await store.findPasswordReset(`rt-${id}-1`), undefined, "one live reset token per user");
    assert.equal((await store.findPasswordReset(`rt-${id}-2`))?.user_id, id);
    assert.equal((await store.findUserById(id))?.password_hash, "unguessable-2");
    for (const sid of sessions) assert.equal((await store.findSession(sid))?.revoked_reason, "password_reset");
  });

  test("a reset token is spent once, by one of many concurrent requests, and not after it expires", async () => {
    const id = await freshUser();
    await withSessions(id, 2);
    await store.forcePasswordReset({ token_hash: `rt-${id}`, user_id: id, created_at: now, expires_at: now + 60_000, created_by: null, email_key: null }, "x", end("password_reset"));
    assert.equal(await store.consumePasswordReset(`rt-${id}`, "late", end("password_reset", now + 60_000)), undefined, "expired at its expiry");
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => store.consumePasswordReset(`rt-${id}`, `hash-${i}`, end("password_reset"))));
    const winners = answers.filter((a) => a !== undefined);
    assert.equal(winners.length, 1);
    assert.equal(winners[0]!.userId, id);
    assert.equal((await store.findUserById(id))?.password_hash, `hash-${answers.findIndex((a) => a !== undefined)}`);
  });

  test("an emailed reset holds only while its address is still the user's verified one", async () => {
    const id = await freshUser();
    await store.markEmailVerified(id, "r@example.com", `r-${id}`, now);
    await store.writeEmail({ reset: { token_hash: `er-${id}`, user_id: id, created_at: now, expires_at: now + 60_000, created_by: null, email_key: `r-${id}` } });
    await store.markEmailVerified(id, "new@example.com", `new-${id}`, now + 1);
    assert.equal(await store.consumePasswordReset(`er-${id}`, "h", end("password_reset")), undefined);
  });
});

describe("second factors", () => {
  const totp = (id: string, userId: string) => ({
    id, user_id: userId, type: "totp" as const, name: "phone", secret_enc: "sealed", last_step: null, credential_id: null, public_key: null,
    counter: null, transports: null, device_type: null, backed_up: null, confirmed_at: null, created_at: now, last_used_at: null,
  });

  test("a factor is confirmed once, a TOTP step is used once, and a credential id is unique", async () => {
    const id = await freshUser();
    await store.factors.insertFactor(totp(`${id}-f1`, id), true);
    await store.factors.insertFactor(totp(`${id}-f2`, id), true);
    assert.deepEqual((await store.factors.listFactors(id)).map((f) => f.id), [`${id}-f2`], "a new pending TOTP replaces the unconfirmed one");
    assert.equal(await store.factors.useTotpStep(`${id}-f2`, 5, now), false, "an unconfirmed factor is not used");
    const confirms = await Promise.all([1, 2, 3].map(() => store.factors.confirmFactor(`${id}-f2`, id, 10, now)));
    assert.deepEqual(confirms.filter(Boolean).length, 1);
    assert.equal(await store.factors.useTotpStep(`${id}-f2`, 10, now), false, "the confirming step is spent");
    const uses = await Promise.all([11, 11, 11].map((step) => store.factors.useTotpStep(`${id}-f2`, step, now)));
    assert.equal(uses.filter(Boolean).length, 1, "one step, one use");
    const passkey = { ...totp(`${id}-p`, id), type: "passkey" as const, credential_id: `cred-${id}`, confirmed_at: now };
    await store.factors.insertFactor(passkey, false);
    await assert.rejects(store.factors.insertFactor({ ...passkey, id: `${id}-p2` }, false));
    assert.equal((await store.factors.findFactorByCredentialId(`cred-${id}`))?.id, `${id}-p`);
  });

  test("recovery codes: each spent once; deleting the last confirmed factor takes them; a reset ends every session", async () => {
    const id = await freshUser();
    await store.factors.insertFactor({ ...totp(`${id}-f`, id), confirmed_at: now }, false);
    await store.factors.replaceRecoveryCodes(id, ["c1", "c2"], now);
    await store.factors.replaceRecoveryCodes(id, [`${id}-c1`, `${id}-c2`], now);
    assert.equal(await store.factors.useRecoveryCode(id, "c1", now), false, "the old set is dead");
    const spends = await Promise.all([1, 2, 3].map(() => store.factors.useRecoveryCode(id, `${id}-c1`, now)));
    assert.equal(spends.filter(Boolean).length, 1);
    assert.equal(await store.factors.countRecoveryCodes(id), 1);
    assert.equal(await store.factors.deleteFactor(`${id}-f`, "someone-else"), false, "only the owner deletes a factor");
    assert.equal(await store.factors.deleteFactor(`${id}-f`, id), true);
    assert.equal(await store.factors.countRecoveryCodes(id), 0);

    await store.factors.insertFactor({ ...totp(`${id}-g`, id), confirmed_at: now }, false);
    const sessions = await withSessions(id, 2);
    const since = await store.latestRevocationSeq();
    const reset = await store.factors.resetFactors(id, end("factors_reset"));
    assert.equal(reset.factors, 1);
    assert.deepEqual([...reset.ended].sort(), [...sessions].sort());
    assert.deepEqual(await revokedSince(since), [...sessions].sort());
  });

  test("an mfa token: attempts reserved before the check (never more than the limit), then spent once", async () => {
    const id = await freshUser();
    await store.factors.insertMfaToken({
      token_hash: `mt-${id}`, user_id: id, client_id: "tessera-web", scope: "openid", resource: null, amr: '["pwd"]', auth_time: now,
      attempts: 0, purpose: "second_step", created_at: now, expires_at: now + 60_000, used_at: null,
    });
    const reserved = await Promise.all(Array.from({ length: 10 }, () => store.factors.reserveMfaAttempt(`mt-${id}`, now, 3)));
    assert.equal(reserved.filter(Boolean).length, 3);
    assert.equal(await store.factors.findLiveMfaToken(`mt-${id}`, now, 3), undefined, "no attempts left");
    assert.ok(await store.factors.findLiveMfaToken(`mt-${id}`, now, 5));
    const spends = await Promise.all([1, 2].map(() => store.factors.spendMfaToken(`mt-${id}`, now)));
    assert.deepEqual(spends.filter(Boolean).length, 1);
  });

  test("a WebAuthn challenge is taken once, for its purpose, before it expires; the sweep removes expired ones", async () => {
    const challenge = (id: string, expires_at: number) => ({ id, challenge: "c", purpose: "register", user_id: null, created_at: now, expires_at });
    await store.factors.insertChallenge(challenge("agg-ch1", now + 60_000));
    await store.factors.insertChallenge(challenge("agg-ch2", now - 1));
    assert.equal(await store.factors.takeChallenge("agg-ch1", "sign_in", now), undefined, "another purpose");
    const takes = await Promise.all([1, 2].map(() => store.factors.takeChallenge("agg-ch1", "register", now)));
    assert.equal(takes.filter(Boolean).length, 1);
    assert.equal(await store.factors.takeChallenge("agg-ch2", "register", now), undefined, "expired");
    assert.ok((await store.factors.sweepFactors(now)) >= 1);
  });
});

describe("email", () => {
  const token = (id: string, userId: string, purpose: string, extra: Partial<EmailTokenRow> = {}): EmailTokenRow => ({
    id, purpose, user_id: userId, email: "e@example.com", email_key: `key-${userId}`, secret_hash: `sh-${id}`, attempts: 0,
    created_at: now, expires_at: now + 60_000, ...extra,
  });
  const message = (id: string, extra: Partial<OutboxRow> = {}): OutboxRow => ({
    id, kind: "verify", recipient: "e@example.com", user_id: null, payload: "{}", status: "pending", attempts: 0, next_attempt_at: now,
    claimed_by: null, lease_until: null, last_error: null, created_at: now, sent_at: null, failed_at: null, ...extra,
  });

  test("a user and the email writes it causes are one transaction: a taken username writes neither", async () => {
    const id = await freshUser();
    const writes = { tokens: [token(`${id}-dup-t`, id, "verify")], messages: [message(`${id}-dup-m`)] };
    assert.equal(await store.insertUser(userRow(`${id}-b`, now, { username_key: id }), writes), false);
    assert.equal(await store.findEmailToken(`sh-${id}-dup-t`), undefined);
    assert.equal((await store.listOutbox({ limit: 1000 })).some((m) => m.id === `${id}-dup-m`), false);
  });

  test("a verification is spent once and verifies the address; an address verified by another user answers conflict", async () => {
    const a = await freshUser({ email: "e@example.com" });
    const b = await freshUser({ email: "e@example.com" });
    await store.writeEmail({ tokens: [token(`${a}-v`, a, "verify", { email_key: "shared-key" }), token(`${b}-v`, b, "verify", { email_key: "shared-key" })] });
    const spends = await Promise.all([1, 2, 3].map(() => store.spendVerification(`sh-${a}-v`, ["verify"], now)));
    assert.deepEqual(spends.filter((s) => s !== undefined), [{ userId: a, email: "e@example.com", emailKey: "shared-key", purpose: "verify" }]);
    assert.equal((await store.findUserByVerifiedEmail("shared-key"))?.id, a);
    assert.equal(await store.spendVerification(`sh-${b}-v`, ["verify"], now), "conflict");
    assert.equal((await store.findUserById(b))?.email_verified_at, null, "nothing changed for the loser");
    assert.equal(await store.markEmailVerified(b, "e@example.com", "shared-key", now), false);
  });

  test("a code: attempts reserved before the compare, never more than the limit; spent once", async () => {
    const id = await freshUser();
    await store.writeEmail({ replace: { userId: id, purposes: ["sign_in"] }, tokens: [token(`${id}-code`, id, "sign_in")] });
    const reserved = await Promise.all(Array.from({ length: 12 }, () => store.reserveCodeAttempt(id, "sign_in", now, 5)));
    assert.equal(reserved.filter(Boolean).length, 5);
    const spends = await Promise.all([1, 2].map(() => store.spendCode(`${id}-code`, now)));
    assert.equal(spends.filter(Boolean).length, 1);
  });

  test("two owners claiming the outbox at once never get the same message; only the owner settles it", async () => {
    await store.writeEmail({ messages: Array.from({ length: 6 }, (_, i) => message(`agg-m${i}`)) });
    const [one, two] = await Promise.all([store.claimOutbox("one", now, now + 30_000, 10), store.claimOutbox("two", now, now + 30_000, 10)]);
    const ids = [...one!, ...two!].map((m) => m.id).filter((id) => id.startsWith("agg-m"));
    assert.equal(ids.length, 6);
    assert.equal(new Set(ids).size, 6, "no message claimed twice");
    const mine = one!.find((m) => m.id.startsWith("agg-m")) ?? two!.find((m) => m.id.startsWith("agg-m"))!;
    const owner = one!.includes(mine) ? "one" : "two";
    assert.equal(mine.attempts, 1);
    assert.equal(await store.settleOutbox(mine.id, owner === "one" ? "two" : "one", { status: "sent", at: now }), false);
    assert.equal(await store.settleOutbox(mine.id, owner, { status: "sent", at: now }), true);
    assert.equal((await store.countOutbox()).sent, 1);
    assert.deepEqual(await store.claimOutbox("three", now + 1, now + 30_000, 10), [], "live leases hold the rest");
    assert.equal((await store.sweepEmail(now + 1, 0, now)).messages, 1);
  });
});
