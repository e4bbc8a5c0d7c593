// Loaded with `--import` by the mutation runs (stryker.config.mjs): in a
// Stryker sandbox, a workspace package resolves to the sandbox's copy, the one
// Stryker mutated. The sandbox links `node_modules` back to the checkout, and
// `node_modules/@tessera/verify` links on to the checkout's `packages/verify`:
// without this, `import "@tessera/verify/key-source"` (the server's token
// check) ran the checkout's unmutated code, and only tests that import the
// library by path saw its mutants. A resolve hook rather than `--inPlace`
// (which writes the mutants into the checkout, where a killed run leaves one)
// or tsconfig `paths` (a second list of the packages' exports, to keep in step).
// Outside a sandbox the two folders are one and nothing is registered.
import { realpathSync } from "node:fs";
import { register } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";

let from = "";
let to = "";

// The main thread registers this same file as its resolve hooks (they run on a thread of their own).
if (isMainThread) {
  const checkout = pathToFileURL(join(realpathSync("node_modules"), "..", "packages/")).href;
  const sandbox = pathToFileURL(join(realpathSync("."), "packages/")).href;
  if (checkout !== sandbox) register(import.meta.url, { data: { from: checkout, to: sandbox } });
}

export function initialize(data) {
  ({ from, to } = data);
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  return resolved.url.startsWith(from) ? { ...resolved, url: to + resolved.url.slice(from.length) } : resolved;
}
