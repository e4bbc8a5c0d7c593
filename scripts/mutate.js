#!/usr/bin/env node
// `npm run mutate -- <target>`: one Stryker run over one target of stryker.config.mjs
// (refresh, throttle, csrf, tokens, passwords). Run one at a time: each uses both cores.
import { spawnSync } from "node:child_process";

const [target, ...rest] = process.argv.slice(2);
if (!target) {
  console.error("usage: npm run mutate -- <refresh|throttle|csrf|tokens|passwords> [stryker options]");
  process.exit(2);
}
const root = new URL("..", import.meta.url).pathname;
const result = spawnSync(process.execPath, [`${root}node_modules/@stryker-mutator/core/bin/stryker.js`, "run", "stryker.config.mjs", ...rest], {
  stdio: "inherit", cwd: root, env: { ...process.env, TESSERA_MUTATE: target },
});
process.exit(result.status ?? 1);
