/**
 * Real `tessera serve` processes for the tests that need them (graceful
 * shutdown, several instances): run from the sources through tsx, with only
 * the environment given (so a developer's DATABASE_URL never leaks in), and
 * their output kept for the failure message.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";

const ROOT = new URL("../../", import.meta.url).pathname;
const ENTRY = "src/cli/dev-entry.ts";

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once it has exited. */
  exited: Promise<number | string>;
}

export function masterKey(): string {
  return randomBytes(32).toString("base64url");
}

/** Runs a CLI command (e.g. `keys rotate`) to completion; resolves with its exit code and output. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } });
  let output = "";
  child.stdout.on("data", (d: Buffer) => { output += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { output += d.toString(); });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

export async function spawnServer(env: Record<string, string>, startTimeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY, "serve"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "warn", TESSERA_DEMO_PAGE: "false", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`server did not start in ${startTimeoutMs} ms:\n${output}`)); }, startTimeoutMs);
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = /Tessera listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited (${code}) before listening:\n${output}`)); });
  });
  return { url, child, output: () => output, exited };
}
