/**
 * `POST /session/login`: a cookie session. Same credential check and failures
 * as the password grant. A cookie the browser already had is never promoted:
 * the new session gets a new secret, and the old session, if live, ends
 * (session fixation). JSON only, from an allowed origin: otherwise any site
 * could sign a visitor's browser into the attacker's account (login CSRF),
 * ending the visitor's own session on the way.
 */
import type { FastifyInstance } from "fastify";
import { WEB_CLIENT_ID } from "../../core/api.js";
import type { Tessera } from "../../core/api.js";
import { fromTrustedPage, jsonBodyOnly } from "../shared/browser-request.js";
import { answerCookieLogin } from "../shared/cookie-login.js";
import { noStore } from "../shared/no-store.js";
import { closedSignal } from "../shared/closed-signal.js";
import { requestMeta } from "../shared/request-meta.js";
import { sessionLoginSchema as schema } from "../schemas/cookie-session.js";

interface LoginBody {
  username: string;
  password: string;
}


export function sessionLoginRoute(app: FastifyInstance, tessera: Tessera): void {
  app.post<{ Body: LoginBody }>("/session/login", { schema, onRequest: [jsonBodyOnly(), fromTrustedPage(tessera.config)] }, async (request, reply) => {
    noStore(reply);
    const client = await tessera.clients.authenticate({ clientId: WEB_CLIENT_ID });
    const scope = tessera.clients.resolveScope(client, undefined, tessera.config.defaultScopes);
    const login = await tessera.cookieSessions.login(client, request.body.username, request.body.password, scope, { ...requestMeta(request), signal: closedSignal(reply) });
    return answerCookieLogin(tessera, request, reply, login);
  });
}
