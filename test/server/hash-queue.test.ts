// The hashing queue over HTTP, with one hashing slot and room for two waiting:
// past that a sign-in answers 503 temporarily_unavailable with Retry-After; a
// queued hash whose client disconnects never runs; hashes in flight finish.
// The hashing threads run the real module behind a hold (held-password-worker.cts),
// so the test decides when a hash finishes and sees which ones ran.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BroadcastChannel } from "node:worker_threads";
import { loadConfig } from "../../src/core/config.js";
import { startServer, type RunningServer } from "../../src/server/start.js";

const channelName = `tessera-test-hash-${process.pid}-${randomBytes(4).toString("hex")}`;
process.env.TESSERA_TEST_HASH_CHANNEL = channelName; // read by the hashing threads when they start
const channel = new BroadcastChannel(channelName);
const started: string[] = [];
const startWaiters: Array<() => void> = [];
channel.onmessage = (event: unknown) => {
  started.push((event as { data: { started: string } }).data.started);
  for (const wake of startWaiters.splice(0)) wake();
};

let server: RunningServer;
let dataDir: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tessera-hash-queue-"));
  const config = loadConfig({}, {
    host: "127.0.0.1", port: 0, dataDir, logLevel: "silent", sweepIntervalMs: 0, masterKey: randomBytes(32).toString("base64url"),
    throttleSignInAccount: 0, throttleSignInIp: 0, throttleRegisterIp: 0, throttleTokenIp: 0,
    hashConcurrency: 1, hashQueueLimit: 2,
  });
  server = await startServer(config, { hashWorker: { filename: new URL("./held-password-worker.cts", import.meta.url).pathname, execArgv: ["--require", "tsx/cjs"] } }, { logger: false });
  const registered = await post("/auth/register", { username: "queued-user", password: "the right passphrase" });
  assert.equal(registered.status, 201);
});

after(async () => {
  channel.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function post(path: string, json: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json), ...(signal ? { signal } : {}) });
}

const signIn = (password: string, signal?: AbortSignal) =>
  fetch(`${server.url}/oauth/token`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "password", username: "queued-user", password }).toString(), ...(signal ? { signal } : {}),
  });

/** Resolves when `done()` holds, re-checked at each event that may change it (a hash starting, a request arriving). */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) {
    await Promise.race([new Promise<void>((resolve) => startWaiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, 5))]);
  }
  assert.ok(done(), `never: ${what}`);
}

test("a full queue answers 503 with Retry-After; a queued hash whose client left never runs; the one in flight finishes", async () => {
  const hasher = server.tessera.parts.hasher;
  const inFlight = signIn("held in flight");
  await until(() => started.includes("held in flight"), "the first hash starts");
  const queued = signIn("held queued");
  const leaving = new AbortController();
  const abandoned = signIn("held abandoned", leaving.signal).catch((error: unknown) => error);
  await until(() => hasher.queueDepth === 2, "two hashes wait");

  const overflow = await Promise.all(Array.from({ length: 5 }, (_, i) => signIn(`held overflow ${i}`)));
  for (const res of overflow) {
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal(((await res.json()) as { error: string }).error, "temporarily_unavailable");
  }
  const registration = await post("/auth/register", { username: "too-busy", password: "held registration" });
  assert.equal(registration.status, 503, "registration hashes through the same queue");
  assert.equal(await server.tessera.parts.users.find("too-busy"), undefined, "nothing written");

  leaving.abort(); // the client disconnects while its hash waits
  assert.equal((await abandoned as Error).name, "AbortError");
  await until(() => hasher.queueDepth === 1, "the abandoned hash leaves the queue");

  channel.postMessage("release"); // the hash in flight
  channel.postMessage("release"); // the queued one, which runs next
  assert.equal((await inFlight).status, 400, "the hash in flight finished and was answered");
  assert.equal((await queued).status, 400);
  await until(() => hasher.running === 0 && hasher.queueDepth === 0, "the gate drains");
  assert.ok(!started.includes("held abandoned"), "the abandoned hash never ran");
  assert.deepEqual(started.filter((p) => p.startsWith("held")), ["held in flight", "held queued"], "only admitted hashes ran");
  const answer = await signIn("the right passphrase");
  assert.equal(answer.status, 200, "the queue serves again");
});
