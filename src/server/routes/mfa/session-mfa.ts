/**
 * `POST /session/mfa`: the second step of a cookie sign-in, with the same
 * fields as the mfa grant; JSON only, from an allowed Origin, like
 * `/session/login`. The answer is the usual cookie-session one.
 */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../../core/api.js";
import { fromTrustedPage, jsonBodyOnly } from "../../shared/browser-request.js";
import { answerCookieLogin } from "../../shared/cookie-login.js";
import { noStore } from "../../shared/no-store.js";
import { requestMeta } from "../../shared/request-meta.js";
import { secondStepInput } from "../grants/mfa.js";
import { sessionMfaSchema as schema } from "../../schemas/cookie-session.js";

interface MfaBody {
  mfa_token?: string;
  otp?: string;
  recovery_code?: string;
  webauthn?: unknown;
}


export function sessionMfaRoute(app: FastifyInstance, tessera: Tessera): void {
  // JSON only, from an allowed page, like /session/login (login CSRF).
  app.post<{ Body: MfaBody }>("/session/mfa", { schema, onRequest: [jsonBodyOnly(), fromTrustedPage(tessera.config)] }, async (request, reply) => {
    noStore(reply);
    const login = await tessera.mfa.cookieLogin(secondStepInput(request.body), requestMeta(request));
    return answerCookieLogin(tessera, request, reply, login);
  });
}
