#!/usr/bin/env node
// Runs every test file with node's built-in runner (through tsx for TypeScript), with the
// `tessera-source` condition, so `@tessera/verify` and `@tessera/client` resolve to their sources.
//
// The store-backed suites (test/server, test/store) run once per store: first
// with everything else on SQLite, then again with TESSERA_TEST_STORE=postgres,
// each server on a fresh schema (test/helpers/pg-schema.ts). The closing
// summary adds both runs up.
//
// Suites that need an outside service are named after it: `*.pg.test.ts`
// (PostgreSQL), `*.redis.test.ts` (Redis), `*.browser.test.ts` (Chromium). When
// the service is missing they (and the PostgreSQL run) are skipped with one line
// saying why, unless TESSERA_REQUIRE_SERVICES=1 (set by .ci/run), which turns a
// missing service into a failure.
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join, relative } from "node:path";
import { printFailures } from "./print-failures.js";
import { unreached } from "./reached-statuses.js";

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
if (filter.length > 0) files = files.filter((f) => filter.some((part) => relative(root, f).includes(part)));

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

/** Run once per store: the HTTP suite and the store conformance suite. */
const PER_STORE = ["test/server/", "test/store/"];
/** Files of those folders that test SQLite itself, with the reason. */
const SQLITE_ONLY = {
  "test/server/at-rest.test.ts": "reads the SQLite file and its WAL byte by byte (at-rest.pg.test.ts is the PostgreSQL counterpart)",
  "test/store/sqlite-group-commit.test.ts": "tests SQLite's group commit, which PostgreSQL does not have",
};
const perStore = run.filter((file) => {
  const name = relative(root, file);
  return PER_STORE.some((dir) => name.startsWith(dir)) && !/\.(pg|redis|browser)\.test\.ts$/.test(name) && !(name in SQLITE_ONLY);
});

const env = { ...process.env, TESSERA_TEST_PG: services.pg.ok ? "1" : "0", TESSERA_TEST_REDIS: services.redis.ok ? "1" : "0" };
const scratch = mkdtempSync(join(tmpdir(), "tessera-test-counts-"));
// Every test server appends what it answered and what its document lists (test/helpers/documented-statuses.ts).
const statusLog = join(scratch, "statuses.jsonl");
env.TESSERA_STATUS_LOG = statusLog;
const totals = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
const runs = [];
const failures = [];
let failed = false;

function testRun(label, files, store) {
  if (files.length === 0) return;
  console.log(`\n== ${label}: ${files.length} file${files.length === 1 ? "" : "s"} ==`);
  const counts = join(scratch, `${store}.json`);
  const result = spawnSync(
    process.execPath,
    ["--conditions=tessera-source", "--import", "tsx", "--test", "--test-concurrency=2",
      "--test-reporter=spec", "--test-reporter-destination=stdout",
      `--test-reporter=${join(root, "scripts/test-counts.js")}`, `--test-reporter-destination=${counts}`,
      ...files],
    { stdio: "inherit", env: { ...env, TESSERA_TEST_STORE: store }, cwd: root },
  );
  if (result.status !== 0) failed = true;
  const n = existsSync(counts) ? JSON.parse(readFileSync(counts, "utf8")) : undefined;
  if (!n) { failed = true; runs.push(`${label}: no summary (exit ${result.status ?? result.signal})`); return; }
  for (const key of Object.keys(totals)) totals[key] += n[key];
  for (const f of n.failures ?? []) failures.push({ run: label, ...f, file: relative(root, f.file) });
  runs.push(`${label}: ${n.pass} passed, ${n.fail} failed`);
}

testRun("SQLite", run, "sqlite");
if (perStore.length > 0) {
  if (services.pg.ok) testRun("PostgreSQL (test/server, test/store again)", perStore, "postgres");
  else if (required) {
    console.error(`FAIL the PostgreSQL run of ${perStore.length} files: ${services.pg.why} and TESSERA_REQUIRE_SERVICES=1`);
    missingRequired = true;
  } else {
    console.log(`skip the PostgreSQL run of ${perStore.length} files (test/server, test/store): ${services.pg.why}`);
  }
}
// Documented ⊆ reached: only the whole suite answers everything the document lists.
// A skipped suite (no PostgreSQL, Redis or Chromium here) leaves statuses unanswered that the others reach: not judged then.
let unreachedStatuses = [];
const skippedSuites = files.length - run.length + (perStore.length > 0 && !services.pg.ok ? 1 : 0);
if (filter.length === 0 && skippedSuites > 0) {
  console.log(`\n(documented statuses are checked against the answers of the whole suite only: ${skippedSuites} suite(s) were skipped here)`);
} else if (filter.length === 0 && existsSync(statusLog)) {
  unreachedStatuses = unreached(statusLog);
  if (unreachedStatuses.length > 0) {
    console.error(`\nFAIL ${unreachedStatuses.length} documented statuses no test answered (test them, or take them out of the document if the route cannot answer them; scripts/reached-statuses.js):\n  ${unreachedStatuses.join("\n  ")}`);
    totals.tests++;
    totals.fail++;
    failures.push({ run: "all runs", file: "scripts/reached-statuses.js", test: "every documented status is answered by some test", error: unreachedStatuses.join("\n") });
  } else {
    console.log("\nevery status the OpenAPI document lists was answered by a test");
  }
} else if (filter.length > 0) {
  console.log("\n(documented statuses are checked against the answers of the whole suite only: not with a filter)");
}
rmSync(scratch, { recursive: true, force: true });

// The failures again (a long log buries them), then node's summary for both runs together, then one plain line.
printFailures(failures);
console.log(`\nℹ both runs: ${runs.join("; ")}`);
for (const key of Object.keys(totals)) console.log(`ℹ ${key} ${totals[key]}`);
console.log(`${totals.pass} passed, ${totals.fail} failed${totals.cancelled ? `, ${totals.cancelled} cancelled` : ""}${totals.skipped ? `, ${totals.skipped} skipped` : ""}`);
const ok = !(missingRequired || failed || totals.fail > 0 || totals.cancelled > 0 || unreachedStatuses.length > 0);
// .ci/run runs the suite once per Node version and adds the runs up (scripts/sum-test-runs.js).
if (process.env.TESSERA_TEST_TOTALS_FILE) {
  appendFileSync(process.env.TESSERA_TEST_TOTALS_FILE, `${JSON.stringify({ label: `Node ${process.version}`, ok, ...totals, failures })}\n`);
}
process.exit(ok ? 0 : 1);
