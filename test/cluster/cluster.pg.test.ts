// Three real instances on one PostgreSQL schema and one Redis prefix:
// keys agree, rotation is atomic across instances, reuse detected anywhere ends
// the session everywhere, a logout reaches other instances and verifiers at once,
// a key rotated by the CLI is published by every instance, and the sign-in
// throttle counts attempts made on any instance.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createVerifier } from "../../packages/verify/src/index.js";
import { hashRefreshToken } from "../../src/core/sessions/refresh-token-format.js";
import { parsePrometheus, sample } from "../helpers/prometheus.js";
import { call, ISSUER, kidOf, randomName, redisAvailable, sidOf, signUp, startCluster, within, type Cluster, type Tokens } from "./helpers/cluster.js";

const GRACE_SECONDS = 3;
const hasRedis = await redisAvailable();

describe("three instances, one database, one Redis", { skip: hasRedis ? false : "Redis is not reachable (set TESSERA_REQUIRE_SERVICES=1 to fail instead)" }, () => {
  let cluster: Cluster;
  let urls: string[];
  const refresh = (base: string, token: string) => call<Tokens & { error?: string }>(base, "POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: token } });

  before(async () => {
    cluster = await startCluster(3, {
      TESSERA_REFRESH_GRACE_WINDOW: String(GRACE_SECONDS),
      // The sign-in throttle at its default of 5 free failures, with a long block so the test sees it.
      TESSERA_THROTTLE_BASE_DELAY: "60",
    });
    urls = cluster.instances.map((i) => i.url);
  });
  after(() => cluster?.stop());

  test("started together on an empty database, they agree on the keys: a token from any instance works on every other", async () => {
    const kidsOf = async (base: string) => (await call<{ keys: Array<{ kid: string }> }>(base, "GET", "/.well-known/jwks.json")).body.keys.map((k) => k.kid).sort();
    const agreed = await within(5000, async () => {
      const sets = await Promise.all(urls.map(kidsOf));
      return sets.every((s) => JSON.stringify(s) === JSON.stringify(sets[0]));
    });
    assert.ok(agreed < 5000, "the JWKS of the three instances converge");
    for (const [i, base] of urls.entries()) {
      const user = await signUp(base, randomName(`keys${i}`));
      for (const other of urls) assert.equal((await call(other, "GET", "/userinfo", { token: user.access_token })).status, 200, `token from ${base} on ${other}`);
    }
  });

  test("a refresh token rotated on A and replayed on B after the grace window ends the session on every instance", async () => {
    const [a, b, c] = urls as [string, string, string];
    const user = await signUp(a, randomName("replay"));
    const rotated = await refresh(a, user.refresh_token);
    assert.equal(rotated.status, 200);
    await new Promise((r) => setTimeout(r, GRACE_SECONDS * 1000 + 500));
    const replay = await refresh(b, user.refresh_token);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, "invalid_grant");
    assert.equal((await refresh(c, rotated.body.refresh_token)).body.error, "invalid_grant", "the family's current token is dead on C too");
    assert.equal((await call(a, "GET", "/userinfo", { token: rotated.body.access_token })).status, 401);
    const row = await cluster.db.query("SELECT revoked_reason FROM sessions WHERE id = $1", [sidOf(user.access_token)]);
    assert.equal(row.rows[0]?.revoked_reason, "refresh_token_reuse");
  });

  test("50 concurrent refreshes of one token spread over the instances leave exactly one live chain, no 5xx", async () => {
    const user = await signUp(urls[0]!, randomName("race"));
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => refresh(urls[i % urls.length]!, user.refresh_token)));
    assert.deepEqual(answers.filter((a) => a.status >= 500).map((a) => a.status), [], "no 5xx");
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [200], "every racer within the grace window is answered");
    const current = new Set(answers.map((a) => a.body.refresh_token));
    assert.equal(current.size, 1, "all hold the same current token: one chain");
    const sid = sidOf(user.access_token);
    const session = await cluster.db.query("SELECT refresh_generation, refresh_hash, revoked_at FROM sessions WHERE id = $1", [sid]);
    assert.deepEqual(session.rows[0], { refresh_generation: 1, refresh_hash: hashRefreshToken([...current][0]!), revoked_at: null },
      "rotated exactly once, holding the hash of that one current token, still live");
    const next = await refresh(urls[2]!, [...current][0]!);
    assert.equal(next.status, 200, "the chain continues on any instance");
  });

  test("a logout on A is refused by B at once, and by a verifier following B's feed within 2 s", async () => {
    const [a, b] = urls as [string, string];
    const verifier = createVerifier({ issuer: ISSUER, jwksUri: `${b}/.well-known/jwks.json`, revocation: { endpoint: `${b}/oauth/revocations` } });
    try {
      const user = await signUp(a, randomName("logout"));
      await verifier.ready();
      assert.equal((await verifier.verify(user.access_token)).sub, user.userId);
      const before = parsePrometheus((await fetch(`${b}/metrics`).then((r) => r.text())));
      assert.equal((await call(a, "POST", "/auth/logout", { token: user.access_token })).status, 204);
      assert.equal((await call(b, "GET", "/userinfo", { token: user.access_token })).status, 401, "B refuses at once");
      const ms = await within(2000, () => verifier.verify(user.access_token).then(() => false, (error: { code?: string }) => {
        assert.equal(error.code, "ERR_TOKEN_REVOKED", String(error)); // refused as revoked, not for some other reason
        return true;
      }));
      assert.ok(ms < 2000, `the verifier refused it after ${ms} ms`);
      const received = (m: ReturnType<typeof parsePrometheus>) => sample(m, "tessera_cluster_messages_total", { direction: "received", type: "sessions-ended" }) ?? 0;
      const afterLogout = parsePrometheus((await fetch(`${b}/metrics`).then((r) => r.text())));
      assert.ok(received(afterLogout) > received(before), "B heard of the logout through Redis");
    } finally {
      verifier.close();
    }
  });

  test("`tessera keys rotate` on any host: every instance publishes the new key at once, none signs with it yet", async () => {
    const signer = kidOf((await signUp(urls[1]!, randomName("rotate"))).access_token);
    const rotated = await cluster.cli(["keys", "rotate"]);
    assert.equal(rotated.code, 0, rotated.output);
    const kid = /new key (\S+) created/.exec(rotated.output)?.[1];
    assert.ok(kid, rotated.output);
    for (const base of urls) {
      const ms = await within(2000, async () => (await call<{ keys: Array<{ kid: string }> }>(base, "GET", "/.well-known/jwks.json")).body.keys.some((k) => k.kid === kid));
      assert.ok(ms < 2000, `${base} published ${kid} (well before its minute-long reload)`);
      const fresh = await signUp(base, randomName("after"));
      assert.equal(kidOf(fresh.access_token), signer, "the new key waits out the JWKS cache lifetime before it signs");
    }
  });

  test("`tessera keys revoke` on one host: every instance refuses that key's tokens at once and drops it from its JWKS", async () => {
    const tokens = await Promise.all(urls.map((base) => signUp(base, randomName("revoked-key"))));
    const kid = kidOf(tokens[0]!.access_token);
    for (const t of tokens) assert.equal(kidOf(t.access_token), kid, "one signer across the cluster");
    const revoked = await cluster.cli(["keys", "revoke", kid]);
    assert.equal(revoked.code, 0, revoked.output);
    for (const base of urls) {
      for (const t of tokens) {
        const ms = await within(2000, async () => (await call(base, "GET", "/userinfo", { token: t.access_token })).status === 401);
        assert.ok(ms < 2000, `${base} refused a token of revoked key ${kid} (well before its minute-long reload)`);
      }
      const jwks = await call<{ keys: Array<{ kid: string }> }>(base, "GET", "/.well-known/jwks.json");
      assert.ok(!jwks.body.keys.some((k) => k.kid === kid), `${base} no longer publishes ${kid}`);
      const fresh = await signUp(base, randomName("after-revoke"));
      assert.notEqual(kidOf(fresh.access_token), kid, "and signs with another key");
      assert.equal((await call(base, "GET", "/userinfo", { token: fresh.access_token })).status, 200);
    }
  });

  test("the sign-in throttle counts failures made on any instance", async () => {
    const username = randomName("throttle");
    const password = "the right password!";
    await signUp(urls[0]!, username, password);
    // Five free failures per account and address (the fifth blocks), spread so that no instance sees more than two.
    for (let i = 0; i < 5; i++) {
      const res = await call(urls[i % 3]!, "POST", "/oauth/token", { form: { grant_type: "password", username, password: "a wrong password" } });
      assert.equal(res.status, 400, `failure ${i + 1}`);
    }
    const blocked = await call<{ error: string }>(urls[2]!, "POST", "/oauth/token", { form: { grant_type: "password", username, password } });
    assert.equal(blocked.status, 429, "even the right password waits out the block, on another instance");
    assert.equal(blocked.body.error, "too_many_requests");
    assert.ok(Number(blocked.headers.get("retry-after")) > 0);
    assert.ok((await cluster.redis.keys(`${cluster.prefix}throttle:*`)).length > 0, "the counters live in Redis, under the run's prefix");
  });
});
