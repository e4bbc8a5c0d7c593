/**
 * The API description: an OpenAPI 3.1 document generated from the routes'
 * own schemas by @fastify/swagger (dynamic mode), served at `/openapi.json`,
 * and a reference page at `/docs` (@fastify/swagger-ui).
 *
 * Every route's schema comes from `schemas/` (one module per area): its
 * request schemas validate, and its response schemas both describe and
 * serialise the answers, so each lists every field the route sends. Every
 * test server records its answers and checks them against this document
 * (test/helpers/documented-statuses.ts); the runner checks that every status
 * documented was answered by some test (scripts/reached-statuses.js).
 */
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance, FastifySchema } from "fastify";
import type { Tessera } from "../core/api.js";

const ADMIN_SECURITY: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [], csrfToken: [] }];

/** The docs page needs inline styles (swagger-ui sets style attributes); scripts stay same-origin only. */
export const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Registers the generator: must run before any route is added, so that it sees them all. */
export async function registerOpenApi(app: FastifyInstance, tessera: Tessera): Promise<void> {
  await app.register(swagger, {
    mode: "dynamic",
    openapi: {
      openapi: "3.1.0",
      info: { title: "Tessera", version: "0.1.0", description: "Token-based authentication server. Contract: docs/api.md; administration: docs/admin.md." },
      servers: [{ get url() { return tessera.config.issuer; } }], // read when first served: with PORT=0 the issuer is set after listen
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT (RFC 9068)" },
          cookie: { type: "apiKey", in: "cookie", name: "__Host-tessera_session", description: "A cookie session (`POST /session/login`). Unsafe methods also need `csrfToken` and an allowed Origin." },
          csrfToken: { type: "apiKey", in: "header", name: "X-CSRF-Token", description: "The `csrf_token` of the cookie sign-in's answer." },
          clientSecretBasic: { type: "http", scheme: "basic", description: "client_secret_basic (RFC 6749 §2.3.1): a confidential client's id and secret. client_secret_post sends `client_id` and `client_secret` in the body instead; public clients send only `client_id`." },
          metricsToken: { type: "http", scheme: "bearer", description: "TESSERA_METRICS_TOKEN, when set." },
        },
      },
    },
    transform: ({ schema, url }) => {
      const own = (schema ?? {}) as FastifySchema & { tags?: string[]; documentedBody?: object };
      if (url.startsWith("/admin/")) return { schema: { ...own, security: ADMIN_SECURITY } as FastifySchema, url };
      // Routes without tags (the docs page, the email-link pages, CORS preflight) are not part of the API.
      if (!own.tags) return { schema: { ...own, hide: true } as FastifySchema, url };
      // A body documented more precisely than it is validated (the token endpoint's grants).
      const { documentedBody, ...rest } = own;
      return { schema: (documentedBody ? { ...rest, body: documentedBody } : rest) as FastifySchema, url };
    },
  });
}

/** `/openapi.json` and the `/docs` page; register after the routes' own plugins. */
export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  app.get("/openapi.json", { schema: { hide: true } as FastifySchema }, async (_request, reply) => {
    reply.header("cache-control", "no-cache");
    return app.swagger();
  });
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    staticCSP: DOCS_CSP,
    uiConfig: { url: "/openapi.json", deepLinking: false, validatorUrl: null },
    uiHooks: {
      onRequest: async (_request, reply) => {
        reply.header("referrer-policy", "no-referrer").header("x-frame-options", "DENY").header("cross-origin-opener-policy", "same-origin");
      },
    },
  });
}
