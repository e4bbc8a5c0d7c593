// Secrets at rest ("the database file holds no password, refresh token or
// private key in plain text"; DESIGN.md "Signing keys"): the SQLite file and its WAL
// are searched byte by byte after real use, and the master key file is checked.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { hashRefreshToken } from "../../src/core/sessions/refresh-token-format.js";
import { startTestServer, type SignedIn, type TestServer } from "../helpers/server.js";

type TokenBody = { access_token: string; refresh_token: string; error?: string };
type Jwks = { keys: Array<Record<string, unknown>> };

// No TESSERA_MASTER_KEY: the key file in the data folder. A fixed issuer, so tokens
// survive a restart on another port.
const FILE_KEY = { masterKey: undefined, issuer: "http://tessera.test" };

let server: TestServer;
let dataDir: string;
let alice: SignedIn;
/** Every secret the database must never hold, by what it is. */
const secrets = new Map<string, string>();
/** Things the database must hold (proves the search reads the right bytes). */
const present = new Map<string, string>();
let lastRefresh: string;
let firstKid: string;
let masterKeyFile: string;

function dbFiles(): string[] {
  return ["tessera.db", "tessera.db-wal"].map((name) => join(dataDir, name)).filter((path) => existsSync(path));
}

function readAll(): Buffer {
  return Buffer.concat(dbFiles().map((path) => readFileSync(path)));
}

function refresh(s: TestServer, token: string) {
  return s.request<TokenBody>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: token } });
}

before(async () => {
  server = await startTestServer({ keepData: true, config: FILE_KEY });
  dataDir = server.dataDir;
  masterKeyFile = join(dataDir, "master.key");

  alice = await server.signUpAndSignIn("atrest-alice", "alice's Tr0ub4dor&3 passphrase");
  secrets.set("alice's password", alice.password);
  const bob = await server.signUpAndSignIn("atrest-bob", "bob-zebra-quartz-vinyl-42");
  secrets.set("bob's password", bob.password);
  // Bob changes his password: neither the old nor the new one may be stored.
  assert.equal((await server.request("POST", "/auth/password", { token: bob.access_token, json: { current_password: bob.password, new_password: "bob's brand new secret 99" } })).status, 204);
  secrets.set("bob's new password", "bob's brand new secret 99");

  secrets.set("alice's first refresh token", alice.refresh_token);
  let current = alice.refresh_token;
  for (let i = 1; i <= 3; i++) {
    const res = await refresh(server, current);
    assert.equal(res.status, 200, res.text);
    current = res.body.refresh_token;
    secrets.set(`alice's refresh token #${i + 1}`, current);
  }
  lastRefresh = current;
  secrets.set("bob's refresh token", bob.refresh_token);

  const { client, secret } = await server.tessera.parts.clients.register({ name: "At-rest service", id: "atrest-svc" });
  secrets.set("client secret", secret!);
  const cc = await server.request<TokenBody>("POST", "/oauth/token", {
    form: { grant_type: "client_credentials" },
    headers: { authorization: `Basic ${Buffer.from(`${client.id}:${secret!}`).toString("base64")}` },
  });
  assert.equal(cc.status, 200, cc.text);

  const privateJwk = server.tessera.parts.keys.signingKey().key.export({ format: "jwk" });
  assert.equal(typeof privateJwk.d, "string");
  secrets.set("private key d (base64url)", privateJwk.d!);
  secrets.set("master key", readFileSync(masterKeyFile, "utf8").trim());
  firstKid = server.tessera.parts.keys.signingKey().kid;

  present.set("alice's username", "atrest-alice");
  present.set("hash of alice's current refresh token", hashRefreshToken(current));
  present.set("the key id", firstKid);
});

after(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function assertNoSecrets(bytes: Buffer): void {
  for (const [what, value] of present) assert.ok(bytes.includes(Buffer.from(value)), `control: the files should hold ${what}`);
  for (const [what, value] of secrets) {
    assert.ok(!bytes.includes(Buffer.from(value, "utf8")), `the database holds ${what} in plain text`);
    assert.ok(!bytes.includes(Buffer.from(value, "utf16le")), `the database holds ${what} as UTF-16`);
  }
  const d = Buffer.from(secrets.get("private key d (base64url)")!, "base64url");
  assert.equal(d.length, 32);
  assert.ok(!bytes.includes(d), "the database holds the raw private scalar");
  assert.ok(!bytes.includes(Buffer.from('"d":')), 'the database holds a JWK "d" parameter');
}

describe("the database file and its WAL", () => {
  test("while the server runs, neither holds a password, refresh token (current or spent), client secret, private key or the master key", () => {
    assert.ok(dbFiles().some((path) => path.endsWith("-wal")), "WAL mode: a -wal file exists while the server runs");
    assertNoSecrets(readAll());
  });

  test("the private key is stored as a sealed v1 envelope", async () => {
    const rows = await server.tessera.parts.store.listSigningKeys();
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.match(row.private_enc, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    assert.ok(!row.private_enc.includes(secrets.get("private key d (base64url)")!));
    assert.equal((JSON.parse(row.public_jwk) as Record<string, unknown>).d, undefined);
  });

  test("users and clients hold hashes, not secrets", async () => {
    const user = await server.tessera.parts.store.findUserById(alice.userId);
    assert.match(user!.password_hash, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    const client = await server.tessera.parts.store.findClient("atrest-svc");
    assert.ok(client?.secret_hash);
    assert.notEqual(client.secret_hash, secrets.get("client secret"));
  });

  test("the JWKS publishes no private parameter", async () => {
    const res = await server.request<Jwks>("GET", "/.well-known/jwks.json");
    assert.equal(res.body.keys.length, 1);
    for (const key of res.body.keys) {
      for (const name of ["d", "p", "q", "dp", "dq", "qi", "k", "oth"]) assert.equal(key[name], undefined, name);
    }
    assert.ok(!res.text.includes(secrets.get("private key d (base64url)")!));
  });
});

describe("the master key file", () => {
  test("is created in the data folder with mode 0600, holding 32 bytes as base64url", () => {
    assert.equal(statSync(masterKeyFile).mode & 0o777, 0o600);
    const encoded = readFileSync(masterKeyFile, "utf8").trim();
    assert.match(encoded, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(encoded, "base64url").length, 32);
  });

  test("after a stop, the checkpointed database still holds no secret", async () => {
    await server.close();
    assertNoSecrets(readAll());
  });

  test("a second start reuses it: same key file, same kid in JWKS, old tokens still work", async () => {
    const before = readFileSync(masterKeyFile, "utf8");
    server = await startTestServer({ dataDir, keepData: true, config: FILE_KEY });
    assert.equal(readFileSync(masterKeyFile, "utf8"), before);
    const jwks = await server.request<Jwks>("GET", "/.well-known/jwks.json");
    assert.deepEqual(jwks.body.keys.map((k) => k.kid), [firstKid]);
    // The access token from the first run verifies and the refresh chain continues.
    assert.equal((await server.request("GET", "/userinfo", { token: alice.access_token })).status, 200);
    const res = await refresh(server, lastRefresh);
    assert.equal(res.status, 200, res.text);
    assert.equal(server.tessera.parts.keys.signingKey().kid, firstKid);
    await server.close();
  });

  test("TESSERA_MASTER_KEY other than the one that sealed the key: the start fails, naming the master key", async () => {
    let started: TestServer | undefined;
    const failure = await startTestServer({ dataDir, keepData: true, config: { ...FILE_KEY, masterKey: randomBytes(32).toString("base64url") } })
      .then((s) => { started = s; return undefined; }, (error: unknown) => error as Error);
    if (started) {
      // Before the fix it started, and the first sign-in was a 500.
      const signIn = await started.request("POST", "/oauth/token", { form: { grant_type: "password", username: "atrest-alice", password: alice.password } });
      await started.close();
      assert.fail(`the server started with the wrong master key (a sign-in then answered ${signIn.status})`);
    }
    assert.match(failure!.message, /master key/i);
  });

  test("a master key file readable by others: the start fails and says how to fix it", async () => {
    chmodSync(masterKeyFile, 0o644);
    try {
      await assert.rejects(startTestServer({ dataDir, keepData: true, config: FILE_KEY }).then((s) => s.close()), /chmod 600/);
    } finally {
      chmodSync(masterKeyFile, 0o600);
    }
    server = await startTestServer({ dataDir, keepData: true, config: FILE_KEY });
    assert.equal((await server.request("GET", "/healthz")).status, 200);
  });
});
