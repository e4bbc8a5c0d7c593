/**
 * A CPU profile of the server as `npm start` runs it (bench/lib.ts), under
 * load on one route, summed by where the time went: `npm run bench:profile --
 * healthz|userinfo|refresh|password [requests]` (password: sign-ins at the hashing
 * pool's capacity, which shows what a sign-in costs the event loop besides its hash). The server runs with `--cpu-prof`
 * (written to a temporary folder at its graceful stop); the summary reads the
 * samples taken while the load ran, by self time, grouped by package (or by
 * file for Tessera's own code and Node's internals), and prints the CPU per
 * request the kernel counted for the same run.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { cpuSeconds, postJson, startBenchServer } from "./lib.js";

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number }

const route = process.argv[2] ?? "healthz";
const total = Number(process.argv[3] ?? (route === "password" ? 1_500 : route === "refresh" ? 20_000 : 60_000));
const dir = mkdtempSync(join(tmpdir(), "tessera-profile-"));
const server = await startBenchServer({}, undefined, ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
const password = "benchmark password";
const tokens: { access_token: string; refresh_token: string }[] = [];
for (let i = 0; i < 48; i++) {
  await postJson(`${server.url}/auth/register`, { username: `prof${i}`, password });
  tokens.push(await postJson(`${server.url}/oauth/token`, { grant_type: "password", username: `prof${i}`, password }));
}
const pool = tokens.map((t) => t.refresh_token);
const options: autocannon.Options = route === "refresh"
  ? {
    url: `${server.url}/oauth/token`, connections: 32, amount: total,
    requests: [{
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      setupRequest: (req) => ({ ...req, body: `grant_type=refresh_token&refresh_token=${pool.shift() ?? "exhausted"}` }),
      onResponse: (status, body) => { if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token); },
    }],
  }
  : route === "password"
    ? {
      url: `${server.url}/oauth/token`, method: "POST", connections: 5, amount: total, headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "password", username: "prof1", password }),
    }
    : { url: `${server.url}/${route}`, connections: 10, amount: total, headers: route === "userinfo" ? { authorization: `Bearer ${tokens[0]!.access_token}` } : {} };
// Warm up (the JIT), then the measured load; the profile's samples are read from its start on.
await autocannon({ ...options, amount: Math.round(total / 4) });
const loadStartedMs = Date.now();
const cpuBefore = cpuSeconds(server.child.pid);
const result = await autocannon(options);
const cpuUs = Math.round(((cpuSeconds(server.child.pid) - cpuBefore) * 1e6) / result.requests.total);
const loadEndedMs = Date.now();
await server.stop();

const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error(`no profile written in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
const fns = new Map<string, number>();
// Sample times are microseconds since the profile began; the profile's start is µs on the
// process's monotonic clock, so find the window by the sample times relative to the last sample.
let t = profile.startTime;
const times = profile.timeDeltas.map((d) => (t += d));
const endUs = times[times.length - 1]!;
const windowUs = (loadEndedMs - loadStartedMs) * 1000;
let busy = 0;
profile.samples.forEach((id, i) => {
  const at = times[i]!;
  if (at < endUs - windowUs - 2_000_000 || at > endUs - 1_000_000) return; // the load, not the stop
  const node = byId.get(id)!;
  const { functionName, url } = node.callFrame;
  if (functionName === "(idle)" || functionName === "(program)" && url === "") {
    if (functionName === "(idle)") return;
  }
  const dt = profile.timeDeltas[i + 1] ?? 0;
  busy += dt;
  const where = group(url, functionName);
  self.set(where, (self.get(where) ?? 0) + dt);
  const fn = `${functionName || "(anonymous)"} ${short(url)}`;
  fns.set(fn, (fns.get(fn) ?? 0) + dt);
});
const pct = (v: number) => `${((100 * v) / busy).toFixed(1)}%`;
console.log(`${route}: ${result.requests.total} requests, ${Math.round(result.requests.average)} req/s, server CPU ${cpuUs} µs/req (kernel, all threads), main thread busy ${Math.round(busy / result.requests.total)} µs/req (samples), profile ${dir}/${file}\n`);
console.log("| where | share of busy samples |\n|---|---:|");
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`| ${k} | ${pct(v)} |`);
console.log("\n| function (self time) | share |\n|---|---:|");
for (const [k, v] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`| ${k} | ${pct(v)} |`);

function group(url: string, fn: string): string {
  if (!url) return fn.startsWith("(") ? fn : `native: ${fn}`;
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return url;
  return short(url);
}

function short(url: string): string {
  return url.replace(/^file:\/\/.*?\/(dist|src|packages)\//, "$1/").replace(/^file:\/\/.*node_modules\//, "");
}
