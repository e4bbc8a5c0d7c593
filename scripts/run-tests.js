#!/usr/bin/env node
// Runs every test file with node's built-in runner (through tsx for TypeScript).
//
// Suites that need an outside service are named after it: `*.pg.test.ts`
// (PostgreSQL), `*.redis.test.ts` (Redis), `*.browser.test.ts` (Chromium). When the
// service is missing they are skipped with one line saying why, unless
// TESSERA_REQUIRE_SERVICES=1 (set by .ci/run), which turns a missing service into a failure.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { connect } from "node:net";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const required = process.env.TESSERA_REQUIRE_SERVICES === "1";
const filter = process.argv.slice(2);

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith(".test.ts") ? [path] : [];
  });
}

function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => { socket.destroy(); resolve(false); });
  });
}

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const services = {
  pg: { ok: await reachable("127.0.0.1", 5432), why: "PostgreSQL is not reachable at 127.0.0.1:5432" },
  redis: { ok: await reachable("127.0.0.1", 6379), why: "Redis is not reachable at 127.0.0.1:6379" },
  browser: { ok: existsSync(chromiumPath), why: `Chromium is not installed at ${chromiumPath}` },
};

let files = collect(join(root, "test")).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((part) => f.includes(part)));

const run = [];
let missingRequired = false;
for (const file of files) {
  const kind = file.match(/\.(pg|redis|browser)\.test\.ts$/)?.[1];
  const service = kind ? services[kind] : undefined;
  if (service && !service.ok) {
    if (required) {
      console.error(`FAIL ${relative(root, file)}: ${service.why} and TESSERA_REQUIRE_SERVICES=1`);
      missingRequired = true;
    } else {
      console.log(`skip ${relative(root, file)}: ${service.why}`);
    }
    continue;
  }
  run.push(file);
}

const env = { ...process.env, TESSERA_TEST_PG: services.pg.ok ? "1" : "0", TESSERA_TEST_REDIS: services.redis.ok ? "1" : "0" };
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...run],
  { stdio: "inherit", env, cwd: root },
);
process.exit(missingRequired ? 1 : (result.status ?? 1));
