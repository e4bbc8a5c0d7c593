/**
 * A real Tessera server on loopback for tests: its own temporary data folder
 * (SQLite) or PostgreSQL schema, its own master key, a port of its own (it
 * binds port 0 and reads the port back: no probe-then-bind race), and
 * optionally a clock the test moves by hand.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../../src/core/config.js";
import type { TesseraDeps } from "../../src/core/tessera.js";
import { startServer, type RunningServer } from "../../src/server/start.js";
import type { Store } from "../../src/store/index.js";
import type { FastifyInstance } from "fastify";
import type { LogStream } from "../../src/server/shared/logging.js";
import { dropSchema, PG_TEST_URL, schemaFor, usePostgres } from "./pg-schema.js";
import { failOnUndocumented, StatusRecorder } from "./documented-statuses.js";

export interface TestClock {
  now(): number;
  advance(ms: number): void;
}

export function testClock(start = Date.now()): TestClock {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

export interface TestServerOptions {
  config?: Partial<Config>;
  /** Drive time by hand (expiry, idle timeout, grace window). */
  clock?: TestClock;
  store?: Store;
  /** Use this data folder (e.g. a restart over a kept one) instead of a new temporary one. */
  dataDir?: string;
  /** Keep the data folder (e.g. to inspect the database file). */
  keepData?: boolean;
  hashConcurrency?: number;
  /** Log with the server's real logger (at config.logLevel) into this stream, instead of not at all. */
  logStream?: LogStream;
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface SignedIn {
  username: string;
  password: string;
  userId: string;
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
}

export interface RequestOptions {
  json?: unknown;
  form?: Record<string, string>;
  token?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface TestServer extends RunningServer {
  issuer: string;
  dataDir: string;
  /** The server's settings, e.g. to open a second instance or the CLI on the same data. */
  config: Config;
  clock: TestClock | undefined;
  request<T = Record<string, unknown>>(method: string, path: string, options?: RequestOptions): Promise<Answer<T>>;
  signUpAndSignIn(username?: string, password?: string, extra?: Record<string, string>): Promise<SignedIn>;
}

let counter = 0;

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "tessera-test-"));
  // Port 0: the server binds a free port itself; an issuer on port 0 takes that port after listen.
  const port = options.config?.port ?? 0;
  const pgSchema = usePostgres() && !options.store ? schemaFor(dataDir) : undefined;
  const config = loadConfig({}, {
    host: "127.0.0.1", port, issuer: "http://127.0.0.1:0", dataDir, logLevel: "silent", sweepIntervalMs: 0,
    masterKey: randomBytes(32).toString("base64url"),
    // Every test client is 127.0.0.1: the throttles are off unless a test sets its own limits
    // (test/server/throttle.test.ts, which also checks the defaults).
    throttleSignInAccount: 0, throttleSignInIp: 0, throttleRegisterIp: 0, throttleTokenIp: 0,
    throttleSecondFactorAccount: 0, throttleEmailCodeAccount: 0, throttleEmailSendAddress: 0, throttleEmailSendIp: 0,
    // Tests race 30 attempts at once: the hashing queue's load shedding (test/server/hash-queue.test.ts) stays out of their way.
    hashQueueLimit: 1000,
    // TESSERA_TEST_STORE=postgres (the runner's PostgreSQL run): the same tests on a schema of their own.
    ...(pgSchema === undefined ? {} : { databaseUrl: PG_TEST_URL, pgSchema }),
    ...options.config,
  });
  const deps: TesseraDeps = {};
  if (options.clock) deps.now = options.clock.now;
  if (options.store) deps.store = options.store;
  if (options.hashConcurrency) deps.hashConcurrency = options.hashConcurrency;
  const dropStore = async () => {
    if (!options.keepData && pgSchema !== undefined) await dropSchema(pgSchema);
  };
  // Every answer is recorded and, at close(), checked against the document (documented-statuses.ts).
  const statuses = new StatusRecorder();
  const instrument = (app: FastifyInstance) => statuses.install(app);
  const running = await startServer(config, deps, options.logStream ? { logStream: options.logStream, instrument } : { logger: false, instrument })
    .catch(async (error: unknown) => { if (!options.dataDir) await dropStore(); throw error; });
  const base = running.url;
  const issuer = running.tessera.config.issuer;

  async function request<T>(method: string, path: string, o: RequestOptions = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...o.headers };
    let body: string | undefined = o.body;
    if (o.json !== undefined) {
      headers["content-type"] ??= "application/json";
      body = JSON.stringify(o.json);
    } else if (o.form !== undefined) {
      headers["content-type"] ??= "application/x-www-form-urlencoded";
      body = new URLSearchParams(o.form).toString();
    }
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    const response = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  async function signUpAndSignIn(username = `user${process.pid}x${++counter}`, password = "correct horse battery staple", extra: Record<string, string> = {}): Promise<SignedIn> {
    const registered = await request<{ id: string }>("POST", "/auth/register", { json: { username, password } });
    if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`);
    const signedIn = await request<Omit<SignedIn, "username" | "password" | "userId">>("POST", "/oauth/token", { form: { grant_type: "password", username, password, ...extra } });
    if (signedIn.status !== 200) throw new Error(`sign-in failed: ${signedIn.status} ${signedIn.text}`);
    return { username, password, userId: registered.body.id, ...signedIn.body };
  }

  return {
    ...running,
    url: base,
    issuer,
    dataDir,
    config,
    clock: options.clock,
    request,
    signUpAndSignIn,
    async close() {
      const doc = running.app.swagger() as unknown as Parameters<StatusRecorder["undocumented"]>[0];
      try {
        await running.close();
      } finally {
        if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
        await dropStore();
      }
      statuses.log(doc);
      failOnUndocumented(statuses.undocumented(doc));
    },
  };
}
