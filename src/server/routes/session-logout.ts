/**
 * `POST /session/logout`: ends the cookie session and clears the cookies. A
 * live session needs the CSRF proof (or any site could log users out); without
 * a live session there is nothing to protect, and the answer is the same 204.
 * Either way the request must come from an allowed page and carry no body but
 * JSON, like the login: no cross-site form reaches it.
 */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../core/api.js";
import { fromTrustedPage, jsonBodyOnly } from "../shared/browser-request.js";
import { assertCsrf } from "../shared/cookie-auth.js";
import { clearSessionCookies, SESSION_COOKIE } from "../shared/cookies.js";
import { allowedOrigins } from "../shared/origins.js";
import { requestMeta } from "../shared/request-meta.js";
import { sessionLogoutSchema } from "../schemas/cookie-session.js";

export function sessionLogoutRoute(app: FastifyInstance, tessera: Tessera): void {
  const trusted = allowedOrigins(tessera.config);
  app.post("/session/logout", { schema: sessionLogoutSchema, onRequest: [jsonBodyOnly(), fromTrustedPage(tessera.config)] }, async (request, reply) => {
    const secret = request.cookies[SESSION_COOKIE];
    const found = secret ? await tessera.cookieSessions.resolve(secret) : undefined;
    if (found) {
      assertCsrf(tessera, request, found.session.id, trusted);
      await tessera.sessions.end(found.session.id, "logout", { userId: found.user.id, ...requestMeta(request) });
    }
    clearSessionCookies(reply);
    return reply.code(204).send();
  });
}
