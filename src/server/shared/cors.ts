/**
 * CORS: only origins on the allow-list get CORS headers at all. Credentials
 * (cookies) are allowed only on the routes that a cookie session can use;
 * the OAuth endpoints never need them, since token mode sends no cookies.
 *
 * The headers are the ones @fastify/cors sent with a per-request delegator,
 * but decided here in one hook: a request without a trusted `Origin` (every
 * server-to-server call, every same-origin GET) costs one header and one
 * lookup, where the plugin built and normalised its options on every request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../../core/config.js";
import { allowedOrigins } from "./origins.js";

const COOKIE_ROUTES = /^\/(session|userinfo|auth)\b/;
const METHODS = "GET, POST, DELETE";
const ALLOWED_HEADERS = "Authorization, Content-Type, X-CSRF-Token, X-Request-Id";
const EXPOSED_HEADERS = "WWW-Authenticate, Retry-After, X-Request-Id";
const MAX_AGE = "600";

export type CorsCheck = (request: FastifyRequest, reply: FastifyReply) => boolean;

/**
 * Returns the per-request step (run it from the global onRequest hook): it
 * sets the CORS headers, and answers a preflight itself, returning true when
 * it did (the hook must then stop). Also adds the `OPTIONS *` route that lets
 * a preflight reach the hook; one from an origin not on the list is a 404.
 */
export function registerCors(app: FastifyInstance, config: Config): CorsCheck {
  const trusted = allowedOrigins(config);
  app.options("*", { schema: { hide: true } }, (_request, reply) => {
    reply.callNotFound();
  });
  return (request, reply) => {
    // Every answer depends on Origin, whether or not it carries CORS headers (Fetch §3.2.5: caches must know).
    reply.header("vary", "Origin");
    const origin = request.headers.origin;
    if (origin === undefined || !trusted.has(origin)) return false;
    reply.header("access-control-allow-origin", origin);
    if (COOKIE_ROUTES.test(request.url)) reply.header("access-control-allow-credentials", "true");
    reply.header("access-control-expose-headers", EXPOSED_HEADERS);
    if (request.method !== "OPTIONS") return false;
    if (!request.headers["access-control-request-method"]) {
      reply.code(400).type("text/plain").send("Invalid Preflight Request");
      return true;
    }
    reply.header("access-control-allow-methods", METHODS).header("access-control-allow-headers", ALLOWED_HEADERS)
      .header("access-control-max-age", MAX_AGE).code(204).header("content-length", "0").send();
    return true;
  };
}
