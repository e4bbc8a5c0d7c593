// `tessera apis add|list|update|remove`: the operator's side of APIs as
// resources. In-process through main(argv, io), on a temporary data folder;
// the grants the CLI writes are the ones the token endpoint applies.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { main } from "../../src/cli/main.js";
import { loadConfig } from "../../src/core/config.js";
import { createTessera } from "../../src/core/tessera.js";

const dataDir = mkdtempSync(join(tmpdir(), "tessera-api-cli-"));
const saved = { ...process.env };

before(async () => {
  for (const name of Object.keys(process.env)) if (name.startsWith("TESSERA_") || name === "DATABASE_URL") delete process.env[name];
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

async function core<T>(act: (t: Awaited<ReturnType<typeof createTessera>>) => Promise<T>): Promise<T> {
  const t = await createTessera(loadConfig());
  try {
    return await act(t);
  } finally {
    await t.close();
  }
}

test("apis add registers the API with its scopes and grants; the password grant applies them", async () => {
  const run = await cli("apis", "add", "https://orders.example", "--scope", "orders:read", "--scope", "orders:write", "--grant", "orders:read=user", "--grant", "orders:write=admin");
  assert.equal(run.code, 0, JSON.stringify(run));
  assert.match(run.out[0]!, /^registered https:\/\/orders\.example {2}orders:read=user {2}orders:write=admin$/);
  await core(async (t) => {
    await t.parts.users.register({ username: "carol", password: "a long secret phrase" });
    const res = await t.parts.tokens.passwordGrant({}, { username: "carol", password: "a long secret phrase", resource: "https://orders.example", scope: "orders:read orders:write" }, {});
    assert.equal(res.scope, "orders:read");
  });
  const listed = await cli("apis", "list");
  assert.deepEqual(listed.out, ["https://orders.example  orders:read=user  orders:write=admin"]);
});

test("apis update replaces what it names; apis remove removes; each is audited with actor cli", async () => {
  const run = await cli("apis", "update", "https://orders.example", "--grant", "orders:read=user,support", "--grant", "orders:write=admin");
  assert.equal(run.code, 0, JSON.stringify(run));
  assert.match(run.out[0]!, /orders:read=user,support/);
  assert.equal((await cli("apis", "remove", "https://orders.example")).code, 0);
  assert.deepEqual((await cli("apis", "list")).out, ["no APIs registered (tessera apis add <identifier> --scope …)"]);
  const audit = await cli("audit", "--type", "admin_action", "--json");
  const actions = audit.out.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { actor: string; detail: { action: string } })
    .filter((e) => e.detail.action.startsWith("api.")).map((e) => `${e.actor}:${e.detail.action}`);
  assert.deepEqual(actions.sort(), ["cli:api.create", "cli:api.remove", "cli:api.update"]);
});

test("bad input: one line on stderr and a non-zero exit, nothing registered", async () => {
  const noScope = await cli("apis", "add", "https://x.example");
  assert.equal(noScope.code, 2);
  assert.match(noScope.err[0]!, /--scope/);
  const badGrant = await cli("apis", "add", "https://x.example", "--scope", "a", "--grant", "a");
  assert.equal(badGrant.code, 2);
  assert.match(badGrant.err[0]!, /expected <scope>=<role>/);
  const relative = await cli("apis", "add", "orders", "--scope", "a");
  assert.equal(relative.code, 1);
  assert.match(relative.err[0]!, /identifier: must be an absolute URI/);
  const unknownScope = await cli("apis", "add", "https://x.example", "--scope", "a", "--grant", "b=user");
  assert.equal(unknownScope.code, 1);
  assert.match(unknownScope.err[0]!, /grants: "b" is not one of the API's scopes/);
  assert.equal((await cli("apis", "remove", "https://x.example")).code, 1);
  assert.equal((await cli("apis", "update", "https://x.example", "--name", "x")).code, 1);
  assert.deepEqual((await cli("apis", "list")).out, ["no APIs registered (tessera apis add <identifier> --scope …)"]);
});
