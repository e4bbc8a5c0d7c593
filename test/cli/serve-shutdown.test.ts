// Graceful shutdown: a real `tessera serve` process gets SIGTERM
// while a slow sign-in and a revocation-feed long-poll are in flight. It stops
// accepting, lets the sign-in finish, answers the long-poll at once, closes its
// store and exits 0.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { masterKey, spawnServer } from "../helpers/process.js";
import { parsePrometheus, sample } from "../helpers/prometheus.js";
import { until } from "../helpers/until.js";

test("SIGTERM: in-flight requests complete, new ones are refused, the process exits 0", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-shutdown-"));
  // A costly hash makes the sign-in take a while, so SIGTERM lands in the middle of it.
  const server = await spawnServer({ TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: masterKey(), TESSERA_ARGON2_ITERATIONS: "40", TESSERA_SHUTDOWN_TIMEOUT: "30", LOG_LEVEL: "info" });
  try {
    const post = (path: string, body: unknown) => fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    assert.equal((await post("/auth/register", { username: "sigterm", password: "a slow password hash" })).status, 201);

    const started = Date.now();
    // A long-poll from the feed's current cursor (without one the feed answers its snapshot at once).
    const { cursor } = (await (await fetch(`${server.url}/oauth/revocations`)).json()) as { cursor: string };
    const longPoll = fetch(`${server.url}/oauth/revocations?since=${cursor}&wait=20`);
    const signIn = post("/oauth/token", { grant_type: "password", username: "sigterm", password: "a slow password hash" });
    // Both requests in the server's hands: the long-poll held, the sign-in's hash running.
    await until("the long-poll held and the sign-in hashing", async () => {
      const metrics = parsePrometheus(await (await fetch(`${server.url}/metrics`)).text());
      return sample(metrics, "tessera_feed_polls_held") === 1 && sample(metrics, "tessera_password_hash_running") === 1;
    });
    server.child.kill("SIGTERM");
    const signalled = Date.now();

    const signedIn = await signIn;
    assert.equal(signedIn.status, 200, "the in-flight sign-in completes");
    assert.match(((await signedIn.json()) as { refresh_token: string }).refresh_token, /^tsr_/);
    const polled = await longPoll;
    assert.equal(polled.status, 200, "the long-poll is answered, not cut");
    assert.deepEqual(await polled.json(), { cursor, revoked: [] }, "answered at once, its cursor unchanged");
    assert.ok(Date.now() - started < 10_000, "the long-poll did not hold the shutdown for its 20 s");

    const late = await fetch(`${server.url}/healthz`).then((r) => r.status, (error: Error) => error.name);
    assert.notEqual(late, 200, "a request after SIGTERM is refused");

    assert.equal(await server.exited, 0, server.output());
    // Well before TESSERA_SHUTDOWN_TIMEOUT: kept-alive sockets are closed as soon as they go idle.
    assert.ok(Date.now() - signalled < 5000, `exit took ${Date.now() - signalled} ms`);
    assert.match(server.output(), /"msg":"shutting down: finishing in-flight requests"/);
    assert.match(server.output(), /"msg":"shutdown complete"/);
  } finally {
    server.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
});
