/** Shared pieces of the benchmarks: a server child process and autocannon runs. */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";

export interface Measured {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export interface BenchServer {
  url: string;
  dataDir: string;
  masterKey: string;
  child: ChildProcess;
  eventLoopDelay(): Promise<{ p50: number; p99: number; max: number }>;
  resetEventLoopDelay(): void;
  stop(): Promise<void>;
}

export async function startBenchServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-bench-"));
  const masterKey = env.TESSERA_MASTER_KEY ?? randomBytes(32).toString("base64url");
  const child = fork(new URL("./server-child.ts", import.meta.url).pathname, [], {
    execArgv: ["--import", "tsx"],
    // The benchmarks register all their users from 127.0.0.1: the per-IP registration throttle would stop them.
    env: { ...process.env, PORT: "0", TESSERA_ISSUER: "http://127.0.0.1:0", // port 0: the child binds and reports its URL
      TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: masterKey, TESSERA_THROTTLE_REGISTER_IP: "0", ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("message", (m: { type: string; url: string }) => (m.type === "ready" ? resolve(m.url) : reject(new Error("bad message"))));
    child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    url,
    dataDir,
    masterKey,
    child,
    resetEventLoopDelay: () => child.send({ type: "eld-reset" }),
    eventLoopDelay: () => new Promise((resolve) => {
      child.once("message", (m: { type: string; p50: number; p99: number; max: number }) => resolve(m));
      child.send({ type: "eld-read" });
    }),
    stop: () => new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.send({ type: "stop" });
    }),
  };
}

export type CannonOptions = Partial<autocannon.Options> & { url: string };

export async function measure(name: string, options: CannonOptions): Promise<Measured> {
  const result = await autocannon({ connections: 32, duration: 5, pipelining: 1, ...options });
  return {
    name,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export async function postJson<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export function table(rows: Measured[]): string {
  const head = "| scenario | req/s | p50 ms | p99 ms | non-2xx | errors |\n|---|---:|---:|---:|---:|---:|";
  return [head, ...rows.map((r) => `| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.errors} |`)].join("\n");
}
