/**
 * The API description: an OpenAPI 3.1 document generated from the routes'
 * own schemas by @fastify/swagger (dynamic mode), served at `/openapi.json`,
 * and a reference page at `/docs` (@fastify/swagger-ui).
 *
 * Routes outside /admin were written before the document existed; rather than
 * touch each, `describe` below gives them tags, summaries and content types
 * *for the document only*. Response schemas are added only to routes whose
 * answers they describe exactly (the admin routes), because Fastify also
 * serialises with them and would drop any field they do not list.
 */
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance, FastifySchema } from "fastify";
import type { Tessera } from "../core/api.js";

const FORM_OR_JSON = ["application/x-www-form-urlencoded", "application/json"];
const bearer: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];

/** Tags, summaries and security of the routes that predate the document. */
const described: Record<string, { tags: string[]; summary: string; consumes?: string[]; security?: object[] }> = {
  "GET /.well-known/oauth-authorization-server": { tags: ["discovery"], summary: "Authorization server metadata (RFC 8414)" },
  "GET /.well-known/jwks.json": { tags: ["discovery"], summary: "Public signing keys (RFC 7517)" },
  "GET /healthz": { tags: ["operations"], summary: "The process answers" },
  "GET /readyz": { tags: ["operations"], summary: "The store answers too" },
  "GET /metrics": { tags: ["operations"], summary: "Prometheus metrics" },
  "POST /auth/register": { tags: ["accounts"], summary: "Create an account (throttled per IP)" },
  "POST /oauth/token": { tags: ["oauth"], summary: "Token endpoint: password, refresh_token and client_credentials grants (RFC 6749)", consumes: FORM_OR_JSON },
  "POST /oauth/revoke": { tags: ["oauth"], summary: "Revoke a token (RFC 7009)", consumes: FORM_OR_JSON },
  "POST /oauth/introspect": { tags: ["oauth"], summary: "Introspect a token (RFC 7662), confidential clients", consumes: FORM_OR_JSON },
  "GET /oauth/revocations": { tags: ["oauth"], summary: "Feed of ended sessions (long-poll) for resource servers" },
  "GET /userinfo": { tags: ["account"], summary: "The signed-in user", security: bearer },
  "GET /auth/sessions": { tags: ["account"], summary: "The caller's live sessions", security: bearer },
  "DELETE /auth/sessions/:id": { tags: ["account"], summary: "End one of the caller's sessions", security: bearer },
  "POST /auth/logout": { tags: ["account"], summary: "End the current session", security: bearer },
  "POST /auth/logout-all": { tags: ["account"], summary: "End every session of the caller", security: bearer },
  "POST /auth/password": { tags: ["account"], summary: "Change the password (other sessions end)", security: bearer },
  "POST /auth/password/reset": { tags: ["accounts"], summary: "Set a new password with an admin-issued reset token" },
  "POST /session/login": { tags: ["cookie sessions"], summary: "Sign in with a cookie session (JSON, from an allowed origin)", consumes: ["application/json"] },
  "POST /session/logout": { tags: ["cookie sessions"], summary: "End the cookie session", security: [{ cookie: [] }] },
};

/** The docs page needs inline styles (swagger-ui sets style attributes); scripts stay same-origin only. */
export const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function method(route: { method: string | string[] }): string {
  return Array.isArray(route.method) ? route.method[0]! : route.method;
}

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
          cookie: { type: "apiKey", in: "cookie", name: "__Host-tessera_session", description: "Unsafe methods also need X-CSRF-Token." },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const own: FastifySchema = schema ?? {};
      if (url.startsWith("/admin/")) return { schema: { ...own, security: bearer } as FastifySchema, url };
      const doc = described[`${method(route)} ${url}`];
      // Routes not listed (the demo page, its assets, the BFF proxy) are not part of the API.
      if (!doc) return { schema: { ...own, hide: true } as FastifySchema, url };
      return { schema: { ...own, ...doc } as FastifySchema, url };
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
