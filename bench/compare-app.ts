/**
 * The resource server of the tokens-versus-cookies comparison: one
 * route, GET /orders, protected by the mode named in COMPARE_MODE:
 *
 * - bearer-cache / bearer-nocache: tessera/verify's Fastify plugin, stateless
 *   (keys from the auth server's JWKS), with and without its verified-token cache;
 * - cookie: the session cookie looked up in the store (SQLite or PostgreSQL,
 *   whichever DATABASE_URL names) on every request;
 * - cookie-redis: the same lookup with a Redis cache in front (30 s entries).
 */
import { createHash } from "node:crypto";
import Fastify from "fastify";
import { Redis } from "ioredis";
import { loadConfig } from "../src/core/config.js";
import { createTessera } from "../src/core/tessera.js";
import { createVerifier, fastifyAuth } from "../packages/verify/src/node.js";

const mode = process.env.COMPARE_MODE ?? "bearer-cache";
const app = Fastify({ logger: false });
const orders = { orders: [{ id: 1, total: 42 }] };

function cookieSecret(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /(?:^|;\s*)__Host-tessera_session=([^;]+)/.exec(header)?.[1];
}

if (mode.startsWith("bearer")) {
  const verifier = createVerifier({ issuer: process.env.TESSERA_ISSUER!, ...(mode === "bearer-nocache" ? { cache: false } : {}), revocation: false });
  await app.register(async (api) => {
    await api.register(fastifyAuth, { verifier });
    api.get("/orders", async () => orders);
  });
} else {
  const tessera = await createTessera(loadConfig(process.env, { logLevel: "silent", sweepIntervalMs: 0 }));
  const redis = mode === "cookie-redis" ? new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379") : undefined;
  const prefix = `tessera-bench:${process.pid}:`;
  app.get("/orders", async (request, reply) => {
    const secret = cookieSecret(request.headers.cookie);
    if (!secret) return reply.code(401).send({ error: "unauthorized" });
    const key = prefix + createHash("sha256").update(secret).digest("base64url");
    if (redis && (await redis.get(key)) !== null) return orders;
    const found = await tessera.cookieSessions.resolve(secret);
    if (!found) return reply.code(401).send({ error: "unauthorized" });
    if (redis) await redis.set(key, found.session.id, "EX", 30);
    return orders;
  });
}

await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
process.send!({ type: "ready", url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` });
process.on("message", (m: { type: string }) => {
  if (m.type === "stop") void app.close().then(() => process.exit(0));
});
