/**
 * The cluster benchmark, on PostgreSQL: the refresh grant and
 * /userinfo with one instance and with two sharing one database (load split
 * evenly, as a round-robin load balancer would), then the refresh grant's p99
 * with a million users and a million sessions seeded, against the almost
 * empty database. Every server and the load generator share this machine's
 * cores, so two instances measure contention as much as scaling.
 *
 * Run: `npm run bench -- cluster` (needs PostgreSQL at 127.0.0.1:5432, database `test`).
 */
import { randomBytes } from "node:crypto";
import { hash } from "@node-rs/argon2";
import pg from "pg";
import { measure, postJson, startBenchServer, type BenchServer, type Measured } from "./lib.js";
import { claimSeededSession, seedMillion } from "./seed-million.js";

const PG_URL = process.env.TESSERA_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

interface Tokens {
  access_token: string;
  refresh_token: string;
}

export interface ClusterBenchResult {
  rows: Measured[];
  seeded: { users: number; sessions: number; seconds: number };
  /** p99 of the refresh grant with a million sessions, over its p99 on the almost empty database. */
  refreshP99Ratio: number;
  /** Throughput of two instances over one. */
  scaling: { refresh: number; userinfo: number };
}

/** Runs one autocannon per instance at once, each with its share of connections; sums req/s, keeps the worst p99. */
async function spread(name: string, urls: string[], connections: number, options: (url: string, index: number) => Parameters<typeof measure>[1]): Promise<Measured> {
  const parts = await Promise.all(urls.map((url, i) => measure(name, { ...options(url, i), connections: Math.ceil(connections / urls.length) })));
  return {
    name, rps: parts.reduce((s, p) => s + p.rps, 0),
    p50: Math.max(...parts.map((p) => p.p50)), p99: Math.max(...parts.map((p) => p.p99)),
    non2xx: parts.reduce((s, p) => s + p.non2xx, 0), errors: parts.reduce((s, p) => s + p.errors, 0),
  };
}

/**
 * The refresh grant as real clients use it: each request spends a current token
 * and puts back its successor; `pools[i]` feeds instance i.
 */
function refreshLoad(name: string, urls: string[], pools: string[][], duration = 5): Promise<Measured> {
  return spread(name, urls, 32, (url, i) => ({
    url: `${url}/oauth/token`,
    duration,
    requests: [{
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      setupRequest: (req) => ({ ...req, body: `grant_type=refresh_token&refresh_token=${pools[i]!.shift() ?? "exhausted"}` }),
      onResponse: (status, body) => {
        if (status === 200) pools[i]!.push((JSON.parse(body) as Tokens).refresh_token);
      },
    }],
  }));
}

/** Splits tokens round-robin into one pool per instance. */
function deal(tokens: string[], instances: number): string[][] {
  return Array.from({ length: instances }, (_, i) => tokens.filter((_, j) => j % instances === i));
}

function userinfoLoad(name: string, urls: string[], accessToken: string): Promise<Measured> {
  return spread(name, urls, 32, (url) => ({ url: `${url}/userinfo`, headers: { authorization: `Bearer ${accessToken}` } }));
}

export async function benchCluster(seedCount = 1_000_000): Promise<ClusterBenchResult> {
  const run = randomBytes(4).toString("hex");
  const small = `bench_small_${run}`;
  const large = `bench_large_${run}`;
  const env = (schema: string) => ({
    // One issuer for the instances of a deployment (startBenchServer would name each after its port).
    DATABASE_URL: PG_URL, TESSERA_PG_SCHEMA: schema, TESSERA_MASTER_KEY: randomBytes(32).toString("base64url"), TESSERA_ISSUER: "http://tessera.bench",
    TESSERA_THROTTLE_REGISTER_IP: "0", TESSERA_THROTTLE_TOKEN_IP: "0",
  });
  const servers: BenchServer[] = [];
  const start = async (e: Record<string, string>) => {
    const server = await startBenchServer(e);
    servers.push(server);
    return server;
  };
  const rows: Measured[] = [];
  try {
    const smallEnv = env(small);
    const a = await start(smallEnv);
    const password = "benchmark password";
    const sessions: Tokens[] = [];
    for (let i = 0; i < 64; i++) {
      await postJson(`${a.url}/auth/register`, { username: `bench${i}`, password });
      sessions.push(await postJson<Tokens>(`${a.url}/oauth/token`, { grant_type: "password", username: `bench${i}`, password }));
    }
    await measure("warm-up", { url: `${a.url}/healthz`, duration: 2 });
    const refresh1 = await refreshLoad("refresh grant, 1 instance (PostgreSQL, 64 sessions)", [a.url], deal(sessions.slice(0, 48).map((s) => s.refresh_token), 1));
    const userinfo1 = await userinfoLoad("GET /userinfo, 1 instance", [a.url], sessions[63]!.access_token);
    const b = await start(smallEnv);
    await measure("warm-up", { url: `${b.url}/healthz`, duration: 2 });
    // Fresh sessions: the first 48 chains moved on during the first run (their successors are in the pools it kept).
    const fresh: Tokens[] = [];
    for (let i = 0; i < 48; i++) fresh.push(await postJson<Tokens>(`${a.url}/oauth/token`, { grant_type: "password", username: `bench${i}`, password }));
    const refresh2 = await refreshLoad("refresh grant, 2 instances", [a.url, b.url], deal(fresh.map((s) => s.refresh_token), 2));
    const userinfo2 = await userinfoLoad("GET /userinfo, 2 instances", [a.url, b.url], sessions[63]!.access_token);
    rows.push(refresh1, refresh2, userinfo1, userinfo2);
    await Promise.all(servers.splice(0).map((s) => s.stop()));

    // A million users and sessions. The server creates the schema; the rows go in by SQL.
    const big = await start(env(large));
    const seeded = await seedMillion(PG_URL, large, seedCount, await hash("seeded password, never used", { memoryCost: 19456, timeCost: 2, parallelism: 1 }));
    // The p99 comparison, side by side on a shared machine: the almost empty database
    // again (a fresh server, fresh sessions) and the large one, each warmed up on the
    // refresh path itself, then measured twice in alternation; each side's p99 is the
    // mean of its two runs, so a burst of someone else's load does not decide it.
    const baseline = await start(smallEnv);
    // Fresh sessions for every run: a run that stops with requests in flight loses their
    // successors, so a pool is never reused. Seeded ones are drawn without replacement.
    const smallPool = async () => {
      const pool: string[] = [];
      for (let i = 0; i < 48; i++) pool.push((await postJson<Tokens>(`${baseline.url}/oauth/token`, { grant_type: "password", username: `bench${i}`, password })).refresh_token);
      return [pool];
    };
    const drawn = new Set<number>();
    const seedDb = new pg.Client({ connectionString: PG_URL });
    await seedDb.connect();
    const bigPool = async () => {
      const pool: string[] = [];
      while (pool.length < 48) {
        const i = 1 + Math.floor(Math.random() * seedCount);
        if (!drawn.has(i)) pool.push(await claimSeededSession(seedDb, large, big.masterKey, i));
        drawn.add(i);
      }
      return [pool];
    };
    await refreshLoad("warm-up", [baseline.url], await smallPool(), 2);
    await refreshLoad("warm-up", [big.url], await bigPool(), 2);
    const label = `refresh grant, 1 instance, ${seedCount.toLocaleString("en")} users and sessions`;
    const runs: Measured[] = [];
    for (let round = 1; round <= 2; round++) {
      runs.push(await refreshLoad(`refresh grant, 1 instance, almost empty database (run ${round})`, [baseline.url], await smallPool()));
      runs.push(await refreshLoad(`${label} (run ${round})`, [big.url], await bigPool()));
    }
    rows.push(...runs);
    await seedDb.end();
    const meanP99 = (side: number) => (runs[side]!.p99 + runs[side + 2]!.p99) / 2;
    return {
      rows,
      seeded: { users: seedCount, sessions: seedCount, seconds: seeded.seconds },
      refreshP99Ratio: Math.round((meanP99(1) / meanP99(0)) * 100) / 100,
      scaling: { refresh: Math.round((refresh2.rps / refresh1.rps) * 100) / 100, userinfo: Math.round((userinfo2.rps / userinfo1.rps) * 100) / 100 },
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${small} CASCADE; DROP SCHEMA IF EXISTS ${large} CASCADE`);
    await client.end();
  }
}
