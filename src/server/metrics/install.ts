/**
 * Wires the metrics into the app: a hook that times every answered request
 * by its route pattern, and `GET /metrics` in Prometheus text format, behind
 * a Bearer token when TESSERA_METRICS_TOKEN is set.
 */
import type { FastifyInstance } from "fastify";
import { TesseraError } from "../../core/errors.js";
import type { Tessera } from "../../core/api.js";
import { createMetrics, type Metrics } from "./registry.js";
import { metricsSchema } from "../schemas/operations.js";

/** Requests that match no route share one label, so random URLs cannot grow the series count. */
const UNMATCHED = "(unmatched)";

export function installMetrics(app: FastifyInstance, tessera: Tessera): Metrics {
  const metrics = createMetrics(tessera);
  app.addHook("onResponse", (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? UNMATCHED, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

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
  return metrics;
}
