/**
 * `GET /metrics` in Prometheus text format, behind a Bearer token when
 * TESSERA_METRICS_TOKEN is set. Every answered request is timed by its route
 * pattern in the one onResponse hook (server/build.ts), through `observeAnswer`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TesseraError } from "../../core/errors.js";
import type { Tessera } from "../../core/api.js";
import type { Metrics } from "./registry.js";
import { metricsSchema } from "../schemas/operations.js";

/** Requests that match no route share one label, so random URLs cannot grow the series count. */
const UNMATCHED = "(unmatched)";

/** Records one answered request in the duration histogram; `route` is its route pattern (undefined when none matched). */
export function observeAnswer(metrics: Metrics, request: FastifyRequest, reply: FastifyReply, route: string | undefined): void {
  metrics.observeRequest(request.method, route ?? UNMATCHED, reply.statusCode, reply.elapsedTime / 1000);
}

export function metricsRoute(app: FastifyInstance, tessera: Tessera, metrics: Metrics): void {
  const token = tessera.config.metricsToken;
  app.get("/metrics", { schema: metricsSchema }, async (request, reply) => {
    const authorization = request.headers.authorization ?? "";
    const presented = authorization.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : undefined;
    if (token !== undefined && (presented === undefined || !tessera.operations.isMetricsToken(presented))) {
      throw new TesseraError("unauthorized", "The metrics need the token in TESSERA_METRICS_TOKEN.");
    }
    reply.header("cache-control", "no-store").type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
