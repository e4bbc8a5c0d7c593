/**
 * Tokens versus cookies, measured (issue #5): requests per second and p99 for
 * one protected route under each authentication mode, in one run.
 */
import { fork } from "node:child_process";
import pg from "pg";
import { measure, postJson, startBenchServer, table, type Measured } from "./lib.js";

async function startApp(mode: string, env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const child = fork(new URL("./compare-app.ts", import.meta.url).pathname, [], {
    execArgv: ["--import", "tsx"], env: { ...process.env, ...env, COMPARE_MODE: mode }, stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("message", (m: { url: string }) => resolve(m.url));
    child.once("exit", (code) => reject(new Error(`compare app (${mode}) exited with ${code}`)));
  });
  return { url, stop: () => new Promise((resolve) => { child.once("exit", () => resolve()); child.send({ type: "stop" }); }) };
}

async function credentials(authUrl: string): Promise<{ bearer: string; cookie: string }> {
  const password = "comparison password";
  await postJson(`${authUrl}/auth/register`, { username: "compare", password });
  const { access_token } = await postJson<{ access_token: string }>(`${authUrl}/oauth/token`, { grant_type: "password", username: "compare", password });
  const login = await fetch(`${authUrl}/session/login`, { method: "POST", headers: { "content-type": "application/json", origin: new URL(authUrl).origin }, body: JSON.stringify({ username: "compare", password }) });
  const secret = /__Host-tessera_session=([^;]+)/.exec(login.headers.getSetCookie().join("\n"))![1]!;
  return { bearer: access_token, cookie: `__Host-tessera_session=${secret}` };
}

async function run(name: string, mode: string, env: Record<string, string>, headers: Record<string, string>): Promise<Measured> {
  const app = await startApp(mode, env);
  try {
    await measure("warm-up", { url: `${app.url}/orders`, headers, duration: 1 });
    return await measure(name, { url: `${app.url}/orders`, headers });
  } finally {
    await app.stop();
  }
}

export async function benchCompare(): Promise<Measured[]> {
  const rows: Measured[] = [];
  const sqlite = await startBenchServer();
  try {
    const env = { TESSERA_ISSUER: sqlite.url, TESSERA_DATA_DIR: sqlite.dataDir, TESSERA_MASTER_KEY: sqlite.masterKey };
    const creds = await credentials(sqlite.url);
    rows.push(await run("(a) Bearer JWT, tessera/verify with cache", "bearer-cache", env, { authorization: `Bearer ${creds.bearer}` }));
    rows.push(await run("(a) Bearer JWT, tessera/verify without cache", "bearer-nocache", env, { authorization: `Bearer ${creds.bearer}` }));
    rows.push(await run("(b) cookie session, SQLite lookup", "cookie", env, { cookie: creds.cookie }));
  } finally {
    await sqlite.stop();
  }
  const database = `tessera_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
  } catch (error) {
    console.log(`PostgreSQL rows skipped: ${(error as Error).message}`);
    await admin.end().catch(() => undefined);
    return rows;
  }
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
  const onPg = await startBenchServer({ DATABASE_URL: databaseUrl });
  try {
    const env = { TESSERA_ISSUER: onPg.url, DATABASE_URL: databaseUrl, TESSERA_MASTER_KEY: onPg.masterKey };
    const creds = await credentials(onPg.url);
    rows.push(await run("(c) cookie session, PostgreSQL lookup", "cookie", env, { cookie: creds.cookie }));
    rows.push(await run("(d) cookie session, Redis cache before PostgreSQL", "cookie-redis", env, { cookie: creds.cookie }));
  } finally {
    await onPg.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(table(await benchCompare()));
