/**
 * The real hashing module (src/core/accounts/password-worker.cts) with a hold in front,
 * for tests of the hashing queue: every task reports its password on a
 * BroadcastChannel named by TESSERA_TEST_HASH_CHANNEL when it starts, and a
 * task whose password begins with "held " waits for a "release" message before
 * it hashes. So a test knows which hashes ran and decides when they finish,
 * without timing anything.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS under verbatimModuleSyntax (as password-worker.cts)
import workerThreads = require("node:worker_threads");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS worker module, as piscina loads it
import passwordTask = require("../../src/core/accounts/password-worker.cjs");

type Task = Parameters<typeof passwordTask>[0];

const channel = new workerThreads.BroadcastChannel(process.env.TESSERA_TEST_HASH_CHANNEL ?? "tessera-test-hash");
channel.unref();
let credits = 0;
const waiting: Array<() => void> = [];
channel.onmessage = (event: unknown) => {
  if ((event as { data: unknown }).data !== "release") return;
  const next = waiting.shift();
  if (next) next();
  else credits++;
};

export = async function heldPasswordTask(task: Task): Promise<string | boolean> {
  channel.postMessage({ started: task.password });
  if (task.password.startsWith("held ")) {
    if (credits > 0) credits--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
  }
  return passwordTask(task);
};
