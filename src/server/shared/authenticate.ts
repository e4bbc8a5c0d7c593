/**
 * The protected-route step: finds the caller's credentials and resolves them to
 * a live session. A Bearer header wins over a session cookie. A token in the
 * query string (`?access_token=`) is never looked at: URLs end up in logs.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { TesseraError } from "../../core/errors.js";
import type { Principal, Tessera } from "../../core/api.js";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Another way to prove who is calling (the cookie-session module adds one). */
export type CredentialResolver = (request: FastifyRequest, reply: FastifyReply) => Promise<Principal | null>;

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match) throw new TesseraError("invalid_token", "The Authorization header is not a Bearer token.", { detail: "malformed header" });
  return match[1]!;
}

export function makeAuthenticate(tessera: Tessera, fallbacks: CredentialResolver[]) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = bearerToken(request);
    if (token !== null) {
      request.principal = await tessera.tokens.authenticateBearer(token);
      return;
    }
    for (const resolve of fallbacks) {
      const principal = await resolve(request, reply);
      if (principal) {
        request.principal = principal;
        return;
      }
    }
    throw new TesseraError("unauthorized", "Authentication is required.");
  };
}

/** The principal of an authenticated route (the preHandler guarantees it). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new TesseraError("unauthorized", "Authentication is required.");
  return request.principal;
}
