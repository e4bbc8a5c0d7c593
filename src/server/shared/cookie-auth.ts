/**
 * Authentication by session cookie, with the CSRF defence for unsafe methods:
 * the X-CSRF-Token header must match the session (HMAC of its id) and the
 * Origin (or Referer) must be one we trust. Either failing is 403 csrf_failed.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { TesseraError } from "../../core/errors.js";
import type { Principal, Tessera } from "../../core/api.js";
import type { CredentialResolver } from "./authenticate.js";
import { clearSessionCookies, SESSION_COOKIE, setSessionCookies } from "./cookies.js";
import { allowedOrigins, requestOrigin, type TrustedOrigins } from "./origins.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function csrfFailed(detail: string): TesseraError {
  return new TesseraError("csrf_failed", "The request lacks a valid CSRF token or comes from an origin that is not allowed.", { detail });
}

export function makeCookieResolver(tessera: Tessera): CredentialResolver {
  const trusted = allowedOrigins(tessera.config);
  return async function resolveCookie(request: FastifyRequest, reply: FastifyReply): Promise<Principal | null> {
    const secret = request.cookies[SESSION_COOKIE];
    if (!secret) return null;
    const found = await tessera.cookieSessions.resolve(secret);
    if (!found) {
      clearSessionCookies(reply); // ended or unknown: stop the browser from sending it
      return null;
    }
    if (!SAFE_METHODS.has(request.method)) assertCsrf(tessera, request, found.session.id, trusted);
    const maxAgeSeconds = await tessera.cookieSessions.touch(found.session);
    // Sliding expiry: the same cookie values with a new Max-Age.
    if (maxAgeSeconds !== undefined) setSessionCookies(reply, secret, tessera.cookieSessions.csrfTokenFor(found.session.id), maxAgeSeconds);
    return { auth: "cookie", user: found.user, session: found.session };
  };
}

export function assertCsrf(tessera: Tessera, request: FastifyRequest, sessionId: string, trusted: TrustedOrigins): void {
  const origin = requestOrigin(request);
  if (origin === undefined) throw csrfFailed("no Origin or Referer");
  if (!trusted.has(origin)) throw csrfFailed(`origin ${origin.slice(0, 100)} not allowed`);
  const header = request.headers["x-csrf-token"];
  if (!tessera.cookieSessions.verifyCsrf(sessionId, typeof header === "string" ? header : undefined)) throw csrfFailed("token mismatch");
}
