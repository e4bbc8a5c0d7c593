// The first admin from TESSERA_ADMIN_USERNAME + TESSERA_ADMIN_PASSWORD:
// created on first start only, never changed by a restart, the password
// never written to the log, and a weak password refused by the policy.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadConfig, type Config } from "../../src/core/config.js";
import { startTestServer } from "../helpers/server.js";

const dataDir = mkdtempSync(join(tmpdir(), "tessera-first-admin-"));
const masterKey = randomBytes(32).toString("base64url");
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** A server on the same data (SQLite folder or PostgreSQL schema) at each start, logging into `lines`. */
async function start(overrides: Partial<Config>, keepData = true) {
  const lines: string[] = [];
  const server = await startTestServer({ dataDir, keepData, config: { masterKey, logLevel: "info", ...overrides }, logStream: { write: (line) => { lines.push(line); } } });
  return { server, log: () => lines.join("") };
}

test("created once, with the admin role; a restart with another password changes nothing; the password is never logged", async () => {
  const password = "first admin pass phrase";
  const first = await start({ adminUsername: "boss", adminPassword: password });
  try {
    const boss = await first.server.tessera.parts.users.find("boss");
    assert.deepEqual(JSON.parse(boss!.roles), ["user", "admin"]);
    assert.match(first.log(), /first admin created/);
    assert.ok(!first.log().includes(password), "the password is not in the log");
    const events = await first.server.tessera.parts.audit.query({ limit: 10, types: ["admin_action"] });
    assert.equal(events[0]!.actor, "environment");
  } finally {
    await first.server.close();
  }
  const second = await start({ adminUsername: "boss", adminPassword: "a different phrase" });
  try {
    assert.equal((await second.server.tessera.parts.users.authenticate("boss", password)).username, "boss", "the first password still works");
    assert.doesNotMatch(second.log(), /first admin created/);
  } finally {
    await second.server.close();
  }
});

test("without both variables nothing is created; a common password stops the start with a clear error", async () => {
  const none = await start({ adminUsername: "nobody-admin", adminPassword: undefined });
  try {
    assert.equal(await none.server.tessera.parts.users.find("nobody-admin"), undefined);
  } finally {
    await none.server.close();
  }
  await assert.rejects(start({ adminUsername: "weak-admin", adminPassword: "password123" }, false), (error: Error & { code?: string }) => {
    assert.equal(error.code, "invalid_request");
    assert.match(error.message, /^password: is too common/);
    assert.ok(!error.message.includes("password123"));
    return true;
  });
});

test("the password is hidden in configuration errors", () => {
  assert.throws(() => loadConfig({ TESSERA_ADMIN_PASSWORD: "s3cret-value", PORT: "x" }), (e: Error) => !e.message.includes("s3cret-value"));
});
