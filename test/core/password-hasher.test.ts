// The password hasher on its own ("Users and passwords"): argon2id on
// worker threads of its own, at most `concurrency` at once, and on Linux at a
// lower CPU priority than the event loop's thread (docs/performance.md).
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { parseOptions } from "@node-rs/argon2";
import { PasswordHasher } from "../../src/core/accounts/passwords.js";

const realWorker = fileURLToPath(new URL("../../src/core/accounts/password-worker.cts", import.meta.url));
const policy = { memoryKib: 19_456, iterations: 2, parallelism: 1 };
const open: PasswordHasher[] = [];
function hasher(extra: { concurrency?: number; niceIncrement?: number } = {}): PasswordHasher {
  const made = new PasswordHasher({ ...policy, ...extra });
  open.push(made);
  return made;
}
after(() => Promise.all(open.map((h) => h.close())));

/** The nice value of each of this process's threads (Linux), by thread id. */
function threadNiceness(): Map<number, number> {
  const found = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      found.set(Number(tid), Number(fields[16])); // field 19 of stat(5), counted after the name
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return found;
}
const linuxOnly = process.platform === "linux" ? false : "nice is applied per thread on Linux only";

describe("PasswordHasher", () => {
  test("hashes with argon2id at the policy's parameters and verifies only the right password", async () => {
    const h = hasher();
    const stored = await h.hash("correct horse battery staple");
    const used = parseOptions(stored);
    assert.equal(used.algorithm, 2); // argon2id
    assert.deepEqual([used.memoryCost, used.timeCost, used.parallelism], [19_456, 2, 1]);
    assert.deepEqual(await h.verify(stored, "correct horse battery staple"), { ok: true, needsRehash: false });
    assert.deepEqual(await h.verify(stored, "correct horse battery stapler"), { ok: false, needsRehash: false });
  });

  test("a password is compared after NFKC normalisation, as it was hashed", async () => {
    const h = hasher();
    const stored = await h.hash("caf\u00e9 au lait, s'il vous pla\u00eet");
    assert.equal((await h.verify(stored, "cafe\u0301 au lait, s'il vous pla\u00eet")).ok, true);
  });

  test("a malformed stored hash matches nothing and does not throw", async () => {
    const h = hasher();
    assert.deepEqual(await h.verify("not-a-phc-string", "anything at all"), { ok: false, needsRehash: false });
    assert.deepEqual(await h.verify("$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB", "anything at all"), { ok: false, needsRehash: false });
  });

  test("a hash weaker than the policy asks to be re-hashed once it verifies", async () => {
    const weak = new PasswordHasher({ memoryKib: 19_456, iterations: 2, parallelism: 1 });
    open.push(weak);
    const stored = await weak.hash("correct horse battery staple");
    const same = hasher();
    const raised = new PasswordHasher({ memoryKib: 19_456, iterations: 3, parallelism: 1 });
    open.push(raised);
    assert.equal((await same.verify(stored, "correct horse battery staple")).needsRehash, false);
    assert.deepEqual(await raised.verify(stored, "correct horse battery staple"), { ok: true, needsRehash: true });
    assert.deepEqual(await raised.verify(stored, "wrong password here"), { ok: false, needsRehash: false });
  });

  test("the event loop keeps turning while a hash runs (it is computed on another thread)", async () => {
    const h = hasher();
    let turns = 0;
    let done = false;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    await h.hash("correct horse battery staple");
    done = true;
    assert.ok(turns > 0, "no event-loop turn ran while hashing: the hash blocked the loop");
  });

  test("at most `concurrency` hashes run at once; the rest wait their turn and all finish", async () => {
    const h = hasher({ concurrency: 1 });
    const pending = [h.hash("first password here"), h.hash("second password here"), h.hash("third password here")];
    assert.equal(h.running, 1);
    assert.equal(h.queueDepth, 2);
    const hashes = await Promise.all(pending);
    assert.equal(new Set(hashes).size, 3);
    assert.equal(h.running, 0);
    assert.equal(h.queueDepth, 0);
  });

  test("hashing threads run at the lower priority asked for; the calling thread keeps its own", { skip: linuxOnly }, async () => {
    // Relative to the priority the tests run at (`nice -n 10 npm test` starts at 10).
    const base = getPriority();
    const before = threadNiceness();
    const h = hasher({ niceIncrement: 7 });
    await h.hash("correct horse battery staple");
    const during = threadNiceness();
    const started = [...during].filter(([tid]) => !before.has(tid));
    assert.ok(started.length > 0, "no hashing thread was started");
    assert.ok(started.some(([, nice]) => nice === Math.min(base + 7, 19)), `new threads' nice values: ${started.map(([, n]) => n).join(", ")}`);
    assert.equal(during.get(process.pid), base, "the event loop's thread was reniced too");

    await h.close();
    const closed = threadNiceness();
    assert.ok(started.every(([tid]) => !closed.has(tid)), "close() left hashing threads running");
    // A hasher closed (at shutdown, by a CLI command) can still hash: it starts a new pool.
    assert.equal((await h.verify(await h.hash("after the close"), "after the close")).ok, true);
  });

  test("with no increment the hashing threads keep the process's priority", { skip: linuxOnly }, async () => {
    const before = threadNiceness();
    const h = hasher({ niceIncrement: 0 });
    await h.hash("correct horse battery staple");
    const started = [...threadNiceness()].filter(([tid]) => !before.has(tid));
    assert.ok(started.length > 0);
    assert.ok(started.every(([, nice]) => nice === getPriority()));
  });

  test("a hashing thread that cannot start fails its hash instead of leaving it waiting forever", { timeout: 20_000 }, async () => {
    const broken = new PasswordHasher(policy, { filename: join(tmpdir(), "tessera-no-such-worker.cjs") });
    open.push(broken);
    await assert.rejects(broken.hash("correct horse battery staple"));
    // The slot is given back and a later hash fails the same way (a fresh pool), not hangs.
    assert.equal(broken.running, 0);
    await assert.rejects(broken.verify("$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB", "correct horse battery staple"));
  });

  test("once the worker module is there again, the next hash starts a fresh pool (and the dummy hash is not stuck failing)", { timeout: 20_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-worker-"));
    const filename = join(dir, "worker.cjs");
    const recovering = new PasswordHasher(policy, { filename, execArgv: ["--require", "tsx/cjs"] });
    open.push(recovering);
    await assert.rejects(recovering.verifyDummy("correct horse battery staple"));
    // The module appears (a deploy finished): it forwards to the real one.
    writeFileSync(filename, `module.exports = require(${JSON.stringify(realWorker)});\n`);
    await recovering.verifyDummy("correct horse battery staple");
    assert.equal((await recovering.verify(await recovering.hash("after recovery"), "after recovery")).ok, true);
  });

  test("a hasher that never hashed starts no thread and closes at once", { skip: linuxOnly }, async () => {
    const before = threadNiceness().size;
    const h = hasher();
    await h.close();
    assert.equal(threadNiceness().size, before);
  });
});
