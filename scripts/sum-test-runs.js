#!/usr/bin/env node
// Adds up the suite runs of .ci/run (one per Node version), each appended as a
// JSON line by scripts/run-tests.js to the file named here, and prints one
// closing summary in the form CI reads (node's `ℹ key N` lines and a plain
// `N passed, N failed` line). Exits 1 if a run failed, or if one of the
// expected runs left no line (it died before its summary, e.g. in lint).
//
// Usage: node scripts/sum-test-runs.js <totals file> <number of runs expected>
import { existsSync, readFileSync } from "node:fs";
import { printFailures } from "./print-failures.js";

const [file, expectedText] = process.argv.slice(2);
const expected = Number(expectedText);
const runs = file && existsSync(file)
  ? readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line))
  : [];
const totals = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
for (const run of runs) for (const key of Object.keys(totals)) totals[key] += run[key] ?? 0;
const missing = Math.max(0, expected - runs.length);

printFailures(runs.flatMap((r) => (r.failures ?? []).map((f) => ({ ...f, run: `${r.label}, ${f.run}` }))));
console.log(`\nℹ all Node versions: ${runs.map((r) => `${r.label}: ${r.pass} passed, ${r.fail} failed${r.ok ? "" : " (run failed)"}`).join("; ")}${missing ? `; ${missing} run(s) gave no summary` : ""}`);
for (const key of Object.keys(totals)) console.log(`ℹ ${key} ${totals[key]}`);
console.log(`${totals.pass} passed, ${totals.fail + missing} failed${totals.cancelled ? `, ${totals.cancelled} cancelled` : ""}${totals.skipped ? `, ${totals.skipped} skipped` : ""}`);
process.exit(missing > 0 || runs.some((r) => !r.ok) ? 1 : 0);
