/**
 * CORS: only origins on the allow-list get CORS headers at all. Credentials
 * (cookies) are allowed only on the routes that a cookie session can use;
 * the OAuth endpoints never need them, since token mode sends no cookies.
 */
import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";
import type { Config } from "../../core/config.js";
import { allowedOrigins } from "./origins.js";

const COOKIE_ROUTES = /^\/(session|userinfo|auth)\b/;

export async function registerCors(app: FastifyInstance, config: Config): Promise<void> {
  const trusted = allowedOrigins(config);
  await app.register(cors, {
    hideOptionsRoute: true,
    delegator: (request, callback) => {
      const origin = request.headers.origin;
      if (typeof origin !== "string" || !trusted.has(origin)) return callback(null, { origin: false });
      callback(null, {
        origin,
        credentials: COOKIE_ROUTES.test(request.url ?? ""),
        methods: ["GET", "POST", "DELETE"],
        allowedHeaders: ["Authorization", "Content-Type", "X-CSRF-Token", "X-Request-Id"],
        exposedHeaders: ["WWW-Authenticate", "Retry-After", "X-Request-Id"],
        maxAge: 600,
      });
    },
  });
}
