// The test runner itself (scripts/run-tests.js): a copy of it, with the reporter it
// reads counts from, runs a scratch `test/` folder of its own, so nothing here
// joins the real suite. The bound on a file is 3 s here instead of 300.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const repo = new URL("../../", import.meta.url).pathname;

/** A checkout with only the runner's scripts and these test files; runs the runner in it. */
async function runIn(files: Record<string, string>): Promise<{ code: number | null; output: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-runner-"));
  mkdirSync(join(dir, "scripts"));
  for (const script of ["run-tests.js", "test-counts.js", "print-failures.js", "reached-statuses.js"]) {
    copyFileSync(join(repo, "scripts", script), join(dir, "scripts", script));
  }
  symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  mkdirSync(join(dir, "test"));
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, "test", name), source.replaceAll("$DIR", dir));
  // Without NODE_TEST_CONTEXT: the runner inside a test file would otherwise refuse to run files.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn(process.execPath, [join(dir, "scripts/run-tests.js")], {
    cwd: dir,
    env: { ...env, TESSERA_TEST_FILE_TIMEOUT_MS: "3000", TESSERA_REQUIRE_SERVICES: "", TESSERA_TEST_TOTALS_FILE: "" },
  });
  let output = "";
  child.stdout.on("data", (chunk) => { output += chunk; });
  child.stderr.on("data", (chunk) => { output += chunk; });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, output, dir };
}

// Blocks the file's only thread while it loads, the first time only: what the one
// hang seen in CI looked like (a futex wait in the loader before any test ran).
const HANGS_ONCE_WHILE_LOADING = `
import { test } from "node:test";
import { existsSync, writeFileSync } from "node:fs";
if (!existsSync("$DIR/loaded-once")) { writeFileSync("$DIR/loaded-once", ""); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); }
test("runs once loaded", () => {});
`;

test("a file that hangs while loading is run once more, alone, and that run is what counts", async () => {
  const { code, output, dir } = await runIn({
    "loads.test.ts": HANGS_ONCE_WHILE_LOADING,
    "fine.test.ts": `import { test } from "node:test"; test("passes", () => {});`,
  });
  try {
    assert.ok(existsSync(join(dir, "loaded-once")), "the file did hang the first time");
    assert.match(output, /kill test\/loads\.test\.ts: still running after 3 s/);
    assert.match(output, /retry test\/loads\.test\.ts: it hung before any of its tests was queued/);
    assert.match(output, /test\/loads\.test\.ts run twice: it hung the first time/);
    // Two tests, both passed: the first run's timeout is not counted beside the retry.
    assert.match(output, /^2 passed, 0 failed$/m);
    assert.equal(code, 0, output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a file that hangs while loading every time fails the run", async () => {
  const { code, output, dir } = await runIn({
    "stuck.test.ts": `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);`,
  });
  try {
    assert.match(output, /retry test\/stuck\.test\.ts/);
    assert.match(output, /run twice: it hung both times/);
    assert.match(output, /^0 passed, 1 failed$/m);
    assert.equal(code, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a test that never settles fails its file without a retry", async () => {
  const { code, output, dir } = await runIn({
    "waits.test.ts": `import { test } from "node:test";
test("waits forever", async () => { await new Promise(() => { setInterval(() => {}, 1000); }); });`,
  });
  try {
    assert.match(output, /kill test\/waits\.test\.ts: still running after 3 s/);
    assert.doesNotMatch(output, /retry /);
    assert.match(output, /^0 passed, 1 failed$/m);
    assert.equal(code, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
