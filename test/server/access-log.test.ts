// The access log's settings: sampling of successful requests (never of errors),
// its level, their validation; the lines waiting to go out together (by time
// and by size), and the lines a graceful stop or a crash must not lose.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { ACCESS_LOG_BATCH } from "../../src/server/shared/access-log.js";
import { describe, test } from "node:test";
import { loadConfig, ConfigError } from "../../src/core/config.js";
import { masterKey, spawnServer } from "../helpers/process.js";
import { startTestServer } from "../helpers/server.js";
import { until } from "../helpers/until.js";

type Line = Record<string, unknown>;

/**
 * A server whose log lines are captured, with each write the destination got.
 * Its lines go out at the end of each event-loop turn (flush 0) unless the test
 * says otherwise, so a test reads them as soon as its answers are in.
 */
async function serverWithLog(config: NonNullable<Parameters<typeof startTestServer>[0]>["config"]) {
  const lines: string[] = [];
  const writes: string[] = [];
  const server = await startTestServer({ config: { accessLogFlushMs: 0, ...config }, logStream: { write: (chunk) => { writes.push(chunk); lines.push(...chunk.split("\n").filter(Boolean)); } } });
  const access = () => lines.map((l) => JSON.parse(l) as Line).filter((e) => e.msg === "request");
  const accessWrites = () => writes.filter((w) => w.includes('"msg":"request"'));
  return { server, lines, access, accessWrites };
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

  test("by default the lines wait to go out together: 40 answers at once reach the destination in three writes at most, within the 100 ms", async () => {
    const { server, access, accessWrites } = await serverWithLog({ logLevel: "info", accessLogFlushMs: 100 });
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => server.request("GET", "/healthz", { headers: { "x-request-id": `together-${i}` } })));
      assert.ok(answers.every((a) => a.status === 200));
      await until("the 40 lines", () => access().length === 40, 2000);
      const ids = new Set(access().map((l) => l.reqId));
      for (let i = 0; i < 40; i++) assert.ok(ids.has(`together-${i}`), `together-${i} has no line`);
      // Per event-loop turn (flush 0) they would take a write per turn; a write per line before that.
      assert.ok(accessWrites().length <= 3, `${accessWrites().length} writes for 40 lines`);
    } finally {
      await server.close();
    }
  });

  test("16 KiB of waiting lines go out at once, without waiting for the timer; the stop writes the rest", async () => {
    const { server, access, accessWrites } = await serverWithLog({ logLevel: "info", accessLogFlushMs: 10_000 });
    try {
      for (let round = 0; round < 6; round++) {
        const answers = await Promise.all(Array.from({ length: 25 }, () => server.request("GET", "/nowhere")));
        assert.ok(answers.every((a) => a.status === 404));
      }
      // 150 lines of ~190 bytes: at least one batch went out long before the 10 s timer.
      assert.ok(accessWrites().length >= 1, "nothing written before the timer");
      for (const write of accessWrites()) assert.ok(write.length >= ACCESS_LOG_BATCH && write.length < ACCESS_LOG_BATCH + 1024, `a write of ${write.length} characters`);
      assert.ok(access().length < 150, "every line was written although the timer has not fired");
    } finally {
      await server.close();
    }
    assert.equal(access().length, 150, "the stop did not write the lines still waiting");
  });

  test("a crash (an uncaught exception) still writes the lines waiting to go out", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-crash-"));
    // A server started as `tessera serve` starts it, logging to stdout, which answers
    // 30 requests and then dies of an uncaught exception well within its 10 s flush time.
    const script = `
      import { loadConfig } from "./src/core/config.ts";
      import { startServer } from "./src/server/start.ts";
      const config = loadConfig({ ...process.env, PORT: "0", HOST: "127.0.0.1", TESSERA_ACCESS_LOG_FLUSH_MS: "10000" });
      const server = await startServer(config);
      await Promise.all(Array.from({ length: 30 }, (_, i) => fetch(server.url + "/healthz", { headers: { "x-request-id": "crash-" + i } })));
      setTimeout(() => { throw new Error("the crash under test"); }, 20);
    `;
    try {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: new URL("../..", import.meta.url).pathname,
        env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: masterKey(), TESSERA_SWEEP_INTERVAL: "0", TESSERA_DEMO_PAGE: "false" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
      child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      assert.equal(code, 1, stderr);
      assert.match(stderr, /the crash under test/);
      const ids = new Set(stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Line).filter((e) => e.msg === "request").map((e) => e.reqId));
      for (let i = 0; i < 30; i++) assert.ok(ids.has(`crash-${i}`), `the line of crash-${i} is lost:\n${stdout}`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("the settings refuse bad values, naming them", () => {
    for (const [name, value] of [["TESSERA_ACCESS_LOG_FLUSH_MS", "-1"], ["TESSERA_ACCESS_LOG_FLUSH_MS", "10001"], ["TESSERA_ACCESS_LOG_FLUSH_MS", "0.5"], ["TESSERA_ACCESS_LOG_FLUSH_MS", "soon"], ["TESSERA_ACCESS_LOG_SAMPLE_RATE", "1.5"], ["TESSERA_ACCESS_LOG_SAMPLE_RATE", "-0.1"], ["TESSERA_ACCESS_LOG_SAMPLE_RATE", "half"],
      ["TESSERA_ACCESS_LOG_SAMPLE_RATE", ""], ["TESSERA_ACCESS_LOG_LEVEL", "verbose"], ["TESSERA_ACCESS_LOG_LEVEL", "silent "]] as const) {
      assert.throws(() => loadConfig({ [name]: value }), (error: unknown) => error instanceof ConfigError && error.message.includes(name), `${name}=${value}`);
    }
    const config = loadConfig({ TESSERA_ACCESS_LOG_SAMPLE_RATE: "0.25", TESSERA_ACCESS_LOG_LEVEL: "off" });
    assert.equal(config.accessLogSampleRate, 0.25);
    assert.equal(config.accessLogLevel, "off");
    assert.equal(loadConfig({}).accessLogSampleRate, 1);
    assert.equal(loadConfig({}).accessLogLevel, "info");
    assert.equal(loadConfig({}).accessLogFlushMs, 100);
    assert.equal(loadConfig({ TESSERA_ACCESS_LOG_FLUSH_MS: "0" }).accessLogFlushMs, 0);
  });

  test("`tessera serve` writes stdout asynchronously and a SIGTERM loses none of it, the lines still waiting included: 200 lines, then the shutdown", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-access-"));
    try {
      // The lines wait up to 10 s to go out (under 16 KiB of them): the stop must write them.
      const server = await spawnServer({ LOG_LEVEL: "info", NODE_ENV: "production", TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: masterKey(), TESSERA_SWEEP_INTERVAL: "0", TESSERA_ACCESS_LOG_FLUSH_MS: "10000" });
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
