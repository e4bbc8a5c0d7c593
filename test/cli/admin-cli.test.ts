// The operator CLI: `tessera audit`, `tessera keys revoke <kid>`, `tessera users
// reset-password <user>`, and the audit rows every CLI act leaves (actor cli).
// In-process through main(argv, io), on a temporary data folder.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { main } from "../../src/cli/main.js";
import { loadConfig } from "../../src/core/config.js";
import { createTessera } from "../../src/core/tessera.js";

const dataDir = mkdtempSync(join(tmpdir(), "tessera-admin-cli-"));
const saved = { ...process.env };

before(() => {
  for (const name of Object.keys(process.env)) if (name.startsWith("TESSERA_") || name === "DATABASE_URL") delete process.env[name];
  Object.assign(process.env, { TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: randomBytes(32).toString("base64url"), LOG_LEVEL: "silent", TESSERA_SWEEP_INTERVAL: "0" });
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

test("users reset-password: prints a one-time token; the old password stops working; the token sets a new one", async () => {
  await core((t) => t.parts.users.register({ username: "grace", password: "old phrase x" }));
  const run = await cli("users", "reset-password", "grace");
  assert.equal(run.code, 0, JSON.stringify(run));
  const token = /reset token \(shown once, valid until [^)]+\): (tsp_\S+)$/.exec(run.out[1]!)?.[1];
  assert.ok(token, JSON.stringify(run.out));
  await core(async (t) => {
    await assert.rejects(t.parts.users.authenticate("grace", "old phrase x"), { code: "invalid_grant" });
    await t.parts.resets.redeem(token, "a fresh new phrase", {});
    assert.equal((await t.parts.users.authenticate("grace", "a fresh new phrase")).username, "grace");
  });
  const missing = await cli("users", "reset-password", "nobody");
  assert.equal(missing.code, 1);
  assert.equal(missing.err.length, 1);
});

test("keys revoke: the key is refused; an unknown kid is one line and exit 1", async () => {
  const kid = await core(async (t) => t.parts.keys.signingKey().kid);
  const run = await cli("keys", "revoke", kid);
  assert.equal(run.code, 0, JSON.stringify(run));
  await core(async (t) => {
    assert.equal(t.parts.keys.verificationKey(kid), undefined, JSON.stringify(t.parts.keys.rows()));
    assert.notEqual(t.parts.keys.signingKey().kid, kid);
  });
  const again = await cli("keys", "revoke", kid);
  assert.equal(again.code, 1, JSON.stringify(again));
  assert.match(again.err[0]!, /not_found/);
  assert.equal((await cli("keys", "revoke")).code, 2, "a missing <kid> is a usage error");
});

test("a key id that starts with a dash is a value, not options (one kid in 64 does)", async () => {
  const kid = await core(async (t) => t.parts.keys.signingKey().kid);
  // A kid's shape (43 base64url characters) that is no key here: parseArgs took "-oX…" for options and refused it.
  const dashed = `-${randomBytes(32).toString("base64url").slice(1)}`;
  assert.notEqual(dashed, kid);
  const unknown = await cli("keys", "revoke", dashed);
  assert.equal(unknown.code, 1, JSON.stringify(unknown));
  assert.match(unknown.err[0]!, /not_found/);
  const byUser = await cli("users", "reset-password", "-nobody_9");
  assert.equal(byUser.code, 1, JSON.stringify(byUser));
  assert.match(byUser.err[0]!, /no user "-nobody_9"/);
  // What looks like an option is still one: unknown ones are usage errors.
  assert.equal((await cli("keys", "revoke", "--kid-please")).code, 2);
  assert.equal((await cli("keys", "revoke", "-x")).code, 2);
  assert.equal((await cli("keys", "revoke", "--", "-x")).code, 1, "after --, anything is a value");
});

test("audit: lists what the CLI did (actor cli), filters by type and user, pages, and prints JSON", async () => {
  const all = await cli("audit");
  assert.equal(all.code, 0, JSON.stringify(all));
  assert.ok(all.out.some((l) => /admin_action +success .*actor=cli .*"action":"user.reset_password"/.test(l)), JSON.stringify(all.out));
  assert.ok(all.out.some((l) => / key_revoked +success .*actor=cli/.test(l)), JSON.stringify(all.out));
  const json = await cli("audit", "--type", "key_revoked", "--json");
  const events = json.out.filter(Boolean).map((l) => JSON.parse(l) as { type: string });
  assert.ok(events.length >= 1 && events.every((e) => e.type === "key_revoked"));
  const byUser = await cli("audit", "--user", "grace", "--type", "password_changed");
  assert.ok(byUser.out.some((l) => /password_changed +success/.test(l)), JSON.stringify(byUser.out));
  const page = await cli("audit", "--limit", "1");
  const more = page.out.find((l) => l.startsWith("more: --cursor "));
  assert.ok(more);
  const next = await cli("audit", "--limit", "1", "--cursor", more.slice("more: --cursor ".length));
  assert.notEqual(next.out[0], page.out[0]);
  assert.equal((await cli("audit", "--type", "bogus")).code, 1);
  assert.equal((await cli("audit", "--limit", "0")).code, 2);
});
