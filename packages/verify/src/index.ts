/**
 * `tessera/verify`: verify Tessera access tokens in any API or microservice.
 * Depends on `jose` only; on Node it verifies with synchronous node:crypto,
 * elsewhere with WebCrypto. Adapters: Express, Fastify, Hono, node:http.
 *
 * @example
 * ```ts
 * import { createVerifier, expressAuth, requireScope } from "tessera/verify";
 *
 * const verifier = createVerifier({ issuer: "http://localhost:3000", audience: "my-api" });
 * app.use(expressAuth(verifier));
 * app.get("/orders", requireScope("orders:read"), (req, res) => res.json(req.auth));
 * ```
 *
 * @module tessera/verify
 */
export { createVerifier } from "./create-verifier.js";
export { VerifyError, InsufficientScopeError, InsufficientAuthenticationError, verifyErrorCodes, type VerifyErrorCode, type BearerError } from "./errors.js";
export { requireScope, requireRole, requireAmr, requireAuthTime, type Guard } from "./guards.js";
export { expressAuth, type ExpressMiddleware } from "./express-auth/index.js";
export { fastifyAuth, type FastifyAuthOptions, type FastifyInstanceLike, type FastifyReplyLike, type FastifyRequestLike } from "./fastify-auth/index.js";
export { honoAuth } from "./hono-auth/index.js";
export { nodeAuth, type NodeAuthHandler } from "./node-auth/index.js";
export type { AuthOptions } from "./lib/authenticate.js";
export type {
  AccessTokenClaims, Algorithm, FetchLike, HttpResponseLike, JsonWebKeySet, JwksOptions, RevocationOptions,
  TokenCacheOptions, Verifier, VerifierLogger, VerifierOptions, VerifierStatus,
} from "./types.js";
