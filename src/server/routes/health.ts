/** `/healthz` (the process answers) and `/readyz` (the store answers too). */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../core/tessera.js";

export function healthRoutes(app: FastifyInstance, tessera: Tessera): void {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (request, reply) => {
    try {
      await tessera.store.ping();
      return { status: "ok", checks: { store: "ok" } };
    } catch (error) {
      request.log.warn({ err: error }, "readiness: store unreachable");
      return reply.code(503).send({ status: "unavailable", checks: { store: "unreachable" } });
    }
  });
}
