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
import { spawn } from "node:child_process";
import { clearInterval, setInterval } from "node:timers";
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

// A bound on each file, so that a hang fails one file in minutes instead of holding
// CI for its whole budget. The slowest file (the browser flows) takes about 40 s on
// Node 20 here, with the suite running beside it. node's own `--test-timeout` cannot
// be that bound: on Node 24 it does not end a file whose thread is blocked.
const FILE_TIMEOUT_MS = Number(process.env.TESSERA_TEST_FILE_TIMEOUT_MS ?? 300_000);

/** The test files the processes under `parent` run (the last argument of each), by pid. Linux only: elsewhere none. */
function fileProcesses(parent) {
  const found = new Map();
  let pids;
  try { pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name)); } catch { return found; }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== parent) continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      if (args.at(-1)?.endsWith(".test.ts")) found.set(Number(pid), args.at(-1));
    } catch { /* the process ended meanwhile */ }
  }
  return found;
}

/** One `node --test` run of `files`: its counts (scripts/test-counts.js) and the files it had to kill. */
async function runFiles(files, store, countsName) {
  const counts = join(scratch, countsName);
  const child = spawn(
    process.execPath,
    ["--conditions=tessera-source", "--import", "tsx", "--test", "--test-concurrency=2",
      "--test-reporter=spec", "--test-reporter-destination=stdout",
      `--test-reporter=${join(root, "scripts/test-counts.js")}`, `--test-reporter-destination=${counts}`,
      ...files],
    { stdio: "inherit", env: { ...env, TESSERA_TEST_STORE: store }, cwd: root },
  );
  // Every few seconds: each file's process seen for longer than the bound is killed.
  // node then reports that file as failed and goes on with the others.
  const firstSeen = new Map();
  const killed = [];
  const watch = setInterval(() => {
    const now = Date.now();
    for (const [pid, file] of fileProcesses(child.pid)) {
      if (!firstSeen.has(pid)) firstSeen.set(pid, now);
      else if (now - firstSeen.get(pid) > FILE_TIMEOUT_MS && !killed.includes(file)) {
        console.log(`\nkill ${relative(root, file)}: still running after ${FILE_TIMEOUT_MS / 1000} s`);
        killed.push(file);
        try { process.kill(pid, "SIGKILL"); } catch { /* it ended meanwhile */ }
      }
    }
  }, Math.min(5000, FILE_TIMEOUT_MS / 3));
  const status = await new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? signal)));
  clearInterval(watch);
  return { status, killed, n: existsSync(counts) ? JSON.parse(readFileSync(counts, "utf8")) : undefined };
}

async function testRun(label, files, store) {
  if (files.length === 0) return;
  console.log(`\n== ${label}: ${files.length} file${files.length === 1 ? "" : "s"} ==`);
  let { status, killed, n } = await runFiles(files, store, `${store}.json`);
  if (!n) { failed = true; runs.push(`${label}: no summary (exit ${status})`); return; }
  // A file killed before any test of its own was even queued hung while loading: the
  // one such hang seen here sat in the TypeScript loader, outside every test. It runs
  // once more, alone, and that run's counts replace its share of the first. A second
  // hang fails the run; a file killed in the middle of a test is a failure at once.
  const again = killed.filter((file) => !n.reachedATest.includes(file));
  let retried = "";
  if (again.length > 0) {
    console.log(`\nretry ${again.map((f) => relative(root, f)).join(", ")}: it hung before any of its tests was queued; running it once more, alone`);
    const retry = await runFiles(again, store, `${store}-retry.json`);
    if (!retry.n) { failed = true; runs.push(`${label}: the retry gave no summary (exit ${retry.status})`); return; }
    for (const file of again) for (const key of Object.keys(totals)) n[key] -= n.files[file]?.[key] ?? 0;
    n.failures = n.failures.filter((f) => !again.includes(f.file));
    for (const key of Object.keys(totals)) n[key] += retry.n[key];
    n.failures.push(...retry.n.failures);
    // The first run's exit status counted the hang; the retry's decides now.
    if (killed.length === again.length && n.fail === 0 && n.cancelled === 0) status = retry.status;
    retried = ` (${again.map((f) => relative(root, f)).join(", ")} run twice: ${retry.killed.length > 0 ? "it hung both times" : "it hung the first time"})`;
  }
  if (status !== 0) failed = true;
  for (const key of Object.keys(totals)) totals[key] += n[key];
  for (const f of n.failures ?? []) failures.push({ run: label, ...f, file: relative(root, f.file) });
  runs.push(`${label}: ${n.pass} passed, ${n.fail} failed${retried}`);
}

await testRun("SQLite", run, "sqlite");
if (perStore.length > 0) {
  if (services.pg.ok) await testRun("PostgreSQL (test/server, test/store again)", perStore, "postgres");
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
