// Secrets at rest on PostgreSQL, the counterpart of at-rest.test.ts
// (which reads the SQLite file): after real use, no row of any table, read as
// text, holds a password, a refresh token (current or spent), an access token,
// a client secret, a private key or the master key.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { withTestDatabase } from "../helpers/pg-schema.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

process.env.TESSERA_TEST_STORE = "postgres";

type TokenBody = { access_token: string; refresh_token: string };

let server: TestServer;
const secrets = new Map<string, string>();

before(async () => {
  server = await startTestServer();
  const alice = await server.signUpAndSignIn("pgrest-alice", "alice's Tr0ub4dor&3 passphrase");
  secrets.set("password", alice.password).set("first refresh token", alice.refresh_token).set("access token", alice.access_token);
  let current = alice.refresh_token;
  for (let i = 2; i <= 3; i++) {
    const res = await server.request<TokenBody>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: current } });
    assert.equal(res.status, 200, res.text);
    current = res.body.refresh_token;
    secrets.set(`refresh token #${i}`, current);
  }
  const changed = await server.request("POST", "/auth/password", { token: alice.access_token, json: { current_password: alice.password, new_password: "a brand new secret 99" } });
  assert.equal(changed.status, 204);
  secrets.set("new password", "a brand new secret 99");
  const { secret } = await server.tessera.parts.clients.register({ name: "At-rest service", id: "pgrest-svc" });
  secrets.set("client secret", secret!);
  secrets.set("private key d", server.tessera.parts.keys.signingKey().key.export({ format: "jwk" }).d!);
  secrets.set("master key", server.tessera.config.masterKey!);
  await server.tessera.parts.audit.flush();
});
after(() => server.close());

test("no row of any table holds a password, token, client secret, private key or the master key", async () => {
  const schema = server.tessera.config.pgSchema;
  assert.match(schema, /^t_/, "runs in a test schema of its own");
  // Read over a connection of the test's own, not through the store: the dump sees every table as stored.
  const dump = await withTestDatabase(async (client) => {
    const tables = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", [schema]);
    assert.ok(tables.rows.some((t) => t.table_name === "sessions"), "control: the sessions table is read");
    let text = "";
    for (const { table_name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${schema}."${table_name}" t`);
      text += rows.rows.map((r) => r.row).join("\n");
    }
    return text;
  });
  assert.ok(dump.includes("pgrest-alice"), "control: the dump holds the username");
  for (const [what, value] of secrets) assert.ok(!dump.includes(value), `the database holds the ${what} in plain text`);
  assert.ok(!dump.includes('"d":'), 'the database holds a JWK "d" parameter');
});
