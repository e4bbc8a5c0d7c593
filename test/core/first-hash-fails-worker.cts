/**
 * The real hashing module (src/core/accounts/password-worker.cts) with one fault:
 * the first hash its thread is asked for throws, as a hashing thread that failed
 * once; every later task runs the real module. A hasher with concurrency 1 has one
 * thread, so its first hash fails and the rest are real argon2id.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS worker module, as piscina loads it
import passwordTask = require("../../src/core/accounts/password-worker.cjs");

type Task = Parameters<typeof passwordTask>[0];

let failedOnce = false;

export = function firstHashFails(task: Task): string | boolean {
  if (task.op === "hash" && !failedOnce) {
    failedOnce = true;
    throw new Error("this hashing thread failed its first hash");
  }
  return passwordTask(task);
};
