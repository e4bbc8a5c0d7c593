// The hasher's own queue bound, without HTTP: by default 4 × the concurrency may
// wait; the next is refused at once as temporarily_unavailable with a Retry-After.
// The hashing threads run the real module behind a hold (test/server/held-password-worker.cts).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { BroadcastChannel } from "node:worker_threads";
import { TesseraError } from "../../src/core/errors.js";
import { PasswordHasher } from "../../src/core/accounts/passwords.js";

test("by default four hashes per slot may wait; the next is refused with 503 temporarily_unavailable and Retry-After 1", async () => {
  const name = `tessera-test-hash-${process.pid}-${randomBytes(4).toString("hex")}`;
  process.env.TESSERA_TEST_HASH_CHANNEL = name;
  const channel = new BroadcastChannel(name);
  // Messages reach only channels that exist: release once the hashing thread has reported its first task.
  const firstStarted = new Promise<void>((resolve) => { channel.onmessage = () => resolve(); });
  const hasher = new PasswordHasher({ memoryKib: 19_456, iterations: 2, parallelism: 1, concurrency: 1 }, {
    filename: new URL("../server/held-password-worker.cts", import.meta.url).pathname, execArgv: ["--require", "tsx/cjs"],
  });
  try {
    const admitted = Array.from({ length: 5 }, (_, i) => hasher.hash(`held password ${i}`));
    assert.equal(hasher.queueDepth, 4);
    const refused = await hasher.hash("held one too many").then(() => undefined, (error: unknown) => error);
    assert.ok(refused instanceof TesseraError);
    assert.equal(refused.code, "temporarily_unavailable");
    assert.equal(refused.status, 503);
    assert.equal(refused.retryAfter, 1);
    await firstStarted;
    for (let i = 0; i < 5; i++) channel.postMessage("release");
    const hashes = await Promise.all(admitted);
    assert.ok(hashes.every((h) => h.startsWith("$argon2id$")), "the admitted hashes all ran to the end");
  } finally {
    channel.close();
    await hasher.close();
  }
});
