// The CLI never creates a database by accident: run without the server's
// data folder, a command other than serve and migrate refuses, names the path
// and the variable, exits non-zero and writes nothing (not even master.key).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { main } from "../../src/cli/main.js";

const root = mkdtempSync(join(tmpdir(), "tessera-no-data-"));
const saved = { ...process.env };

before(() => {
  for (const name of Object.keys(process.env)) if (name.startsWith("TESSERA_") || name === "DATABASE_URL") delete process.env[name];
  Object.assign(process.env, { LOG_LEVEL: "silent", TESSERA_SWEEP_INTERVAL: "0" });
});
after(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  rmSync(root, { recursive: true, force: true });
});

async function cli(env: Record<string, string>, ...argv: string[]) {
  Object.assign(process.env, env);
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out, err };
  } finally {
    for (const name of Object.keys(env)) delete process.env[name];
  }
}

const commands = [["users", "list"], ["users", "add", "x"], ["clients", "add", "reports"], ["clients", "list"], ["apis", "list"], ["keys", "list"], ["audit"]];

test("a missing data folder: every command but serve and migrate refuses, naming the path and TESSERA_DATA_DIR, and creates nothing", async () => {
  const dir = join(root, "missing");
  for (const argv of commands) {
    const run = await cli({ TESSERA_DATA_DIR: dir }, ...argv);
    assert.equal(run.code, 1, argv.join(" "));
    assert.equal(run.err.length, 1);
    assert.match(run.err[0]!, new RegExp(`no data folder at ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: set TESSERA_DATA_DIR`), argv.join(" "));
    assert.deepEqual(run.out, []);
    assert.equal(existsSync(dir), false, `${argv.join(" ")} created the folder`);
  }
});

test("a folder without a database refuses too, and writes neither master.key nor tessera.db", async () => {
  const dir = mkdtempSync(join(root, "empty-"));
  for (const argv of commands) {
    const run = await cli({ TESSERA_DATA_DIR: dir }, ...argv);
    assert.equal(run.code, 1);
    assert.match(run.err[0]!, /no database at .*tessera\.db: set TESSERA_DATA_DIR/);
    assert.deepEqual(readdirSync(dir), [], `${argv.join(" ")} wrote into the folder`);
  }
});

test("migrate creates the data; afterwards the commands work; a lost master key is refused, not replaced", async () => {
  const dir = join(root, "made");
  const migrated = await cli({ TESSERA_DATA_DIR: dir }, "migrate");
  assert.equal(migrated.code, 0, JSON.stringify(migrated));
  assert.ok(existsSync(join(dir, "tessera.db")) && existsSync(join(dir, "master.key")));
  assert.equal((await cli({ TESSERA_DATA_DIR: dir }, "users", "list")).code, 0);
  rmSync(join(dir, "master.key"));
  const keyless = await cli({ TESSERA_DATA_DIR: dir }, "users", "list");
  assert.equal(keyless.code, 1);
  assert.match(keyless.err[0]!, /no master key: neither TESSERA_MASTER_KEY nor .*master\.key/);
  assert.equal(existsSync(join(dir, "master.key")), false, "no new master key that would not open the old signing keys");
});
