// Refresh-token rotation, the grace window and reuse detection.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hashRefreshToken } from "../../src/core/sessions/refresh-token-format.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { sidOf } from "../helpers/tokens.js";

type TokenBody = { access_token: string; refresh_token: string; expires_in: number; scope: string; error?: string; error_description?: string };

let server: TestServer;
const clock = testClock();
before(async () => { server = await startTestServer({ clock }); });
after(() => server.close());

function refresh(token: string, extra: Record<string, string> = {}) {
  return server.request<TokenBody>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: token, ...extra } });
}

describe("rotation", () => {
  test("every refresh answers a new pair and spends the old token, again and again", async () => {
    const first = await server.signUpAndSignIn();
    const seen = new Set([first.refresh_token]);
    let current = first.refresh_token;
    for (let i = 0; i < 5; i++) {
      clock.advance(20_000); // past the grace window each time
      const res = await refresh(current);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.ok(!seen.has(res.body.refresh_token), "a new refresh token each time");
      assert.equal(sidOf(res.body.access_token), sidOf(first.access_token), "same session");
      seen.add(res.body.refresh_token);
      current = res.body.refresh_token;
    }
    const session = await server.tessera.parts.store.findSession(sidOf(first.access_token));
    assert.equal(session?.refresh_generation, 5);
    assert.equal(session?.revoked_at, null);
  });

  test("the store keeps only hashes of refresh tokens", async () => {
    const user = await server.signUpAndSignIn();
    const session = await server.tessera.parts.store.findSession(sidOf(user.access_token));
    assert.equal(session?.refresh_hash, hashRefreshToken(user.refresh_token));
    assert.ok(!JSON.stringify(session).includes(user.refresh_token.slice(27)), "the token's secret is nowhere in the row");
  });

  test("a refresh may narrow the scope but never widen it", async () => {
    const user = await server.signUpAndSignIn(undefined, undefined, { scope: "openid profile" });
    const narrowed = await refresh(user.refresh_token, { scope: "openid" });
    assert.equal(narrowed.status, 200);
    assert.equal(narrowed.body.scope, "openid");
    const widened = await refresh(narrowed.body.refresh_token, { scope: "openid email" });
    assert.equal(widened.status, 400);
    assert.equal(widened.body.error, "invalid_scope");
    const after = await refresh(narrowed.body.refresh_token);
    assert.equal(after.status, 200, "the refused widening spent nothing: the same token still refreshes");
  });

  test("unknown, malformed and other clients' refresh tokens are invalid_grant", async () => {
    const user = await server.signUpAndSignIn();
    for (const token of ["tsr_" + "A".repeat(43), "garbage", user.access_token]) {
      const res = await refresh(token);
      assert.equal(res.status, 400);
      assert.equal(res.body.error, "invalid_grant");
    }
    const other = await refresh(user.refresh_token, { client_id: "tessera-demo" });
    assert.equal(other.body.error, "invalid_grant", "a token is bound to the client it was issued to");
    const session = await server.tessera.parts.store.findSession(sidOf(user.access_token));
    assert.deepEqual([session?.revoked_at, session?.refresh_generation], [null, 0], "the session survived, its token unspent");
    assert.equal((await refresh(user.refresh_token)).status, 200, "and its owner's client still refreshes it");
  });

  test("a made-up token naming someone's session is refused without ending that session", async () => {
    // The session id is no secret (it is the access token's sid): whoever saw one
    // must not be able to end the session by posing as a replayed refresh token.
    const user = await server.signUpAndSignIn();
    const sid = sidOf(user.access_token);
    const genuineBody = user.refresh_token.slice(27);
    const forged = [
      `tsr_${sid}.${Buffer.alloc(48, 7).toString("base64url")}`,
      `tsr_${sid}.${genuineBody.slice(0, 43)}${"A".repeat(21)}`, // the real secret with a made-up tag
    ];
    const other = await server.signUpAndSignIn();
    forged.push(`tsr_${sid}.${other.refresh_token.slice(27)}`); // another session's genuine body
    for (const token of forged) {
      const res = await refresh(token);
      assert.equal(res.status, 400, token);
      assert.equal(res.body.error, "invalid_grant");
    }
    const session = await server.tessera.parts.store.findSession(sid);
    assert.equal(session?.revoked_at, null, "the session lives on");
    assert.equal((await refresh(user.refresh_token)).status, 200, "and its real token still works");
  });
});

describe("grace window and reuse detection", () => {
  test("inside the window, the just-spent token returns the same current refresh token", async () => {
    const user = await server.signUpAndSignIn();
    const first = await refresh(user.refresh_token);
    clock.advance(5_000);
    const retry = await refresh(user.refresh_token);
    assert.equal(retry.status, 200);
    assert.equal(retry.body.refresh_token, first.body.refresh_token);
    const next = await refresh(first.body.refresh_token);
    assert.equal(next.status, 200, "the chain continues");
  });

  test("after the window, reuse of a spent token ends the session", async () => {
    const user = await server.signUpAndSignIn();
    const rotated = await refresh(user.refresh_token);
    clock.advance(11_000);
    const reuse = await refresh(user.refresh_token);
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, "invalid_grant");
    const victim = await refresh(rotated.body.refresh_token);
    assert.equal(victim.body.error, "invalid_grant", "the current token of the family is dead too");
    const session = await server.tessera.parts.store.findSession(sidOf(user.access_token));
    assert.equal(session?.revoked_reason, "refresh_token_reuse");
    const me = await server.request("GET", "/userinfo", { token: rotated.body.access_token });
    assert.equal(me.status, 401, "its access tokens are refused at once");
  });

  test("only the immediate predecessor gets grace: an older token is reuse even inside the window", async () => {
    const user = await server.signUpAndSignIn();
    const second = await refresh(user.refresh_token);
    const third = await refresh(second.body.refresh_token);
    assert.equal(third.status, 200);
    const old = await refresh(user.refresh_token);
    assert.equal(old.body.error, "invalid_grant");
    assert.equal((await server.tessera.parts.store.findSession(sidOf(user.access_token)))?.revoked_reason, "refresh_token_reuse");
  });

  test("reuse is counted by cause: benign race versus suspected theft", async () => {
    const causes: string[] = [];
    const listener = (e: { cause: string }) => causes.push(e.cause);
    server.tessera.parts.events.on("refresh-reuse", listener);
    try {
      const user = await server.signUpAndSignIn();
      await refresh(user.refresh_token);
      await refresh(user.refresh_token);
      clock.advance(11_000);
      await refresh(user.refresh_token);
      assert.deepEqual(causes, ["benign_race", "suspected_theft"]);
    } finally {
      server.tessera.parts.events.off("refresh-reuse", listener);
    }
  });

  test("20 parallel refreshes of one token converge on one chain, with no 5xx", async () => {
    const user = await server.signUpAndSignIn();
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(user.refresh_token)));
    assert.deepEqual(answers.map((a) => a.status), Array(20).fill(200));
    const tokens = new Set(answers.map((a) => a.body.refresh_token));
    assert.equal(tokens.size, 1, "every racer holds the same current token");
    const sid = sidOf(user.access_token);
    const session = await server.tessera.parts.store.findSession(sid);
    assert.equal(session?.refresh_generation, 1, "rotated exactly once");
    assert.equal(session?.revoked_at, null);
    assert.equal(session?.refresh_hash, hashRefreshToken([...tokens][0]!), "the row holds the hash of that one token");
    const next = await refresh([...tokens][0]!);
    assert.equal(next.status, 200);
  });
});

describe("session lifetime", () => {
  test("a session ends after the idle timeout without a refresh", async () => {
    const user = await server.signUpAndSignIn();
    clock.advance(7 * 86_400_000 - 60_000);
    const stillAlive = await refresh(user.refresh_token);
    assert.equal(stillAlive.status, 200, "a refresh just before the idle timeout keeps the session");
    clock.advance(7 * 86_400_000 + 1);
    const idle = await refresh(stillAlive.body.refresh_token);
    assert.equal(idle.body.error, "invalid_grant");
    assert.equal((await server.tessera.parts.store.findSession(sidOf(user.access_token)))?.revoked_reason, "idle_timeout");
  });

  test("a session ends at its absolute lifetime even when used", async () => {
    const user = await server.signUpAndSignIn();
    let token = user.refresh_token;
    for (let day = 0; day < 29; day++) {
      clock.advance(86_400_000);
      const res = await refresh(token);
      assert.equal(res.status, 200, `day ${day + 1}`);
      token = res.body.refresh_token;
    }
    clock.advance(86_400_000);
    const res = await refresh(token);
    assert.equal(res.body.error, "invalid_grant");
    assert.equal((await server.tessera.parts.store.findSession(sidOf(user.access_token)))?.revoked_reason, "absolute_lifetime");
  });

  test("access tokens expire after expires_in seconds", async () => {
    const user = await server.signUpAndSignIn();
    clock.advance((user.expires_in - 1) * 1000);
    assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 200);
    clock.advance(2000);
    const expired = await server.request("GET", "/userinfo", { token: user.access_token });
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get("www-authenticate")!, /error="invalid_token"/);
  });

  test("a disabled user cannot refresh", async () => {
    const user = await server.signUpAndSignIn();
    await server.tessera.parts.admin.users.setDisabled(user.userId, true, { id: "test" });
    const res = await refresh(user.refresh_token);
    assert.equal(res.body.error, "invalid_grant");
  });
});
