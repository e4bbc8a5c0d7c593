/**
 * `tessera/verify` against the alternatives: single-thread
 * verifications per second of the same ES256 access token, side by side in
 * one run, and the Fastify adapter's HTTP cost.
 *
 * - raw: node:crypto signature check plus base64url/JSON decoding, no claim
 *   checks: the practical limit.
 * - Every async verifier is awaited one call at a time (one thread, no
 *   thread-pool parallelism for WebCrypto).
 *
 * Run alone: `node --import tsx bench/verify.ts` (prints JSON).
 */
import { fork } from "node:child_process";
import { generateKeyPairSync, sign, verify as cryptoVerify, type KeyObject } from "node:crypto";
import type { AddressInfo } from "node:net";
import autocannon from "autocannon";
import { createVerifier as createFastJwtVerifier } from "fast-jwt";
import { importJWK, jwtVerify, type JWK } from "jose";
import jsonwebtoken from "jsonwebtoken";
import { createVerifier, fastifyAuth } from "../packages/verify/src/index.js";

const ISSUER = "http://bench.test";
const DURATION_MS = Number(process.env.BENCH_VERIFY_MS ?? 1000);
const ROUNDS = 2;

interface Fixture { token: string; publicKey: KeyObject; jwk: JWK }

function fixture(): Fixture {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "bench", alg: "ES256", use: "sig" } as JWK;
  const now = Math.floor(Date.now() / 1000);
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");
  const input = `${enc({ alg: "ES256", kid: "bench", typ: "at+jwt" })}.${enc({
    iss: ISSUER, sub: "user-1", aud: ISSUER, exp: now + 3600, iat: now, jti: "j", client_id: "tessera-web", sid: "s", scope: "a b", roles: ["user"],
  })}`;
  const sig = sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
  return { token: `${input}.${sig}`, publicKey, jwk };
}

/** Ops per second of `op` over DURATION_MS, after a short warm-up. */
async function measure(op: () => unknown): Promise<number> {
  const deadline = (ms: number): number => performance.now() + ms;
  for (const end = deadline(200); performance.now() < end;) await op();
  let count = 0;
  const started = performance.now();
  for (const end = deadline(DURATION_MS); performance.now() < end;) {
    for (let i = 0; i < 50; i++) await op();
    count += 50;
  }
  return Math.round(count / ((performance.now() - started) / 1000));
}

/** The practical limit: what any verifier must do at least. */
function rawVerify(token: string, key: KeyObject): unknown {
  const [h, p, s] = token.split(".") as [string, string, string];
  JSON.parse(Buffer.from(h, "base64url").toString());
  if (!cryptoVerify("sha256", Buffer.from(`${h}.${p}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(s, "base64url"))) throw new Error("bad");
  return JSON.parse(Buffer.from(p, "base64url").toString());
}

export async function benchVerify(): Promise<Record<string, number>> {
  const { token, publicKey, jwk } = fixture();
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const cryptoKey = await importJWK(jwk, "ES256");
  const common = { issuer: ISSUER, keys: [jwk], revocation: false } as const;
  const uncached = createVerifier({ ...common, cache: false });
  const cached = createVerifier(common);
  const web = createVerifier({ ...common, cache: false, crypto: "webcrypto" });
  const fastJwt = createFastJwtVerifier({ key: pem, algorithms: ["ES256"], allowedIss: ISSUER, allowedAud: ISSUER });
  const fastJwtCached = createFastJwtVerifier({ key: pem, algorithms: ["ES256"], allowedIss: ISSUER, allowedAud: ISSUER, cache: true });
  const opts = { issuer: ISSUER, audience: ISSUER, typ: "at+jwt", algorithms: ["ES256"] };

  const candidates: [string, () => unknown][] = [
    ["raw_node_crypto", () => rawVerify(token, publicKey)],
    ["jose_jwtVerify_webcrypto", () => jwtVerify(token, cryptoKey, opts)],
    ["jsonwebtoken", () => jsonwebtoken.verify(token, pem, { algorithms: ["ES256"], issuer: ISSUER, audience: ISSUER })],
    ["fast_jwt", () => fastJwt(token)],
    ["fast_jwt_cached", () => fastJwtCached(token)],
    ["tessera_webcrypto", () => web.verify(token)],
    ["tessera_node_sync", () => uncached.verify(token)],
    ["tessera_cached", () => cached.verify(token)],
  ];
  // Best of ROUNDS, interleaved: on a shared machine, a neighbour's burst
  // lowers one measurement, never raises it.
  const r: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, op] of candidates) r[name] = Math.max(r[name] ?? 0, await measure(op));
  }
  const get = (name: string): number => r[name] ?? Number.NaN;
  r.ratio_tessera_sync_vs_raw = round(get("tessera_node_sync") / get("raw_node_crypto"));
  r.ratio_tessera_sync_vs_jose = round(get("tessera_node_sync") / get("jose_jwtVerify_webcrypto"));
  r.ratio_tessera_cached_vs_raw = round(get("tessera_cached") / get("raw_node_crypto"));
  r.ratio_tessera_cached_vs_fast_jwt_cached = round(get("tessera_cached") / get("fast_jwt_cached"));
  for (const v of [uncached, cached, web]) v.close();
  return r;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * HTTP: the same Fastify route with and without `fastifyAuth` (cache on),
 * served by a child process and loaded by autocannon from this one.
 */
export async function benchVerifyHttp(seconds = 3): Promise<Record<string, number>> {
  const { token, jwk } = fixture();
  const child = fork(new URL(import.meta.url).pathname, ["--serve"], {
    execArgv: ["--import", "tsx"], env: { ...process.env, BENCH_JWK: JSON.stringify(jwk) }, stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve) => child.once("message", (m: { port: number }) => resolve(m.port)));
  const run = async (path: string): Promise<number> => {
    const result = await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: 20, duration: seconds, headers: { authorization: `Bearer ${token}` } });
    if (result.non2xx > 0) throw new Error(`${path}: ${result.non2xx} non-2xx answers`);
    return Math.round(result.requests.average);
  };
  try {
    await run("/open"); // warm-up
    let open = 0;
    let withAuth = 0;
    for (let round = 0; round < ROUNDS + 1; round++) {
      open = Math.max(open, await run("/open"));
      withAuth = Math.max(withAuth, await run("/protected"));
    }
    return { http_no_auth_rps: open, http_fastify_auth_rps: withAuth, http_adapter_cost: round(1 - withAuth / open) };
  } finally {
    child.kill();
  }
}

async function serve(): Promise<void> {
  const { default: Fastify } = await import("fastify");
  const app = Fastify();
  const verifier = createVerifier({ issuer: ISSUER, keys: [JSON.parse(process.env.BENCH_JWK ?? "{}") as JWK], revocation: false });
  app.get("/open", async () => ({ ok: true }));
  await app.register(async (api) => {
    await api.register(fastifyAuth, { verifier });
    api.get("/protected", async () => ({ ok: true }));
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  process.send?.({ port: (app.server.address() as AddressInfo).port });
}

if (process.argv.includes("--serve")) await serve();
else if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify({ ...(await benchVerify()), ...(process.argv.includes("--http") ? await benchVerifyHttp() : {}) }, null, 2));
}
