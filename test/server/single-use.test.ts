// Single-use secrets under a crowd, and the exact edges of their rules: one
// refresh token redeemed 30 times at once makes exactly one chain (the grace
// rule answers the losers with the same successor); one reset token spent 30
// times at once sets exactly one password; the grace window's last millisecond
// is inside it; reset tokens expire and are replaced; 30 schedule ticks at once
// rotate the signing key once. Time is the injected clock.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { signInAdmin } from "../helpers/admin.js";
import { startTestServer, testClock, type SignedIn, type TestServer } from "../helpers/server.js";
import { sidOf } from "../helpers/tokens.js";

type TokenBody = { access_token: string; refresh_token: string; error?: string };

const clock = testClock();
let server: TestServer;
let admin: SignedIn;
const GRACE_MS = 10_000; // TESSERA_REFRESH_GRACE_WINDOW's default, 10 s
const RESET_TTL_S = 3600;

before(async () => {
  server = await startTestServer({ clock, config: { refreshGraceWindowMs: GRACE_MS, passwordResetTtlMs: RESET_TTL_S * 1000, keyRotationDays: 90 } });
  admin = await signInAdmin(server);
});
after(() => server.close());

const refresh = (token: string) => server.request<TokenBody>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: token } });

describe("the grace window's boundary", () => {
  test("the predecessor redeemed exactly grace-window ms after the rotation still gets grace", async () => {
    const user = await server.signUpAndSignIn();
    const rotated = await refresh(user.refresh_token);
    assert.equal(rotated.status, 200);
    clock.advance(GRACE_MS);
    const retry = await refresh(user.refresh_token);
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.body.refresh_token, rotated.body.refresh_token, "the same successor");
    assert.equal((await server.tessera.parts.store.findSession(sidOf(user.access_token)))?.revoked_at, null);
  });

  test("one millisecond later it is reuse: the session ends", async () => {
    const user = await server.signUpAndSignIn();
    const rotated = await refresh(user.refresh_token);
    clock.advance(GRACE_MS + 1);
    const reuse = await refresh(user.refresh_token);
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, "invalid_grant");
    assert.equal((await server.tessera.parts.store.findSession(sidOf(user.access_token)))?.revoked_reason, "refresh_token_reuse");
    assert.equal((await refresh(rotated.body.refresh_token)).status, 400, "the family is dead");
  });
});

describe("30 at once", () => {
  test("one refresh token redeemed 30 times at once: one rotation, every answer the same successor", async () => {
    const user = await server.signUpAndSignIn();
    const answers = await Promise.all(Array.from({ length: 30 }, () => refresh(user.refresh_token)));
    assert.deepEqual(answers.map((a) => a.status), Array(30).fill(200), answers.find((a) => a.status !== 200)?.text);
    const successors = new Set(answers.map((a) => a.body.refresh_token));
    assert.equal(successors.size, 1, "exactly one chain");
    const session = await server.tessera.parts.store.findSession(sidOf(user.access_token));
    assert.equal(session?.refresh_generation, 1, "rotated once");
    assert.equal(session?.revoked_at, null);
    const next = await refresh([...successors][0]!);
    assert.equal(next.status, 200, "the chain continues from the one successor");
  });

  test("one reset token spent 30 times at once: exactly one wins, and its password is the one set", async () => {
    const username = `crowd${process.pid}`;
    await server.tessera.parts.admin.users.create({ username, password: "the original password", roles: ["user"] }, { id: "test" });
    const issued = await server.request<{ reset_token: string }>("POST", `/admin/users/${username}/reset-password`, { token: admin.access_token });
    assert.equal(issued.status, 200, issued.text);
    const passwords = Array.from({ length: 30 }, (_, i) => `new crowd password number ${i}`);
    const answers = await Promise.all(passwords.map((new_password) =>
      server.request<{ error?: string }>("POST", "/auth/password/reset", { json: { reset_token: issued.body.reset_token, new_password } })));
    const winners = answers.flatMap((a, i) => (a.status === 204 ? [i] : []));
    assert.equal(winners.length, 1, answers.map((a) => a.status).join(","));
    for (const a of answers) if (a.status !== 204) assert.equal(a.body.error, "invalid_grant");
    const signIn = (password: string) => server.request("POST", "/oauth/token", { form: { grant_type: "password", username, password } });
    assert.equal((await signIn(passwords[winners[0]!]!)).status, 200, "the winner's password is set");
    assert.equal((await signIn(passwords[(winners[0]! + 1) % 30]!)).status, 400, "a loser's is not");
  });

  test("30 schedule ticks at once, with a rotation due: one new key", async () => {
    const before = server.tessera.parts.keys.rows().length;
    const signing = server.tessera.parts.keys.signingKey().kid;
    clock.advance(91 * 86_400_000);
    await Promise.all(Array.from({ length: 30 }, () => server.tessera.parts.keyRotation.tick()));
    const rows = await server.tessera.parts.store.listSigningKeys();
    const added = rows.filter((k) => k.kid !== signing && k.activates_at > clock.now() - 86_400_000);
    assert.equal(added.length, 1, `one successor key (had ${before}, now ${rows.length})`);
    assert.equal(server.tessera.parts.keyRotation.rotationDue(), false, "and no rotation is due any more");
  });

  test("an operator's rotation and 30 ticks at once, with a rotation due: one new key, the operator's", async () => {
    clock.advance(91 * 86_400_000);
    const known = new Set((await server.tessera.parts.store.listSigningKeys()).map((k) => k.kid));
    const [row] = await Promise.all([server.tessera.parts.keyRotation.rotate("test"), ...Array.from({ length: 30 }, () => server.tessera.parts.keyRotation.tick())]);
    const added = (await server.tessera.parts.store.listSigningKeys()).filter((k) => !known.has(k.kid));
    assert.deepEqual(added.map((k) => k.kid), [row.kid]);
  });
});

describe("reset tokens expire and are replaced", () => {
  before(async () => { admin = await signInAdmin(server); }); // the clock has moved past the first admin token
  const reset = async (username: string) => {
    const res = await server.request<{ reset_token: string }>("POST", `/admin/users/${username}/reset-password`, { token: admin.access_token });
    assert.equal(res.status, 200, res.text);
    return res.body.reset_token;
  };
  const spend = (token: string, new_password: string) => server.request<{ error?: string }>("POST", "/auth/password/reset", { json: { reset_token: token, new_password } });

  test("a newer reset token replaces the older one: the old one is refused, the new one works", async () => {
    const username = `replaced${process.pid}`;
    await server.tessera.parts.admin.users.create({ username, password: "the original password", roles: ["user"] }, { id: "test" });
    const first = await reset(username);
    const second = await reset(username);
    const old = await spend(first, "a password from the old token");
    assert.equal(old.status, 400);
    assert.equal(old.body.error, "invalid_grant");
    assert.equal((await spend(second, "a password from the new token")).status, 204);
  });

  test("a reset token is refused after its lifetime, and works up to it", async () => {
    const username = `expiring${process.pid}`;
    await server.tessera.parts.admin.users.create({ username, password: "the original password", roles: ["user"] }, { id: "test" });
    const late = await reset(username);
    clock.advance(RESET_TTL_S * 1000 + 1);
    const refused = await spend(late, "too late for this one");
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, "invalid_grant");
    admin = await signInAdmin(server);
    const fresh = await reset(username);
    clock.advance(RESET_TTL_S * 1000 - 1000);
    assert.equal((await spend(fresh, "just in time for this one")).status, 204);
  });
});
