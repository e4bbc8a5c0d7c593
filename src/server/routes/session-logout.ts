/**
 * `POST /session/logout`: ends the cookie session and clears the cookies. A
 * live session needs the CSRF proof (or any site could log users out); without
 * a live session there is nothing to protect, and the answer is the same 204.
 */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../core/tessera.js";
import { assertCsrf } from "../shared/cookie-auth.js";
import { clearSessionCookies, SESSION_COOKIE } from "../shared/cookies.js";
import { allowedOrigins } from "../shared/origins.js";
import { requestMeta } from "../shared/request-meta.js";

export function sessionLogoutRoute(app: FastifyInstance, tessera: Tessera): void {
  const trusted = allowedOrigins(tessera.config);
  app.post("/session/logout", async (request, reply) => {
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
