// Failures in a cluster. Redis goes away (a TCP relay in front of
// the real Redis is cut): the instances keep serving from PostgreSQL (one even
// starts without it), say so in /readyz and once in their logs, and a logout
// still reaches other instances' feeds; when Redis is back they say that once
// too. Then one instance is killed with SIGKILL under load: every committed
// user and session is still there and the other instance keeps serving.
import assert from "node:assert/strict";
import { hashRefreshToken } from "../../src/core/sessions/refresh-token-format.js";
import { createServer, connect, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { spawnServer } from "../helpers/process.js";
import { call, randomName, REDIS_TEST_URL, redisAvailable, sidOf, signUp, startCluster, within, type Cluster, type Tokens } from "./helpers/cluster.js";

const hasRedis = await redisAvailable();

/** A TCP relay to the real Redis that the test can cut and restore. */
class Relay {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  async open(): Promise<void> {
    const target = new URL(REDIS_TEST_URL);
    this.#server = createServer((client) => {
      const upstream = connect({ host: target.hostname, port: Number(target.port || 6379) });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.port, "127.0.0.1", resolve));
    const address = this.#server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
  }

  async cut(): Promise<void> {
    const closed = new Promise((resolve) => this.#server!.close(resolve));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}

const readyz = (base: string) => call<{ status: string; checks: { store: string; redis: string } }>(base, "GET", "/readyz");
const count = (text: string, pattern: RegExp) => text.split("\n").filter((l) => pattern.test(l)).length;

describe("failures in a cluster of two", { skip: hasRedis ? false : "Redis is not reachable (set TESSERA_REQUIRE_SERVICES=1 to fail instead)" }, () => {
  const relay = new Relay();
  let cluster: Cluster;
  let a: string;
  let b: string;

  before(async () => {
    await relay.open();
    cluster = await startCluster(2, { REDIS_URL: `redis://127.0.0.1:${relay.port}`, LOG_LEVEL: "info" });
    [a, b] = cluster.instances.map((i) => i.url) as [string, string];
  });
  after(async () => {
    await cluster?.stop();
    await relay.cut().catch(() => undefined);
  });

  test("Redis down: instances keep serving, /readyz says degraded (200), one warning each; back: one line each", async () => {
    assert.deepEqual((await readyz(a)).body, { status: "ok", checks: { store: "ok", redis: "ok" } });
    await relay.cut();
    const degraded = await within(3000, async () => (await readyz(b)).body.checks.redis === "unreachable");
    assert.ok(degraded < 3000);
    const ready = await readyz(b);
    assert.equal(ready.status, 200, "the store is fine: still in the load balancer's rotation");
    assert.equal(ready.body.status, "degraded");

    // An instance started while Redis is away starts anyway (after a short wait) and joins later.
    const late = await spawnServer({ ...cluster.env, LOG_LEVEL: "info" });
    cluster.instances.push(late);
    assert.equal((await readyz(late.url)).body.status, "degraded");

    // Serving from PostgreSQL alone: sign-up on A, refresh on B, logout on A refused by B,
    // and B's feed reports it to a long-poll within 2 s (its store polling, no Redis).
    const user = await signUp(a, randomName("noredis"));
    const rotated = await call<Tokens>(b, "POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } });
    assert.equal(rotated.status, 200);
    const cursor = (await call<{ cursor: string }>(b, "GET", "/oauth/revocations")).body.cursor;
    const poll = call<{ revoked: Array<{ sid: string }> }>(b, "GET", `/oauth/revocations?since=${cursor}&wait=10`);
    const loggedOut = Date.now();
    assert.equal((await call(a, "POST", "/auth/logout", { token: rotated.body.access_token })).status, 204);
    assert.equal((await call(b, "GET", "/userinfo", { token: rotated.body.access_token })).status, 401);
    const page = await poll;
    assert.deepEqual(page.body.revoked.map((r) => r.sid), [sidOf(user.access_token)]);
    assert.ok(Date.now() - loggedOut < 2000, `the feed on B reported it after ${Date.now() - loggedOut} ms`);

    await new Promise((r) => setTimeout(r, 2500)); // several reconnection attempts fail meanwhile
    await relay.open();
    const back = await within(8000, async () => (await Promise.all(cluster.instances.map((i) => readyz(i.url)))).every((r) => r.body.status === "ok"));
    assert.ok(back < 8000, "all report Redis again");
    // /readyz pings with the command connection; the line is logged once the subscriber
    // (which backs off up to 2 s between attempts) is back as well.
    const logged = await within(5000, async () => cluster.instances.every((i) => count(i.output(), /"msg":"redis reachable again/) > 0));
    assert.ok(logged < 5000, `every instance logs that Redis is back:\n${cluster.instances.map((i) => i.output()).join("\n")}`);
    for (const instance of cluster.instances) {
      assert.equal(count(instance.output(), /"msg":"redis unreachable/), 1, `one warning, not one per retry:\n${instance.output()}`);
      assert.equal(count(instance.output(), /"msg":"redis reachable again/), 1);
    }
  });

  test("SIGKILL of one instance under load loses no committed user or session; the other keeps serving", async () => {
    const committed: Array<{ userId: string; sid: string; refreshHash: string }> = [];
    const failuresOnB: string[] = [];
    let killed = false;
    const worker = async (n: number) => {
      for (let i = 0; i < 8; i++) {
        const base = i % 2 === 0 ? a : b;
        try {
          const user = await signUp(base, randomName(`load${n}x${i}`));
          committed.push({ userId: user.userId, sid: sidOf(user.access_token), refreshHash: hashRefreshToken(user.refresh_token) });
        } catch (error) {
          // On A around the kill a request may fail; on B (or before the kill) none may.
          if (base === b || !killed) failuresOnB.push(`${base}: ${(error as Error).message}`);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, (_, n) => worker(n)));
    await within(10_000, async () => committed.length >= 10);
    killed = true;
    cluster.instances[0]!.child.kill("SIGKILL");
    await load;
    assert.equal(await cluster.instances[0]!.exited, "SIGKILL");
    assert.deepEqual(failuresOnB, [], "B never failed, and A did not fail before the kill");
    assert.ok(committed.length >= 24, `B kept serving: ${committed.length} sign-ups committed`);

    const users = await cluster.db.query("SELECT id FROM users WHERE id = ANY($1)", [committed.map((c) => c.userId)]);
    assert.equal(users.rowCount, committed.length, "every user answered with 201 is stored");
    const sessions = await cluster.db.query("SELECT id, refresh_hash FROM sessions WHERE id = ANY($1) AND revoked_at IS NULL", [committed.map((c) => c.sid)]);
    assert.equal(sessions.rowCount, committed.length, "every session answered with 200 is stored and live");
    const stored = new Map(sessions.rows.map((r: { id: string; refresh_hash: string }) => [r.id, r.refresh_hash]));
    for (const c of committed) assert.equal(stored.get(c.sid), c.refreshHash, "with the hash of the refresh token it answered");
    assert.equal((await readyz(b)).status, 200);
  });
});
