/**
 * `POST /session/mfa`: the second step of a cookie sign-in, with the same
 * fields as the mfa grant; JSON only, from an allowed Origin, like
 * `/session/login`. The answer is the usual cookie-session one.
 */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../../core/tessera.js";
import { fromTrustedPage, jsonBodyOnly } from "../../shared/browser-request.js";
import { setSessionCookies, SESSION_COOKIE } from "../../shared/cookies.js";
import { noStore } from "../../shared/no-store.js";
import { requestMeta } from "../../shared/request-meta.js";
import type { CookieLogin } from "../../../core/cookie-sessions.js";
import type { FastifyReply, FastifyRequest } from "fastify";
import { secondStepInput } from "../grants/mfa.js";

interface MfaBody {
  mfa_token?: string;
  otp?: string;
  recovery_code?: string;
  webauthn?: unknown;
}

const schema = {
  body: {
    type: "object",
    required: ["mfa_token"],
    properties: {
      mfa_token: { type: "string", maxLength: 256 }, otp: { type: "string", maxLength: 64 }, recovery_code: { type: "string", maxLength: 64 },
      webauthn: { type: "object" },
    },
    additionalProperties: false,
  },
} as const;

/** A new cookie session replaces the one the browser came with (session fixation), as `/session/login` does. */
export async function answerCookieLogin(tessera: Tessera, request: FastifyRequest, reply: FastifyReply, login: CookieLogin) {
  const previous = request.cookies[SESSION_COOKIE];
  if (previous) {
    const old = await tessera.cookieSessions.resolve(previous);
    if (old) await tessera.sessions.end(old.session.id, "logout", { userId: old.user.id, ...requestMeta(request) });
  }
  setSessionCookies(reply, login.secret, login.csrfToken, login.maxAge);
  return { csrf_token: login.csrfToken, expires_in: login.maxAge };
}

export function sessionMfaRoute(app: FastifyInstance, tessera: Tessera): void {
  // JSON only, from an allowed page, like /session/login (login CSRF).
  app.post<{ Body: MfaBody }>("/session/mfa", { schema, onRequest: [jsonBodyOnly(), fromTrustedPage(tessera.config)] }, async (request, reply) => {
    noStore(reply);
    const login = await tessera.mfa.cookieLogin(secondStepInput(request.body), requestMeta(request));
    return answerCookieLogin(tessera, request, reply, login);
  });
}
