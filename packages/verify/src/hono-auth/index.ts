/**
 * The Hono adapter: a middleware that puts the claims in `c.get("auth")`.
 * Hono runs on every runtime, and so does this (the verifier picks WebCrypto
 * where node:crypto is missing).
 *
 * @module tessera/verify
 */
import type { MiddlewareHandler } from "hono";
import { makeAuthenticator, type AuthOptions } from "../lib/authenticate.js";
import { rememberRealm } from "../lib/realm.js";
import type { AccessTokenClaims, Verifier } from "../types.js";

declare module "hono" {
  interface ContextVariableMap {
    /** The verified access token's claims, set by `honoAuth`. */
    auth?: AccessTokenClaims;
  }
}

/**
 * Hono middleware: verifies `Authorization: Bearer`, sets `c.var.auth`, or
 * answers 401 with `WWW-Authenticate` (503 when keys cannot be fetched).
 * Ships from `tessera/verify`.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { createVerifier, honoAuth, requireScope } from "tessera/verify";
 *
 * const app = new Hono();
 * app.use("/api/*", honoAuth(createVerifier({ issuer: "http://localhost:3000" })));
 * app.get("/api/orders", requireScope("orders:read").hono, (c) => c.json({ user: c.get("auth")?.sub }));
 * ```
 */
export function honoAuth(verifier: Verifier, options?: AuthOptions): MiddlewareHandler {
  const authenticator = makeAuthenticator(verifier, options);
  return async (c, next) => {
    const result = await authenticator.authenticate(c.req.header("authorization"));
    if (!result.ok) return c.body(result.refusal.body, result.refusal.status, result.refusal.headers);
    if (result.claims) c.set("auth", result.claims);
    rememberRealm(c, authenticator.realm);
    await next();
    return undefined;
  };
}
