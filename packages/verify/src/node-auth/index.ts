/**
 * The `node:http` adapter, connect-style, so it also serves connect, polka
 * and Express (whose adapter is this one with Express's name and types).
 *
 * @module tessera/verify
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Refusal } from "../lib/bearer.js";
import { makeAuthenticator, type AuthOptions, type AuthResult } from "../lib/authenticate.js";
import { rememberRealm } from "../lib/realm.js";
import type { AccessTokenClaims, Verifier } from "../types.js";

declare module "http" {
  interface IncomingMessage {
    /** The verified access token's claims, set by `nodeAuth`/`expressAuth`. */
    auth?: AccessTokenClaims;
  }
}

/**
 * What `nodeAuth` returns: resolves true when the request may go on (and
 * calls `next` if given), false after it has answered 401/503 itself.
 *
 * @example
 * ```ts
 * const authenticate: NodeAuthHandler = nodeAuth(verifier);
 * if (!(await authenticate(req, res))) return;
 * ```
 */
export type NodeAuthHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => Promise<boolean>;

/** Applies an authentication result: sets `req.auth`, or answers the refusal. True when the request may go on. */
export function applyResult(result: AuthResult, req: IncomingMessage, res: ServerResponse, realm: string): boolean {
  if (!result.ok) {
    writeRefusal(res, result.refusal);
    return false;
  }
  if (result.claims) req.auth = result.claims;
  rememberRealm(req, realm);
  return true;
}

/** Writes a refusal unless something already answered. */
export function writeRefusal(res: ServerResponse, refusal: Refusal): void {
  if (res.headersSent) return;
  res.writeHead(refusal.status, refusal.headers).end(refusal.body);
}

/**
 * Authenticates a `node:http` request from its `Authorization: Bearer`
 * header, sets `req.auth`, or answers 401 (`WWW-Authenticate` per RFC 6750)
 * / 503 itself. Ships from `tessera/verify`.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createVerifier, nodeAuth, requireScope } from "tessera/verify";
 *
 * const auth = nodeAuth(createVerifier({ issuer: "http://localhost:3000" }));
 * const canRead = requireScope("orders:read");
 * createServer(async (req, res) => {
 *   if (!(await auth(req, res)) || !canRead(req, res)) return; // already answered
 *   res.end(`hello ${req.auth?.sub}`);
 * }).listen(8080);
 * ```
 */
export function nodeAuth(verifier: Verifier, options?: AuthOptions): NodeAuthHandler {
  const authenticator = makeAuthenticator(verifier, options);
  return async (req, res, next) => {
    let result;
    try {
      result = await authenticator.authenticate(req.headers.authorization);
    } catch (error) {
      if (!next) throw error;
      next(error);
      return false;
    }
    const allowed = applyResult(result, req, res, authenticator.realm);
    if (allowed) next?.();
    return allowed;
  };
}
