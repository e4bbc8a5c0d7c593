/** RFC 8414 metadata (the core decides the values, this route the endpoint URLs) and the RFC 7517 key set. */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../core/api.js";
import { discoverySchema, jwksSchema } from "../schemas/operations.js";

export function discoveryRoutes(app: FastifyInstance, tessera: Tessera): void {
  app.get("/.well-known/oauth-authorization-server", { schema: discoverySchema }, async (_request, reply) => {
    reply.header("cache-control", "public, max-age=3600");
    const { issuer, ...decided } = tessera.tokens.metadata();
    return {
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      userinfo_endpoint: `${issuer}/userinfo`,
      registration_endpoint: `${issuer}/auth/register`,
      revocation_feed_endpoint: `${issuer}/oauth/revocations`,
      ...decided,
    };
  });
  app.get("/.well-known/jwks.json", { schema: jwksSchema }, async (_request, reply) => {
    reply.header("cache-control", `public, max-age=${tessera.config.jwksMaxAgeSeconds}`);
    reply.header("content-type", "application/jwk-set+json; charset=utf-8");
    return tessera.tokens.jwks();
  });
}
