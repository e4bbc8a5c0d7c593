/**
 * `/healthz`: the process answers (a liveness probe; restart it if not).
 * `/readyz`: this instance can serve (a load balancer's health check).
 *
 * Ready means the store answers: without it nothing works, so 503 takes the
 * instance out of rotation. Redis is reported but does not decide: it only
 * speeds up what the store already guarantees, and every instance shares the
 * same Redis, so failing readiness on it would take the whole cluster out at
 * once. The answer is then 200 with `status: "degraded"` (docs/deploy.md).
 * Failures are logged once per change of state, not once per probe.
 */
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { Tessera } from "../../core/api.js";
import { healthzSchema, readyzSchema } from "../schemas/operations.js";

type Check = "ok" | "unreachable" | "disabled";

/** A probe answers within this (ms), whatever the store does; load balancers time out too. */
const CHECK_TIMEOUT = 2000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export function healthRoutes(app: FastifyInstance, tessera: Tessera): void {
  let lastStore: Check = "ok";
  const noteStore = (log: FastifyBaseLogger, now: Check, error?: unknown) => {
    if (now === lastStore) return;
    lastStore = now;
    if (now === "ok") log.info("readiness: store reachable again");
    else log.warn({ err: error }, "readiness: store unreachable; answering 503");
  };

  app.get("/healthz", { schema: healthzSchema }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: readyzSchema }, async (request, reply) => {
    reply.header("cache-control", "no-store");
    let store: Check = "ok";
    try {
      await within(tessera.operations.pingStore(), CHECK_TIMEOUT);
    } catch (error) {
      store = "unreachable";
      noteStore(request.log, store, error);
    }
    if (store === "ok") noteStore(request.log, store);
    // The Redis link logs its own state changes (start.ts); this is the live round trip.
    const { redisLink } = tessera.operations;
    const redis: Check = redisLink === undefined ? "disabled" : (await redisLink.ping()) ? "ok" : "unreachable";
    const status = store !== "ok" ? "unavailable" : redis === "unreachable" ? "degraded" : "ok";
    return reply.code(store === "ok" ? 200 : 503).send({ status, checks: { store, redis } });
  });
}
