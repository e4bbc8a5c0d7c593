// The `tessera` CLI ("the same through the CLI"): run
// in-process through main(argv, io) against a temporary data folder, plus the
// real process entry once. Every error is one line on stderr and a non-zero exit.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { commands } from "../../src/cli/commands.js";
import { main } from "../../src/cli/main.js";
import { loadConfig } from "../../src/core/config.js";
import { sha256 } from "../../src/core/crypto-utils.js";
import { createTessera } from "../../src/core/tessera.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { sidOf } from "../helpers/tokens.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "tessera-cli-"));
const masterKey = randomBytes(32).toString("base64url");
const ENV: Record<string, string> = { TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: masterKey, LOG_LEVEL: "silent", TESSERA_SWEEP_INTERVAL: "0" };
const saved = new Map<string, string | undefined>();

/** Sets environment variables for the in-process CLI, remembering the originals. */
function setEnv(vars: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(vars)) {
    if (!saved.has(name)) saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

before(() => {
  // Settings from the developer's shell must not leak into these runs.
  const clear: Record<string, undefined> = {};
  for (const name of Object.keys(process.env)) if (name.startsWith("TESSERA_") || name === "PORT" || name === "HOST" || name === "DATABASE_URL") clear[name] = undefined;
  setEnv({ ...clear, ...ENV });
});

after(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function cli(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(...s.split("\n")), err: (s) => err.push(...s.split("\n")) });
  return { code, out, err };
}

async function withEnv<T>(vars: Record<string, string>, act: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await act();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** An error: a non-zero exit and exactly one line on stderr. */
function assertOneLineError(run: Run, pattern: RegExp, code?: number): void {
  assert.notEqual(run.code, 0, `exit code: ${JSON.stringify(run)}`);
  if (code !== undefined) assert.equal(run.code, code, JSON.stringify(run));
  assert.equal(run.err.length, 1, `one line on stderr: ${JSON.stringify(run.err)}`);
  assert.match(run.err[0]!, pattern);
  assert.doesNotMatch(run.err[0]!, /\n|\bat .+:\d+:\d+/, "no stack trace");
}

/** The core on the CLI's data folder, for checks behind the CLI's back. */
async function withCore<T>(act: (t: Awaited<ReturnType<typeof createTessera>>) => Promise<T>): Promise<T> {
  const tessera = await createTessera(loadConfig());
  try {
    return await act(tessera);
  } finally {
    await tessera.close();
  }
}

/** A real server on the CLI's data folder and master key. */
function serverOnSameData(): Promise<TestServer> {
  return startTestServer({ dataDir, keepData: true, config: { masterKey, issuer: "http://tessera.test" } });
}

function valueAfter(lines: string[], prefix: string): string {
  const line = lines.find((l) => l.startsWith(prefix));
  assert.ok(line, `a line starting "${prefix}" in ${JSON.stringify(lines)}`);
  return line.slice(prefix.length).trim();
}

describe("help and usage errors", () => {
  test("--help lists every command and exits 0", async () => {
    const run = await cli("--help");
    assert.equal(run.code, 0);
    const text = run.out.join("\n");
    // The documented commands, written out here: a command dropped from the code (or its help) fails this.
    const documented = ["serve", "migrate", "users add", "users list", "users roles", "users disable", "users enable", "users reset-password",
      "users look-alikes", "users factors", "users reset-factors", "users resend-verification", "users verify-email",
      "clients add", "clients list", "clients disable", "clients enable", "clients remove", "clients rotate-secret",
      "apis add", "apis list", "apis update", "apis remove", "mail list",
      "keys list", "keys rotate", "keys revoke", "sessions list", "sessions revoke", "audit"];
    for (const name of documented) assert.ok(text.includes(name), name);
    assert.deepEqual(Object.keys(commands).filter((name) => !documented.includes(name)), [], "a new command is added to this list (and to docs/admin.md, \"The CLI\")");
  });

  test("no command prints the usage and exits non-zero", async () => {
    const run = await cli();
    assert.notEqual(run.code, 0);
    assert.match(run.out.join("\n"), /^Usage: tessera/);
  });

  for (const name of Object.keys(commands)) {
    test(`${name} --help exits 0 with its usage`, async () => {
      const run = await cli(...name.split(" "), "--help");
      assert.equal(run.code, 0, JSON.stringify(run));
      assert.deepEqual(run.err, []);
      assert.match(run.out.join("\n"), new RegExp(`^Usage: tessera ${name}\\b`));
      for (const flag of Object.keys(commands[name]!.options ?? {})) assert.ok(run.out.join("\n").includes(`--${flag}`), flag);
    });
  }

  test("-h works like --help", async () => {
    assert.equal((await cli("users", "add", "-h")).code, 0);
  });

  test("an unknown command: one line on stderr, non-zero exit", async () => {
    assertOneLineError(await cli("frobnicate"), /unknown command "frobnicate"/);
    assertOneLineError(await cli("users", "frobnicate"), /unknown command/);
  });

  test("an unknown option: one line, exit 2", async () => {
    assertOneLineError(await cli("users", "list", "--bogus"), /bogus/, 2);
  });

  test("a missing argument: one line naming it, exit 2", async () => {
    assertOneLineError(await cli("users", "add"), /<username>/, 2);
    assertOneLineError(await cli("sessions", "revoke"), /<session-id>/, 2);
  });

  test("bad configuration (PORT=abc): one clear line naming PORT, exit 1", async () => {
    const run = await withEnv({ PORT: "abc" }, () => cli("users", "list"));
    assertOneLineError(run, /PORT/, 1);
    assert.match(run.err[0]!, /invalid configuration/);
  });

  test("every bad setting is named on the one line; the master key's value is never echoed", async () => {
    const run = await withEnv({ TESSERA_SIGNING_ALG: "HS256", TESSERA_MASTER_KEY: "not-a-real-key-but-secret" }, () => cli("users", "list"));
    assertOneLineError(run, /TESSERA_SIGNING_ALG.*TESSERA_MASTER_KEY|TESSERA_MASTER_KEY.*TESSERA_SIGNING_ALG/, 1);
    assert.ok(!run.err[0]!.includes("not-a-real-key-but-secret"));
  });
});

describe("migrate and users", () => {
  let carolPassword: string;

  test("migrate creates the database and the first key", async () => {
    const run = await cli("migrate");
    assert.equal(run.code, 0, JSON.stringify(run));
    assert.ok(existsSync(join(dataDir, "tessera.db")));
    assert.equal((await cli("keys", "list")).out.length, 1);
  });

  test("users add: the generated password is printed once and works", async () => {
    const run = await cli("users", "add", "carol", "--email", "carol@example.com");
    assert.equal(run.code, 0, JSON.stringify(run));
    assert.match(run.out[0]!, /^created user carol \([0-9a-f-]{36}\) with roles user$/);
    carolPassword = valueAfter(run.out, "password (shown once):");
    assert.ok(carolPassword.length >= 16);
    assert.equal(run.out.join("\n").split(carolPassword).length - 1, 1, "printed exactly once");
    const user = await withCore((t) => t.parts.users.authenticate("carol", carolPassword));
    assert.equal(user.email, "carol@example.com");
    assert.notEqual(user.password_hash, carolPassword);
  });

  test("users add --admin", async () => {
    const run = await cli("users", "add", "dave", "--admin");
    assert.equal(run.code, 0);
    assert.match(run.out[0]!, /with roles user,admin$/);
  });

  test("users add: a taken or invalid username is one line and exit 1", async () => {
    assertOneLineError(await cli("users", "add", "CAROL"), /username_taken/, 1);
    assertOneLineError(await cli("users", "add", "a b"), /invalid_request: username/, 1);
  });

  test("users list, with --search and a bad --limit", async () => {
    const all = await cli("users", "list");
    assert.equal(all.code, 0);
    assert.ok(all.out.some((l) => /\bcarol\b.*roles=user$/.test(l)), JSON.stringify(all.out));
    assert.ok(all.out.some((l) => /\bdave\b.*roles=user,admin$/.test(l)));
    const found = await cli("users", "list", "--search", "car");
    assert.equal(found.out.length, 1);
    assert.match(found.out[0]!, /carol/);
    assertOneLineError(await cli("users", "list", "--limit", "0"), /--limit/, 2);
  });

  test("users roles replaces the roles; bad roles and unknown users are errors", async () => {
    const run = await cli("users", "roles", "carol", "user", "editor");
    assert.equal(run.code, 0);
    assert.match(run.out[0]!, /roles user,editor/);
    assert.deepEqual(await withCore(async (t) => JSON.parse((await t.parts.users.find("carol"))!.roles) as string[]), ["user", "editor"]);
    assertOneLineError(await cli("users", "roles", "carol"), /role/, 2);
    assertOneLineError(await cli("users", "roles", "carol", "Not A Role"), /roles/, 1);
    assertOneLineError(await cli("users", "roles", "nobody", "user"), /no user "nobody"/, 1);
  });

  test("users disable: sign-in fails and the list says DISABLED; users enable restores it", async () => {
    assert.equal((await cli("users", "disable", "carol")).code, 0);
    await assert.rejects(withCore((t) => t.parts.users.authenticate("carol", carolPassword)), { code: "invalid_grant" });
    assert.ok((await cli("users", "list", "--search", "carol")).out[0]!.endsWith("DISABLED"));
    assert.equal((await cli("users", "enable", "carol")).code, 0);
    await withCore((t) => t.parts.users.authenticate("carol", carolPassword));
    assert.ok(!(await cli("users", "list", "--search", "carol")).out[0]!.includes("DISABLED"));
  });

  describe("sessions", () => {
    let server: TestServer;
    before(async () => { server = await serverOnSameData(); });
    after(() => server.close());

    test("sessions list and revoke: the revoked session's token is refused at once", async () => {
      assert.deepEqual((await cli("sessions", "list", "carol")).out, ["no live sessions"]);
      const signIn = await server.request<{ access_token: string; refresh_token: string }>("POST", "/oauth/token", {
        form: { grant_type: "password", username: "carol", password: carolPassword },
      });
      assert.equal(signIn.status, 200, signIn.text);
      const sid = sidOf(signIn.body.access_token);
      const listed = await cli("sessions", "list", "carol");
      assert.equal(listed.out.length, 1);
      assert.ok(listed.out[0]!.startsWith(`${sid}  token`), listed.out[0]);
      const revoked = await cli("sessions", "revoke", sid);
      assert.equal(revoked.code, 0, revoked.err.join("\n"));
      assert.deepEqual(revoked.out, [`session ${sid} ended`]);
      assert.equal((await server.request("GET", "/userinfo", { token: signIn.body.access_token })).status, 401);
      const renewal = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: signIn.body.refresh_token } });
      assert.equal(renewal.body.error, "invalid_grant");
      assert.deepEqual((await cli("sessions", "list", "carol")).out, ["no live sessions"]);
      assertOneLineError(await cli("sessions", "revoke", sid), /no live session/, 1);
    });
  });
});

describe("clients and keys", () => {
  let clientId: string;
  let secret: string;

  test("clients add: the secret is shown once, starts with tss_, and is stored hashed", async () => {
    const run = await cli("clients", "add", "Billing API", "--id", "billing", "--scope", "openid", "--scope", "profile");
    assert.equal(run.code, 0, JSON.stringify(run));
    clientId = valueAfter(run.out, "client_id:");
    assert.equal(clientId, "billing");
    secret = valueAfter(run.out, "client_secret (shown once, stored hashed):");
    assert.match(secret, /^tss_[A-Za-z0-9_-]{43}$/);
    const row = await withCore(async (t) => t.parts.store.findClient("billing"));
    assert.equal(row?.secret_hash, sha256(secret));
    assert.equal(row.type, "confidential");
    assert.deepEqual(JSON.parse(row.scopes), ["openid", "profile"]);
  });

  test("clients add: a public client gets no secret; a bad grant or a taken id is an error", async () => {
    const run = await cli("clients", "add", "Mobile", "--public", "--first-party", "--grant", "password", "--grant", "refresh_token", "--id", "mobile");
    assert.equal(run.code, 0, JSON.stringify(run));
    assert.ok(!run.out.some((l) => l.includes("secret")));
    assertOneLineError(await cli("clients", "add", "X", "--grant", "implicit"), /grant_types/, 1);
    assertOneLineError(await cli("clients", "add", "Again", "--id", "billing"), /exists/, 1);
  });

  test("clients list", async () => {
    const run = await cli("clients", "list");
    assert.equal(run.code, 0);
    assert.ok(run.out.some((l) => /^billing +confidential +grants=client_credentials +Billing API$/.test(l)), JSON.stringify(run.out));
    assert.ok(run.out.some((l) => /^mobile +public first-party +grants=password,refresh_token/.test(l)));
    assert.ok(run.out.some((l) => l.startsWith("tessera-web ")));
  });

  test("keys rotate publishes a second key; a server on the data folder serves both in JWKS", async () => {
    const before = await cli("keys", "list");
    assert.equal(before.out.length, 1);
    const oldKid = before.out[0]!.split(" ")[0]!;
    const run = await cli("keys", "rotate");
    assert.equal(run.code, 0);
    const newKid = /^new key (\S+) created: running servers publish it in their JWKS within a minute; it signs from /.exec(run.out[0]!)?.[1];
    assert.ok(newKid, run.out[0]);
    const after = await cli("keys", "list");
    assert.equal(after.out.length, 2);
    assert.ok(after.out.some((l) => l.startsWith(`${newKid}  ES256`)));
    assert.match(after.out.find((l) => l.startsWith(oldKid))!, /retires=\d{4}-/);

    const server = await serverOnSameData();
    try {
      const jwks = await server.request<{ keys: Array<{ kid: string }> }>("GET", "/.well-known/jwks.json");
      assert.deepEqual(jwks.body.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());
      // The new key is published ahead: the old one still signs until the JWKS caches have turned over.
      assert.equal(server.tessera.parts.keys.signingKey().kid, oldKid);

      // The CLI-made client works through the server (client_credentials, Basic).
      const cc = await server.request<{ access_token: string; scope: string }>("POST", "/oauth/token", {
        form: { grant_type: "client_credentials", scope: "openid" },
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}` },
      });
      assert.equal(cc.status, 200, cc.text);
      assert.equal(cc.body.scope, "openid");
      const wrong = await server.request("POST", "/oauth/token", {
        form: { grant_type: "client_credentials" },
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}x`).toString("base64")}` },
      });
      assert.equal(wrong.status, 401);
    } finally {
      await server.close();
    }
  });
});

describe("as a real process", () => {
  const env = { ...process.env, ...ENV };

  test("node --import tsx, importing main: --help exits 0; an unknown command exits 2 with one stderr line", () => {
    const script = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";
    const help = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, "--", "--help"], { cwd: root, env, encoding: "utf8", timeout: 30_000 });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: tessera <command>/);
    const bad = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, "--", "nope"], { cwd: root, env, encoding: "utf8", timeout: 30_000 });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
  });

  const built = existsSync(join(root, "dist", "cli", "main.js"));
  test("bin/tessera.js --help", { skip: built ? false : "dist/ is missing: bin/tessera.js runs the compiled CLI (npm run build)" }, () => {
    const run = spawnSync(process.execPath, [join(root, "bin", "tessera.js"), "users", "add", "--help"], { cwd: root, env, encoding: "utf8", timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^Usage: tessera users add/);
  });

  // The compiled package hashes on its own worker module (dist/core/accounts/password-worker.cjs):
  // a user created through bin/tessera.js (its password hashed there) proves the file is built and found.
  test("bin/tessera.js users add: the built package hashes passwords on its worker threads", { skip: built ? false : "dist/ is missing (npm run build)" }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-bin-"));
    const run = (args: string[], input?: string) => spawnSync(process.execPath, [join(root, "bin", "tessera.js"), ...args], {
      cwd: root, env: { ...env, TESSERA_DATA_DIR: dataDir }, encoding: "utf8", timeout: 30_000, ...(input === undefined ? {} : { input }),
    });
    // The CLI never creates a database by accident: `migrate` makes it, as an operator would.
    assert.equal(run(["migrate"]).status, 0);
    const added = run(["users", "add", "binuser", "--password-stdin"], "correct horse battery staple\n");
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /created user binuser/);
    const listed = run(["users", "list"]);
    assert.match(listed.stdout, /binuser/);
  });
});
