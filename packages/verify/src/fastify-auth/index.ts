/**
 * The Fastify adapter: a plugin that adds an `onRequest` hook to the scope it
 * is registered in. Typed against the few members it uses rather than
 * Fastify's own types, so `tessera/verify` carries no Fastify dependency
 * (Fastify stays an optional peer, and the house lint rule keeps it so).
 *
 * @module tessera/verify
 */
import { makeAuthenticator, type AuthOptions, type AuthResult } from "../lib/authenticate.js";
import { isPromise } from "../lib/verify-now.js";
import { rememberRealm } from "../lib/realm.js";
import type { AccessTokenClaims, Verifier } from "../types.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The verified access token's claims, set by the `fastifyAuth` plugin. */
    auth?: AccessTokenClaims;
  }
}

/**
 * The request members the adapter and guards use; a `FastifyRequest` fits.
 *
 * @example
 * ```ts
 * const preHandler = (request: FastifyRequestLike) => console.log(request.auth?.sub);
 * ```
 */
export interface FastifyRequestLike {
  headers: Record<string, string | string[] | undefined>;
  auth?: AccessTokenClaims;
}

/**
 * The reply members the adapter and guards use; a `FastifyReply` fits.
 *
 * @example
 * ```ts
 * const deny = (reply: FastifyReplyLike) => reply.code(403).send();
 * ```
 */
export interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

/**
 * The instance members the plugin uses; a `FastifyInstance` fits.
 *
 * @example
 * ```ts
 * await fastifyAuth(app satisfies FastifyInstanceLike, { verifier }); // what app.register does
 * ```
 */
export interface FastifyInstanceLike {
  addHook(name: "onRequest", hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: (error?: Error) => void) => void): unknown;
  decorateRequest(property: "auth", value: undefined): unknown;
  hasRequestDecorator(property: "auth"): boolean;
}

/**
 * Options of the {@link fastifyAuth} plugin.
 *
 * @example
 * ```ts
 * const options: FastifyAuthOptions = { verifier, realm: "orders", optional: true };
 * await api.register(fastifyAuth, options);
 * ```
 */
export interface FastifyAuthOptions extends AuthOptions {
  verifier: Verifier;
}

/** Answers a refusal the Fastify way: send, then return the reply from the async hook. */
export function sendRefusal(reply: FastifyReplyLike, refusal: { status: number; headers: Record<string, string>; body: string }): FastifyReplyLike {
  return reply.code(refusal.status).headers(refusal.headers).send(refusal.body);
}

async function plugin(instance: FastifyInstanceLike, options: FastifyAuthOptions): Promise<void> {
  const authenticator = makeAuthenticator(options.verifier, options);
  if (!instance.hasRequestDecorator("auth")) instance.decorateRequest("auth", undefined);
  const finish = (result: AuthResult, request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void): void => {
    if (!result.ok) {
      sendRefusal(reply, result.refusal); // answered: Fastify wants no done() after an early send
      return;
    }
    request.auth = result.claims;
    rememberRealm(request, authenticator.realm);
    done();
  };
  // Callback style, not async: a cache hit then completes without a promise.
  instance.addHook("onRequest", (request, reply, done) => {
    let result;
    try {
      result = authenticator.authenticate(request.headers.authorization);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (isPromise(result)) result.then((r) => finish(r, request, reply, done), done);
    else finish(result, request, reply, done);
  });
}

/**
 * Fastify plugin: every route in the scope it is registered in requires a
 * valid Bearer token (`request.auth` holds its claims), else 401 with
 * `WWW-Authenticate` (503 when keys cannot be fetched). Like `fastify-plugin`,
 * it is not encapsulated: register it inside the scope you want protected.
 * Ships from `tessera/verify`.
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { createVerifier, fastifyAuth, requireScope } from "tessera/verify";
 *
 * const app = Fastify();
 * const verifier = createVerifier({ issuer: "http://localhost:3000" });
 * app.register(async (api) => {
 *   await api.register(fastifyAuth, { verifier });
 *   api.get("/orders", { preHandler: requireScope("orders:read").fastify }, async (req) => ({ user: req.auth?.sub }));
 * });
 * ```
 */
export const fastifyAuth = Object.assign(plugin, {
  // What fastify-plugin sets: run in the registering scope, show a name in errors.
  [Symbol.for("skip-override")]: true,
  [Symbol.for("fastify.display-name")]: "tessera-verify",
});
