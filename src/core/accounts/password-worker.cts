/**
 * Runs on the hashing worker threads (see passwords.ts): argon2id computed
 * synchronously on a thread the pool owns, so its scheduling priority can be
 * lowered without touching the event loop's thread or libuv's pool.
 *
 * CommonJS on purpose: piscina loads it with `require`, which tsx's require hook
 * can serve from source in tests (Node 20 does not carry `--import` loader hooks
 * into worker threads).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- TypeScript's one import form for a CommonJS module under verbatimModuleSyntax
import argon2 = require("@node-rs/argon2");

type PasswordTask =
  | { op: "hash"; password: string; options: argon2.Options }
  | { op: "verify"; storedHash: string; password: string };

// One function as the module (piscina's default handler), told apart by `op`.
export = function passwordTask(task: PasswordTask): string | boolean {
  if (task.op === "hash") return argon2.hashSync(task.password, task.options);
  try {
    return argon2.verifySync(task.storedHash, task.password);
  } catch {
    return false; // a malformed stored hash matches nothing
  }
};
