/**
 * `POST /session/otp {email, code}`: a cookie session from an emailed code. JSON
 * only and an allowed Origin, like `/session/login`'s contract, so no cross-site
 * form can sign a browser in.
 */
import type { FastifyInstance } from "fastify";
import { WEB_CLIENT_ID } from "../../core/api.js";
import type { Tessera } from "../../core/api.js";
import { fromTrustedPage, jsonBodyOnly } from "../shared/browser-request.js";
import { answerCookieLogin } from "../shared/cookie-login.js";
import { noStore } from "../shared/no-store.js";
import { requestMeta } from "../shared/request-meta.js";
import { sessionOtpSchema as schema } from "../schemas/cookie-session.js";


export function sessionOtpRoute(app: FastifyInstance, tessera: Tessera): void {
  app.post<{ Body: { email: string; code: string } }>("/session/otp", {
    schema,
    onRequest: [jsonBodyOnly(), fromTrustedPage(tessera.config)],
  }, async (request, reply) => {
    noStore(reply);
    const client = await tessera.clients.authenticate({ clientId: WEB_CLIENT_ID });
    const scope = tessera.clients.resolveScope(client, undefined, tessera.config.defaultScopes);
    const { email, code } = request.body;
    const login = await tessera.cookieSessions.loginWithCode(client, email, () => tessera.mail.service.checkCode(email, code), scope, requestMeta(request));
    return answerCookieLogin(tessera, request, reply, login);
  });
}
