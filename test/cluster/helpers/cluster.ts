/**
 * Several real `tessera serve` processes sharing one PostgreSQL schema and one
 * Redis key prefix, both fresh for the run and removed afterwards. Every
 * instance gets the same master key and issuer, as behind a load balancer.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { dropSchema, newSchemaName, PG_TEST_URL } from "../../helpers/pg-schema.js";
import { masterKey, runCli, spawnServer, type ServerProcess } from "../../helpers/process.js";

export const REDIS_TEST_URL = process.env.TESSERA_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const ISSUER = "http://tessera.test";

export interface Cluster {
  instances: ServerProcess[];
  /** The environment every instance shares (for CLI commands against the same data). */
  env: Record<string, string>;
  /** A connection to the shared schema, to check rows. */
  db: pg.Pool;
  redis: Redis;
  prefix: string;
  /** Runs `tessera <args>` with the cluster's environment. */
  cli(args: string[]): Promise<{ code: number | null; output: string }>;
  stop(): Promise<void>;
}

/** Whether Redis answers; with TESSERA_REQUIRE_SERVICES=1 a missing Redis is an error, not a skip. */
export async function redisAvailable(): Promise<boolean> {
  const url = new URL(REDIS_TEST_URL);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379), timeout: 1000 });
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => { socket.destroy(); resolve(false); });
  });
  if (!ok && process.env.TESSERA_REQUIRE_SERVICES === "1") throw new Error(`Redis is not reachable at ${REDIS_TEST_URL} and TESSERA_REQUIRE_SERVICES=1`);
  return ok;
}

export async function startCluster(size: number, extraEnv: Record<string, string> = {}): Promise<Cluster> {
  const schema = newSchemaName();
  const prefix = `${schema}:`;
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-cluster-"));
  const env: Record<string, string> = {
    DATABASE_URL: PG_TEST_URL, TESSERA_PG_SCHEMA: schema,
    REDIS_URL: REDIS_TEST_URL, TESSERA_REDIS_PREFIX: prefix,
    TESSERA_MASTER_KEY: masterKey(), TESSERA_ISSUER: ISSUER, TESSERA_DATA_DIR: dataDir,
    TESSERA_PG_POOL_SIZE: "5", TESSERA_THROTTLE_REGISTER_IP: "0",
    // Load tests sign up from several workers at once: the hashing queue's load shedding stays out of their way.
    TESSERA_HASH_QUEUE_LIMIT: "1000",
    ...extraEnv,
  };
  const redis = new Redis(REDIS_TEST_URL, { lazyConnect: true });
  await redis.connect();
  const db = new pg.Pool({ connectionString: PG_TEST_URL, max: 2, options: `-c search_path=${schema}` });
  // Started together on an empty schema, on purpose: they race to migrate and to create the first key.
  const started = await Promise.allSettled(Array.from({ length: size }, () => spawnServer(env)));
  const instances = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));

  async function stop(): Promise<void> {
    for (const instance of instances) instance.child.kill("SIGKILL");
    await Promise.all(instances.map((i) => i.exited));
    await db.end();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    redis.disconnect();
    await dropSchema(schema);
    rmSync(dataDir, { recursive: true, force: true });
  }

  const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { instances, env, db, redis, prefix, cli: (args) => runCli(args, env), stop };
}

export function randomName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString("hex")}`;
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** One HTTP request to an instance; JSON or form body, optional Bearer token. */
export async function call<T = Record<string, unknown>>(base: string, method: string, path: string, o: { form?: Record<string, string>; json?: unknown; token?: string } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (o.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(o.form).toString();
  } else if (o.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(o.json);
  }
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const res = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

export async function signUp(base: string, username: string, password = "cluster test password"): Promise<Tokens & { userId: string }> {
  const created = await call<{ id: string }>(base, "POST", "/auth/register", { json: { username, password } });
  if (created.status !== 201) throw new Error(`register: ${created.status} ${JSON.stringify(created.body)}`);
  const signedIn = await call<Tokens>(base, "POST", "/oauth/token", { form: { grant_type: "password", username, password } });
  if (signedIn.status !== 200) throw new Error(`sign-in: ${signedIn.status} ${JSON.stringify(signedIn.body)}`);
  return { ...signedIn.body, userId: created.body.id };
}

export { kidOf, sidOf } from "../../helpers/tokens.js";

/** Polls `check` every 50 ms until it returns true or `ms` pass; resolves with the time it took (Infinity on timeout). */
export async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  return Number.POSITIVE_INFINITY;
}
