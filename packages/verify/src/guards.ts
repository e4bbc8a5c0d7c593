/**
 * Scope and role guards. One guard value serves every adapter: call it as
 * Express/connect/node:http middleware, or take `.fastify` (a preHandler) or
 * `.hono` (a middleware). Each answers 403 `insufficient_scope` naming what
 * is missing, or 401 when no token was authenticated before it.
 *
 * @module tessera/verify
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MiddlewareHandler } from "hono";
import { InsufficientAuthenticationError, InsufficientScopeError, VerifyError } from "./errors.js";
import { sendRefusal, type FastifyReplyLike, type FastifyRequestLike } from "./fastify-auth/index.js";
import { refusal, type Refusal } from "./lib/bearer.js";
import { realmOf } from "./lib/realm.js";
import { writeRefusal } from "./node-auth/index.js";
import type { AccessTokenClaims } from "./types.js";

/**
 * A guard from {@link requireScope} or {@link requireRole}.
 *
 * @example
 * ```ts
 * const canRead = requireScope("orders:read");
 * app.get("/orders", canRead, handler);                                // Express, connect
 * fastify.get("/orders", { preHandler: canRead.fastify }, handler);    // Fastify
 * hono.get("/orders", canRead.hono, handler);                          // Hono
 * if (!canRead(req, res)) return;                                      // node:http
 * ```
 */
export interface Guard {
  /** connect-style: true (and `next()`) when allowed; otherwise answers and returns false. */
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): boolean;
  /** A Fastify preHandler. */
  readonly fastify: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>;
  /** A Hono middleware. */
  readonly hono: MiddlewareHandler;
  /** Throws {@link InsufficientScopeError} unless the claims pass. */
  check(claims: AccessTokenClaims): void;
  /** Every one of these scopes is required. */
  readonly scopes: readonly string[];
  /** Every one of these roles is required. */
  readonly roles: readonly string[];
}

/** RFC 6749 §3.3 scope-token (which also keeps it safe inside a quoted-string). */
const NAME = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function names(kind: string, list: string[]): readonly string[] {
  if (list.length === 0 || !list.every((n) => typeof n === "string" && NAME.test(n))) {
    throw new TypeError(`${kind} needs one or more names of printable ASCII without spaces, quotes or backslashes`);
  }
  return Object.freeze([...list]);
}

/** null when allowed, else the refusal to send. */
function decide(check: (claims: AccessTokenClaims) => void, claims: AccessTokenClaims | undefined, realm: string): Refusal | null {
  if (claims === undefined) return refusal(realm, null);
  try {
    check(claims);
    return null;
  } catch (error) {
    if (error instanceof VerifyError) return refusal(realm, error);
    throw error;
  }
}

function makeGuard(scopes: readonly string[], roles: readonly string[], check: (claims: AccessTokenClaims) => void): Guard {
  const guard = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): boolean => {
    const refused = decide(check, req.auth, realmOf(req));
    if (refused) writeRefusal(res, refused);
    else next?.();
    return refused === null;
  };
  const fastify = async (request: FastifyRequestLike, reply: FastifyReplyLike): Promise<unknown> => {
    const refused = decide(check, request.auth, realmOf(request));
    return refused ? sendRefusal(reply, refused) : undefined;
  };
  const hono: MiddlewareHandler = async (c, next) => {
    const refused = decide(check, c.get("auth"), realmOf(c));
    if (refused) return c.body(refused.body, refused.status, refused.headers);
    await next();
    return undefined;
  };
  return Object.assign(guard, { fastify, hono, check, scopes, roles });
}

/**
 * Requires every listed scope in the token's `scope` claim; else 403
 * `insufficient_scope` with `scope="..."` in `WWW-Authenticate`. Ships from
 * `tessera/verify`.
 *
 * @example
 * ```ts
 * app.get("/orders", requireScope("orders:read"), listOrders);
 * app.post("/orders", requireScope("orders:read", "orders:write"), createOrder);
 * ```
 */
export function requireScope(...scopes: string[]): Guard {
  const needed = names("requireScope", scopes);
  const wanted = needed.join(" ");
  return makeGuard(needed, [], (claims) => {
    const granted = new Set(claims.scope.split(" "));
    if (!needed.every((s) => granted.has(s))) throw new InsufficientScopeError("ERR_INSUFFICIENT_SCOPE", wanted);
  });
}

/**
 * Requires every listed role in the token's `roles` claim; else 403
 * `insufficient_scope`. Ships from `tessera/verify`.
 *
 * @example
 * ```ts
 * app.delete("/users/:id", requireRole("admin"), deleteUser);
 * ```
 */
export function requireRole(...roles: string[]): Guard {
  const needed = names("requireRole", roles);
  return makeGuard([], needed, (claims) => {
    if (!needed.every((r) => claims.roles.includes(r))) throw new InsufficientScopeError("ERR_INSUFFICIENT_ROLE", "", `needs ${needed.join(", ")}`);
  });
}

/**
 * Step-up (RFC 9470): requires every listed RFC 8176 method in the token's
 * `amr` claim (e.g. `"mfa"`, or `"hwk"` for a hardware key); else 401
 * `insufficient_user_authentication` with `acr_values="..."` naming them, so
 * the client signs in again with more and retries. Ships from `tessera/verify`.
 *
 * @example
 * ```ts
 * app.post("/payments", requireAmr("mfa"), pay);
 * ```
 */
export function requireAmr(...methods: string[]): Guard {
  const needed = names("requireAmr", methods);
  const acrValues = needed.join(" ");
  return makeGuard([], [], (claims) => {
    const amr = Array.isArray(claims.amr) ? (claims.amr as unknown[]) : [];
    if (!needed.every((m) => amr.includes(m))) throw new InsufficientAuthenticationError("ERR_AMR_INSUFFICIENT", { acrValues });
  });
}

/**
 * Step-up (RFC 9470): requires a sign-in (`auth_time`) within the last
 * `maxAgeSeconds`; else 401 `insufficient_user_authentication` with
 * `max_age=...`. A token without `auth_time` is refused. `now` (epoch ms) is
 * for tests. Ships from `tessera/verify`.
 *
 * @example
 * ```ts
 * app.delete("/account", requireAuthTime(300), deleteAccount);
 * ```
 */
export function requireAuthTime(maxAgeSeconds: number, options: { now?: () => number } = {}): Guard {
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 0) throw new TypeError("requireAuthTime needs a whole number of seconds, 0 or more");
  const now = options.now ?? Date.now;
  return makeGuard([], [], (claims) => {
    const authTime = claims.auth_time;
    if (typeof authTime !== "number" || Math.floor(now() / 1000) - authTime > maxAgeSeconds) {
      throw new InsufficientAuthenticationError("ERR_AUTH_TOO_OLD", { maxAge: maxAgeSeconds });
    }
  });
}
