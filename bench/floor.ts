/**
 * The floor, before and after in one run: `npm run bench -- floor` measures
 * `GET /healthz` on bare Fastify and on Tessera as `npm start` runs it, in
 * alternation (6 rounds of 3 s, 10 connections), and prints each round's
 * server CPU per request and the medians. `BENCH_FLOOR_BEFORE=<a built
 * checkout>` adds that checkout's server to every round, so a change is read
 * against the same minutes of this shared machine, pair by pair.
 */
import { measure, median, startBareFastify, startBenchServer } from "./lib.js";

export interface FloorResult {
  /** Server CPU µs per request of each round, per server. */
  rounds: Record<string, number[]>;
  medians: Record<string, number>;
  /** Requests per second, median of the rounds. */
  rates: Record<string, number>;
}

export async function benchFloor(rounds = Number(process.env.BENCH_FLOOR_ROUNDS ?? 6)): Promise<FloorResult> {
  const before = process.env.BENCH_FLOOR_BEFORE;
  const bare = await startBareFastify();
  const servers = [{ name: "bare Fastify", url: bare.url, pid: bare.child.pid!, stop: bare.stop }];
  if (before) {
    const old = await startBenchServer({}, before);
    servers.push({ name: "Tessera, before", url: old.url, pid: old.child.pid!, stop: old.stop });
  }
  const now = await startBenchServer();
  servers.push({ name: before ? "Tessera, this checkout" : "Tessera", url: now.url, pid: now.child.pid!, stop: now.stop });
  try {
    for (const s of servers) await measure("warm-up", { url: `${s.url}/healthz`, connections: 10, duration: 2 });
    const cpu: Record<string, number[]> = {};
    const rps: Record<string, number[]> = {};
    for (let i = 0; i < rounds; i++) {
      for (const s of servers) {
        const m = await measure(s.name, { url: `${s.url}/healthz`, connections: 10, duration: 3, pid: s.pid });
        (cpu[s.name] ??= []).push(m.cpuUs ?? 0);
        (rps[s.name] ??= []).push(m.rps);
      }
    }
    return {
      rounds: cpu,
      medians: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v)])),
      rates: Object.fromEntries(Object.entries(rps).map(([k, v]) => [k, median(v)])),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
