/**
 * The Express adapter (Express 4 and 5): a middleware that sets `req.auth`.
 * Express's request is a `node:http` request, so it shares the node
 * adapter's result handling, plus the `Express.Request` augmentation.
 *
 * @module tessera/verify
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { makeAuthenticator, type AuthOptions } from "../lib/authenticate.js";
import { isPromise } from "../lib/verify-now.js";
import { applyResult } from "../node-auth/index.js";
import type { AccessTokenClaims, Verifier } from "../types.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own augmentation point
  namespace Express {
    interface Request {
      /** The verified access token's claims, set by `expressAuth`. */
      auth?: AccessTokenClaims;
    }
  }
}

/**
 * An Express/connect middleware. Typed on node:http so it fits Express 4 and 5 alike.
 *
 * @example
 * ```ts
 * const auth: ExpressMiddleware = expressAuth(verifier);
 * app.use("/api", auth);
 * ```
 */
export type ExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Express middleware: verifies `Authorization: Bearer`, sets `req.auth`, or
 * answers 401 with `WWW-Authenticate` (503 when the issuer's keys cannot be
 * fetched). Unexpected errors go to `next(err)`. Ships from `tessera/verify`.
 *
 * @example
 * ```ts
 * import express from "express";
 * import { createVerifier, expressAuth, requireScope } from "tessera/verify";
 *
 * const verifier = createVerifier({ issuer: "http://localhost:3000", audience: "my-api" });
 * const app = express();
 * app.use(expressAuth(verifier));
 * app.get("/orders", requireScope("orders:read"), (req, res) => res.json({ user: req.auth?.sub }));
 * ```
 */
export function expressAuth(verifier: Verifier, options?: AuthOptions): ExpressMiddleware {
  const authenticator = makeAuthenticator(verifier, options);
  return (req, res, next) => {
    let result;
    try {
      result = authenticator.authenticate(req.headers.authorization);
    } catch (error) {
      next(error);
      return;
    }
    // A cache hit is answered synchronously: no promise on the hot path.
    if (isPromise(result)) result.then((r) => { if (applyResult(r, req, res, authenticator.realm)) next(); }, next);
    else if (applyResult(result, req, res, authenticator.realm)) next();
  };
}
