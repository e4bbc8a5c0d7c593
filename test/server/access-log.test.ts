// The access log's settings: sampling of successful requests (never of errors),
// its level, their validation, and the lines a graceful stop must not lose.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadConfig, ConfigError } from "../../src/core/config.js";
import { masterKey, spawnServer } from "../helpers/process.js";
import { startTestServer } from "../helpers/server.js";

type Line = Record<string, unknown>;

async function serverWithLog(config: NonNullable<Parameters<typeof startTestServer>[0]>["config"]) {
  const lines: string[] = [];
  const server = await startTestServer({ config, logStream: { write: (chunk) => { lines.push(...chunk.split("\n").filter(Boolean)); } } });
  const access = () => lines.map((l) => JSON.parse(l) as Line).filter((e) => e.msg === "request");
  return { server, lines, access };
}

describe("access log", () => {
  test("sampling at 0 drops every success and keeps every error (30 of each at once)", async () => {
    const { server, access } = await serverWithLog({ logLevel: "info", accessLogSampleRate: 0 });
    try {
      const answers = await Promise.all([
        ...Array.from({ length: 30 }, () => server.request("GET", "/healthz")),
        ...Array.from({ length: 10 }, () => server.request("GET", "/userinfo")),
        ...Array.from({ length: 10 }, () => server.request("GET", "/userinfo", { token: "not.a.token" })),
        ...Array.from({ length: 10 }, () => server.request("POST", "/oauth/token", { json: { grant_type: "password", username: "nobody", password: "wrong password 1" } })),
      ]);
      assert.equal(answers.filter((a) => a.status === 200).length, 30);
      const lines = access();
      assert.equal(lines.length, 30, JSON.stringify(lines.map((l) => l.status)));
      assert.ok(lines.every((l) => (l.status as number) >= 400));
      assert.equal(lines.filter((l) => l.route === "/userinfo" && l.status === 401).length, 20);
      assert.equal(lines.filter((l) => l.route === "/oauth/token" && l.status === 400).length, 10);
    } finally {
      await server.close();
    }
  });

  test("sampling at 0.5 logs some successes, not all, and every error", async () => {
    const { server, access } = await serverWithLog({ logLevel: "info", accessLogSampleRate: 0.5 });
    try {
      for (let round = 0; round < 4; round++) await Promise.all(Array.from({ length: 30 }, () => server.request("GET", "/healthz")));
      await Promise.all(Array.from({ length: 30 }, () => server.request("GET", "/nowhere")));
      const ok = access().filter((l) => l.status === 200).length;
      // 120 draws at 1/2: outside 20..100 has a probability below 1e-12.
      assert.ok(ok > 20 && ok < 100, `${ok} of 120 successes logged`);
      assert.equal(access().filter((l) => l.status === 404).length, 30);
    } finally {
      await server.close();
    }
  });

  test("the level: lines at the access level when LOG_LEVEL lets it through, none otherwise, none when off", async () => {
    const debugLines = await serverWithLog({ logLevel: "debug", accessLogLevel: "debug" });
    const hidden = await serverWithLog({ logLevel: "info", accessLogLevel: "debug" });
    const off = await serverWithLog({ logLevel: "trace", accessLogLevel: "off" });
    const warn = await serverWithLog({ logLevel: "info", accessLogLevel: "warn" });
    try {
      for (const s of [debugLines, hidden, off, warn]) {
        assert.equal((await s.server.request("GET", "/healthz")).status, 200);
        assert.equal((await s.server.request("GET", "/userinfo")).status, 401);
      }
      assert.deepEqual(debugLines.access().map((l) => [l.level, l.status]), [[20, 200], [20, 401]]);
      assert.deepEqual(hidden.access(), []);
      assert.deepEqual(off.access(), []);
      assert.deepEqual(warn.access().map((l) => [l.level, l.status]), [[40, 200], [40, 401]]);
    } finally {
      await Promise.all([debugLines, hidden, off, warn].map((s) => s.server.close()));
    }
  });

  test("the settings refuse bad values, naming them", () => {
    for (const [name, value] of [["TESSERA_ACCESS_LOG_SAMPLE_RATE", "1.5"], ["TESSERA_ACCESS_LOG_SAMPLE_RATE", "-0.1"], ["TESSERA_ACCESS_LOG_SAMPLE_RATE", "half"],
      ["TESSERA_ACCESS_LOG_SAMPLE_RATE", ""], ["TESSERA_ACCESS_LOG_LEVEL", "verbose"], ["TESSERA_ACCESS_LOG_LEVEL", "silent "]] as const) {
      assert.throws(() => loadConfig({ [name]: value }), (error: unknown) => error instanceof ConfigError && error.message.includes(name), `${name}=${value}`);
    }
    const config = loadConfig({ TESSERA_ACCESS_LOG_SAMPLE_RATE: "0.25", TESSERA_ACCESS_LOG_LEVEL: "off" });
    assert.equal(config.accessLogSampleRate, 0.25);
    assert.equal(config.accessLogLevel, "off");
    assert.equal(loadConfig({}).accessLogSampleRate, 1);
    assert.equal(loadConfig({}).accessLogLevel, "info");
  });

  test("`tessera serve` writes stdout asynchronously and a SIGTERM loses none of it: 200 lines, then the shutdown", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-access-"));
    try {
      const server = await spawnServer({ LOG_LEVEL: "info", NODE_ENV: "production", TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: masterKey(), TESSERA_SWEEP_INTERVAL: "0" });
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => fetch(`${server.url}/healthz`, { headers: { "x-request-id": `flush-${i}` } })));
      assert.ok(answers.every((a) => a.status === 200));
      server.child.kill("SIGTERM");
      assert.equal(await server.exited, 0, server.output());
      const entries = server.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Line);
      const ids = new Set(entries.filter((e) => e.msg === "request").map((e) => e.reqId));
      for (let i = 0; i < 200; i++) assert.ok(ids.has(`flush-${i}`), `the line of request flush-${i} is lost`);
      assert.equal(entries.at(-1)?.msg, "shutdown complete");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
