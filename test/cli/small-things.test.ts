// The CLI's small things a newcomer meets in the first hour: --version, an
// aligned help, a clear --port error, one readable config error line,
// `audit --json` whose stdout is only JSON, and `keys rotate` that does not
// claim the JWKS shows its key before it does; clients can be disabled,
// given a new secret and removed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { main } from "../../src/cli/main.js";
import { loadConfig } from "../../src/core/config.js";
import { createTessera } from "../../src/core/tessera.js";

const dataDir = mkdtempSync(join(tmpdir(), "tessera-cli-small-"));
const saved = { ...process.env };

before(async () => {
  for (const name of Object.keys(process.env)) if (name.startsWith("TESSERA_") || name === "DATABASE_URL" || name === "PORT") delete process.env[name];
  Object.assign(process.env, { TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: randomBytes(32).toString("base64url"), LOG_LEVEL: "silent", TESSERA_SWEEP_INTERVAL: "0" });
  assert.equal((await cli("migrate")).code, 0);
});
after(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  rmSync(dataDir, { recursive: true, force: true });
});

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(...s.split("\n")), err: (s) => err.push(...s.split("\n")) });
  return { code, out, err };
}

test("--version prints the package's version", async () => {
  const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  for (const flag of ["--version", "-v"]) assert.deepEqual(await cli(flag), { code: 0, out: [`tessera ${version}`], err: [] });
});

test("the top-level help lines up every summary in one column", async () => {
  const { out } = await cli("--help");
  const rows = out.filter((l) => /^ {2}\S/.test(l));
  assert.ok(rows.length > 15);
  const columns = new Set(rows.map((l) => /^ {2}\S+(?: \S+)? +/.exec(l)![0].length));
  assert.equal(columns.size, 1, out.join("\n"));
});

test("serve --port 99999 is one clear usage line, exit 2", async () => {
  for (const port of ["99999", "abc", "1.5"]) {
    const run = await cli("serve", "--port", port);
    assert.equal(run.code, 2, JSON.stringify(run));
    assert.deepEqual(run.err, [`tessera serve: --port ${port}: must be a whole number from 0 to 65535`]);
  }
});

test("a bad setting reads 'invalid configuration: PORT=…: must be …', without ':;'", async () => {
  process.env.PORT = "99999";
  try {
    const run = await cli("users", "list");
    assert.equal(run.code, 1);
    assert.match(run.err[0]!, /^tessera users list: invalid configuration: PORT="99999": /);
    assert.doesNotMatch(run.err[0]!, /:;/);
  } finally {
    delete process.env.PORT;
  }
});

test("audit --json: stdout holds only JSON lines; the paging hint goes to stderr", async () => {
  await cli("keys", "rotate");
  await cli("keys", "rotate");
  const run = await cli("audit", "--json", "--limit", "1");
  assert.equal(run.code, 0);
  const lines = run.out.filter(Boolean);
  assert.equal(lines.length, 1);
  for (const line of lines) JSON.parse(line);
  assert.match(run.err.join("\n"), /^more: --cursor \S+$/m);
  assert.ok((await cli("audit", "--limit", "1")).out.some((l) => l.startsWith("more: --cursor ")), "without --json it stays on stdout");
});

test("keys rotate says when servers publish the key, not that it is published", async () => {
  const run = await cli("keys", "rotate");
  assert.equal(run.code, 0);
  assert.match(run.out[0]!, /^new key \S+ created: running servers publish it in their JWKS within a minute; it signs from \d{4}-/);
  assert.doesNotMatch(run.out[0]!, /published/);
});

/** Whether the client authenticates with this secret, asked of a core opened on the CLI's data folder. */
async function authenticates(clientId: string, clientSecret: string): Promise<boolean> {
  const t = await createTessera(loadConfig());
  try {
    return await t.clients.authenticate({ clientId, clientSecret }).then(() => true, () => false);
  } finally {
    await t.close();
  }
}

test("clients disable, enable, rotate-secret and remove: each takes effect, and a built-in client is refused", async () => {
  const added = await cli("clients", "add", "Reports", "--id", "reports-svc");
  assert.equal(added.code, 0);
  const first = /client_secret \(shown once, stored hashed\): (\S+)/.exec(added.out.join("\n"))![1]!;
  assert.equal(await authenticates("reports-svc", first), true);

  assert.deepEqual(await cli("clients", "disable", "reports-svc"), { code: 0, out: ["client reports-svc disabled"], err: [] });
  assert.equal(await authenticates("reports-svc", first), false, "a disabled client cannot authenticate");
  assert.equal((await cli("clients", "enable", "reports-svc")).code, 0);
  assert.equal(await authenticates("reports-svc", first), true);

  const rotated = await cli("clients", "rotate-secret", "reports-svc");
  assert.equal(rotated.code, 0);
  const second = /client_secret \(shown once, stored hashed\): (\S+)/.exec(rotated.out.join("\n"))![1]!;
  assert.notEqual(second, first);
  assert.equal(await authenticates("reports-svc", first), false, "the old secret stops working");
  assert.equal(await authenticates("reports-svc", second), true);

  assert.equal((await cli("clients", "remove", "reports-svc")).code, 0);
  assert.equal(await authenticates("reports-svc", second), false);
  assert.ok(!(await cli("clients", "list")).out.some((l) => l.startsWith("reports-svc ")));

  for (const action of ["disable", "remove", "rotate-secret"]) {
    const refused = await cli("clients", action, "tessera-web");
    assert.equal(refused.code, 1, `clients ${action} tessera-web`);
    assert.match(refused.err.join("\n"), /built-in clients cannot be removed, disabled or given a secret/);
  }
  assert.equal((await cli("clients", "remove", "no-such-client")).code, 1);
});
