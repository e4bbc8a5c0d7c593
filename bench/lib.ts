/**
 * Shared pieces of the benchmarks: the server as `npm start` runs it, a bare
 * Fastify app beside it, and autocannon runs that also count the server's CPU.
 */
import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
// A port free a moment ago, for a child told its port (`tessera serve` as users start it);
// a benchmark that loses the race fails loudly at its health check.
import { reservePort as freePort } from "../test/helpers/ports.js";

export interface Measured {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Server CPU time (user + system, all its threads) per answered request, when a server pid was given. */
  cpuUs?: number;
}

export interface BenchServer {
  url: string;
  /** The issuer it was started with (the origin a browser would have). */
  issuer: string;
  dataDir: string;
  masterKey: string;
  child: ChildProcess;
  /** The file the server's stdout and stderr go to (its logs). */
  logFile: string;
  eventLoopDelay(): Promise<{ p50: number; p99: number; max: number }>;
  resetEventLoopDelay(): void;
  stop(): Promise<void>;
}

/** The checkout whose bin/tessera.js runs: this one, or BENCH_TESSERA_ROOT (an older build, for before/after in one run). */
const ROOT = process.env.BENCH_TESSERA_ROOT ?? new URL("../", import.meta.url).pathname;
let built = false;

/** `npm start` builds first (its prestart script); so do the benchmarks, once per run. */
function ensureBuilt(): void {
  if (built || process.env.BENCH_SKIP_BUILD === "1") return;
  execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  built = true;
}

async function waitForHealth(url: string, child: ChildProcess, what: string): Promise<void> {
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`${what} exited with ${code}`))));
  for (let i = 0; i < 600; i++) {
    const ok = await Promise.race([fetch(`${url}/healthz`).then((r) => r.ok, () => false), exited]);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer /healthz within 60 s`);
}

/**
 * The server as a user runs it: `node bin/tessera.js serve` (what `npm start` runs,
 * after the same build), NODE_ENV=production, default logging (LOG_LEVEL info: an
 * access line per request). Its stdout and stderr go to a file, as a service
 * manager's would go to a pipe or a journal; the file is written, not discarded.
 * The only addition is bench/eld-probe.js, loaded with --import, which reads the
 * event-loop delay when asked over IPC. `root` is the checkout to run (default:
 * this one, or BENCH_TESSERA_ROOT); `nodeArgs` go to node before the script
 * (`--cpu-prof` for bench/profile.ts). `issuerHost` names the issuer: passkeys
 * need a domain (WebAuthn's RP ID), so their rows pass "localhost"; requests
 * still go to 127.0.0.1.
 */
export async function startBenchServer(env: Record<string, string> = {}, root = ROOT, nodeArgs: string[] = [], issuerHost = "127.0.0.1"): Promise<BenchServer> {
  // Another checkout (root) is started as it is: build it first.
  if (root === ROOT) ensureBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-bench-"));
  const masterKey = env.TESSERA_MASTER_KEY ?? randomBytes(32).toString("base64url");
  const port = await freePort();
  const logFile = join(dataDir, "server.log");
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, [...nodeArgs, "--import", new URL("./eld-probe.js", import.meta.url).pathname, "bin/tessera.js", "serve"], {
    cwd: root,
    // The benchmarks register all their users from 127.0.0.1: the per-IP registration throttle would stop them.
    env: {
      ...process.env, NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(port), TESSERA_ISSUER: `http://${issuerHost}:${port}`, TESSERA_DATA_DIR: dataDir,
      TESSERA_MASTER_KEY: masterKey, TESSERA_THROTTLE_REGISTER_IP: "0", TESSERA_SWEEP_INTERVAL: "0", ...env,
    },
    stdio: ["ignore", log, log, "ipc"],
  });
  closeSync(log);
  dieWithUs(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child, "tessera serve");
  return {
    url,
    issuer: `http://${issuerHost}:${port}`,
    dataDir,
    masterKey,
    child,
    logFile,
    resetEventLoopDelay: () => child.send({ type: "eld-reset" }),
    eventLoopDelay: () => new Promise((resolve) => {
      child.once("message", (m: { type: string; p50: number; p99: number; max: number }) => resolve(m));
      child.send({ type: "eld-read" });
    }),
    stop: () => stopChild(child),
  };
}

/**
 * The servers a benchmark started die with it, even when it fails half-way:
 * a crashed run otherwise leaves them listening (and loading the machine)
 * until someone finds them.
 */
function dieWithUs(child: ChildProcess): void {
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  child.once("exit", () => process.removeListener("exit", kill));
}

/** SIGTERM (the graceful stop a service manager sends), then the exit. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", () => { clearTimeout(kill); resolve(); });
    child.kill("SIGTERM");
  });
}

/** A bare Fastify 5 app answering `GET /healthz` with Tessera's JSON: the floor every figure is read against. */
export async function startBareFastify(): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = fork(new URL("./bare-fastify.js", import.meta.url).pathname, [], { env: { ...process.env, PORT: String(port) }, execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  dieWithUs(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child, "bare Fastify");
  return { url, child, stop: () => stopChild(child) };
}

/** The middle value (the upper one of an even count): what a few rounds on a shared machine agree on. */
export function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; 0 elsewhere). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export type CannonOptions = Partial<autocannon.Options> & { url: string; /** the server's pid, to count its CPU per request */ pid?: number };

export async function measure(name: string, options: CannonOptions): Promise<Measured> {
  const { pid, ...cannon } = options;
  const cpuBefore = cpuSeconds(pid);
  const result = await autocannon({ connections: 32, duration: 5, pipelining: 1, ...cannon });
  const cpu = cpuSeconds(pid) - cpuBefore;
  return {
    name,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    ...(pid === undefined || result.requests.total === 0 ? {} : { cpuUs: Math.round((cpu * 1e6) / result.requests.total) }),
  };
}

export async function postJson<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export function table(rows: Measured[]): string {
  const cpu = rows.some((r) => r.cpuUs !== undefined);
  const head = `| scenario | req/s | p50 ms | p99 ms | non-2xx | errors |${cpu ? " server CPU µs/req |" : ""}\n|---|---:|---:|---:|---:|---:|${cpu ? "---:|" : ""}`;
  return [head, ...rows.map((r) => `| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.errors} |${cpu ? ` ${r.cpuUs ?? ""} |` : ""}`)].join("\n");
}
