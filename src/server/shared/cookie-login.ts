/**
 * The answer of every cookie sign-in (`/session/login`, `/session/mfa`,
 * `/session/passkey`, `/session/otp`): the session the browser came with ends
 * (core: session fixation), the new session's cookies are set, and the CSRF
 * token goes back in the body.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { CookieLogin } from "../../core/api.js";
import type { Tessera } from "../../core/api.js";
import { setSessionCookies, SESSION_COOKIE } from "./cookies.js";
import { requestMeta } from "./request-meta.js";

export async function answerCookieLogin(tessera: Tessera, request: FastifyRequest, reply: FastifyReply, login: CookieLogin) {
  await tessera.cookieSessions.replaced(request.cookies[SESSION_COOKIE], requestMeta(request));
  setSessionCookies(reply, login.secret, login.csrfToken, login.maxAgeSeconds);
  const answer = { csrf_token: login.csrfToken, expires_in: login.maxAgeSeconds };
  return login.recoveryCodes ? { ...answer, recovery_codes: login.recoveryCodes } : answer;
}
