// Settings that are valid but bite later (docs/security.md, "Configuration traps"):
// TESSERA_TRUST_PROXY=true is warned about at start, and lowering the access-token
// lifetime never shortens what must outlive the tokens already issued.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { withCore } from "../../src/cli/commands.js";
import { loadConfig } from "../../src/core/config.js";
import { TRUST_PROXY_WARNING } from "../../src/server/config-warnings.js";
import { PG_TEST_URL, schemaFor, usePostgres } from "../helpers/pg-schema.js";
import { startTestServer, testClock } from "../helpers/server.js";
import { sidOf } from "../helpers/tokens.js";

type Page = { cursor: string; revoked: Array<{ sid: string; exp: number }> };
const expOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).exp as number;

describe("TESSERA_TRUST_PROXY", () => {
  async function startLines(trustProxy: boolean | number | string[]): Promise<Array<{ level: number; msg: string; setting?: string }>> {
    const lines: string[] = [];
    const server = await startTestServer({ config: { trustProxy, logLevel: "info" }, logStream: { write: (chunk) => { lines.push(...chunk.split("\n").filter(Boolean)); } } });
    await server.close();
    return lines.map((l) => JSON.parse(l) as { level: number; msg: string; setting?: string });
  }

  test("true: a warning at start says clients can choose their address, and what to set instead", async () => {
    const warned = (await startLines(true)).filter((l) => l.setting === "TESSERA_TRUST_PROXY");
    assert.equal(warned.length, 1);
    assert.equal(warned[0]!.level, 40, "at warn level");
    assert.equal(warned[0]!.msg, TRUST_PROXY_WARNING);
    assert.match(warned[0]!.msg, /appends/);
    assert.match(warned[0]!.msg, /hops|addresses/);
  });

  test("a hop count, addresses, or off: no warning", async () => {
    for (const value of [1, ["10.0.0.0/8"], false]) {
      assert.deepEqual((await startLines(value)).filter((l) => l.setting === "TESSERA_TRUST_PROXY"), [], JSON.stringify(value));
    }
  });
});

describe("the access-token lifetime lowered between two starts", () => {
  test("a revocation of a token issued under the old lifetime is served to verifiers until that token expires", async () => {
    const clock = testClock();
    const masterKey = randomBytes(32).toString("base64url");
    const issuer = "http://tessera.test";
    const first = await startTestServer({ keepData: true, clock, config: { masterKey, issuer, accessTokenTtlSeconds: 900 } });
    const user = await first.signUpAndSignIn();
    await first.close();

    const second = await startTestServer({ dataDir: first.dataDir, clock, config: { masterKey, issuer, accessTokenTtlSeconds: 60 } });
    try {
      assert.equal(second.tessera.parts.tokenLifetime.longestSeconds, 900, "the longest lifetime ever configured is remembered");
      assert.equal((await second.request("GET", "/userinfo", { token: user.access_token })).status, 200, "the old token still lives");
      assert.equal((await second.request("POST", "/oauth/revoke", { form: { token: user.access_token } })).status, 200);

      const entry = async () => (await second.request<Page>("GET", "/oauth/revocations")).body.revoked.find((r) => r.sid === sidOf(user.access_token));
      assert.ok((await entry())!.exp >= expOf(user.access_token), "the entry lasts as long as the token");
      clock.advance(61_000); // past the new lifetime, long before the old token's expiry
      assert.ok(await entry(), "verifiers still learn of the revocation");

      // A key retired now stays published as long as the longest-lived token it may have signed.
      const retiring = second.tessera.parts.keys.signingKey().kid;
      const next = await second.tessera.parts.keyRotation.rotate("test");
      const row = second.tessera.parts.keys.rows().find((k) => k.kid === retiring)!;
      assert.equal(row.expires_at, next.activates_at + 900_000);
    } finally {
      await second.close();
    }
  });

  test("an admin command run with another lifetime reads the mark and leaves it as it is", async () => {
    const masterKey = randomBytes(32).toString("base64url");
    const first = await startTestServer({ keepData: true, config: { masterKey, accessTokenTtlSeconds: 300 } });
    await first.close();
    const cliConfig = loadConfig({}, {
      dataDir: first.dataDir, masterKey, accessTokenTtlSeconds: 3600, logLevel: "silent",
      ...(usePostgres() ? { databaseUrl: PG_TEST_URL, pgSchema: schemaFor(first.dataDir) } : {}),
    });
    assert.equal(await withCore(cliConfig, async (t) => t.operations.longestAccessTokenTtlSeconds), 3600, "a rotation from the CLI still keeps keys long enough for its own setting");
    const second = await startTestServer({ dataDir: first.dataDir, config: { masterKey, accessTokenTtlSeconds: 120 } });
    try {
      assert.equal(second.tessera.parts.tokenLifetime.longestSeconds, 300, "the servers' mark was not raised by the command");
    } finally {
      await second.close();
    }
  });

  test("the mark only rises, whatever order 30 concurrent starts record it in", async () => {
    const server = await startTestServer();
    try {
      const values = Array.from({ length: 30 }, (_, i) => 100 + ((i * 7919) % 30) * 10);
      const answers = await Promise.all(values.map((v) => server.tessera.parts.store.raiseHighWaterMark("test_mark", v)));
      answers.forEach((a, i) => assert.ok(a >= values[i]!, "each answer is at least what it recorded"));
      assert.equal(await server.tessera.parts.store.raiseHighWaterMark("test_mark", 5), Math.max(...values));
    } finally {
      await server.close();
    }
  });
});
