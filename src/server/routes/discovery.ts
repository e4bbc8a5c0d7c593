/** RFC 8414 metadata and the RFC 7517 key set. */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../core/tessera.js";
import { discoverySchema, jwksSchema } from "../schemas/operations.js";

export function discoveryRoutes(app: FastifyInstance, tessera: Tessera): void {
  app.get("/.well-known/oauth-authorization-server", { schema: discoverySchema }, async (_request, reply) => {
    reply.header("cache-control", "public, max-age=3600");
    return tessera.discovery();
  });
  app.get("/.well-known/jwks.json", { schema: jwksSchema }, async (_request, reply) => {
    reply.header("cache-control", `public, max-age=${tessera.config.jwksMaxAge}`);
    reply.header("content-type", "application/jwk-set+json; charset=utf-8");
    return tessera.keys.jwks();
  });
}
