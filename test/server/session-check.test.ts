// The session check of a Bearer request sees every change at once, whoever
// made it: this server, a second instance or connection on the same data, or
// the CLI in its own process. On SQLite the check is remembered until the
// database changes (src/store/sqlite/session-views.ts); each test first asks
// /userinfo several times, so a remembered answer exists, and then changes
// what it depends on. Runs on both stores (PostgreSQL reads every time).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { createTessera } from "../../src/core/tessera.js";
import { signInAdmin } from "../helpers/admin.js";
import { startTestServer, type SignedIn, type TestServer } from "../helpers/server.js";
import { sidOf } from "../helpers/tokens.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = existsSync(`${root}dist/cli/main.js`);

let server: TestServer;
let second: Awaited<ReturnType<typeof createTessera>>;

before(async () => {
  server = await startTestServer({ keepData: false });
  // A second instance on the same data: another SQLite connection to the same file, or another PostgreSQL pool.
  second = await createTessera(server.config);
});
after(async () => {
  await second.close();
  await server.close();
});

async function userinfo(user: SignedIn) {
  return server.request<{ roles: string[]; username: string }>("GET", "/userinfo", { token: user.access_token });
}

/** Asks /userinfo three times (so the answer is remembered where it can be) and checks it passed. */
async function warm(user: SignedIn): Promise<void> {
  for (let i = 0; i < 3; i++) assert.equal((await userinfo(user)).status, 200);
}

describe("the session check sees a change at once", () => {
  test("a sign-out on this server: the next request is refused, and so are 30 at once", async () => {
    const user = await server.signUpAndSignIn();
    await warm(user);
    const revoked = await server.request("POST", "/oauth/revoke", { form: { token: user.refresh_token, client_id: "tessera-web" } });
    assert.equal(revoked.status, 200, revoked.text);
    const after = await Promise.all(Array.from({ length: 30 }, () => userinfo(user)));
    assert.deepEqual(after.map((r) => r.status), Array(30).fill(401));
  });

  test("a session ended by a second instance on the same data", async () => {
    const user = await server.signUpAndSignIn();
    const other = await server.signUpAndSignIn();
    await warm(user);
    await warm(other);
    assert.equal(await second.parts.sessions.end(sidOf(user.access_token), "admin"), true);
    assert.equal((await userinfo(user)).status, 401);
    // Only that session: the other user's is still good (the change forgot nothing it should keep).
    assert.equal((await userinfo(other)).status, 200);
  });

  test("a user disabled by a second instance, without ending the sessions: the user's row is checked too", async () => {
    const user = await server.signUpAndSignIn();
    await warm(user);
    await second.parts.users.setDisabled(user.userId, true);
    assert.equal((await userinfo(user)).status, 401);
    await second.parts.users.setDisabled(user.userId, false);
    assert.equal((await userinfo(user)).status, 200);
  });

  test("roles changed by an admin on this server show in the next answer", async () => {
    const admin = await signInAdmin(server);
    const user = await server.signUpAndSignIn();
    await warm(user);
    assert.deepEqual((await userinfo(user)).body.roles, ["user"]);
    const set = await server.request("PUT", `/admin/users/${user.userId}/roles`, { token: admin.access_token, json: { roles: ["user", "billing"] } });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual((await userinfo(user)).body.roles, ["user", "billing"]);
  });

  test("a session revoked by the CLI in its own process", { skip: built ? false : "dist/ is missing: the CLI process runs the compiled code (npm run build)" }, async () => {
    const user = await server.signUpAndSignIn();
    await warm(user);
    const sid = sidOf(user.access_token);
    const { config } = server;
    const env = {
      PATH: process.env.PATH ?? "", TESSERA_DATA_DIR: config.dataDir, TESSERA_MASTER_KEY: config.masterKey, LOG_LEVEL: "silent",
      ...(config.databaseUrl ? { DATABASE_URL: config.databaseUrl, TESSERA_PG_SCHEMA: config.pgSchema } : {}),
    };
    const cli = spawnSync(process.execPath, [`${root}bin/tessera.js`, "sessions", "revoke", "--", sid], { env, encoding: "utf8" });
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal((await userinfo(user)).status, 401);
  });

  test("30 requests of two users at once: each gets its own answer", async () => {
    const a = await server.signUpAndSignIn();
    const b = await server.signUpAndSignIn();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => userinfo(i % 2 ? b : a)));
    answers.forEach((r, i) => assert.equal(r.body.username, i % 2 ? b.username : a.username));
  });
});
