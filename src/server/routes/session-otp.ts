/**
 * `POST /session/otp {email, code}`: a cookie session from an emailed code. JSON
 * only and an allowed Origin, like `/session/login`'s contract, so no cross-site
 * form can sign a browser in.
 */
import type { FastifyInstance } from "fastify";
import { WEB_CLIENT_ID } from "../../core/clients.js";
import { TesseraError } from "../../core/errors.js";
import type { Tessera } from "../../core/tessera.js";
import { setSessionCookies, SESSION_COOKIE } from "../shared/cookies.js";
import { noStore } from "../shared/no-store.js";
import { allowedOrigins, requestOrigin } from "../shared/origins.js";
import { requestMeta } from "../shared/request-meta.js";
import { jsonOnly } from "./email/json-only.js";

const schema = {
  body: {
    type: "object", required: ["email", "code"], additionalProperties: false,
    properties: { email: { type: "string", maxLength: 320 }, code: { type: "string", maxLength: 16 } },
  },
} as const;

export function sessionOtpRoute(app: FastifyInstance, tessera: Tessera): void {
  const trusted = allowedOrigins(tessera.config);
  app.post<{ Body: { email: string; code: string } }>("/session/otp", {
    schema,
    preValidation: [jsonOnly, async (request) => {
      const origin = requestOrigin(request);
      if (origin !== undefined && !trusted.has(origin)) throw new TesseraError("csrf_failed", "The request comes from an origin that is not allowed.", { detail: `origin ${origin.slice(0, 100)}` });
    }],
  }, async (request, reply) => {
    noStore(reply);
    const client = await tessera.clients.authenticate({ clientId: WEB_CLIENT_ID });
    const scope = tessera.clients.resolveScope(client, undefined, tessera.config.defaultScopes);
    const { email, code } = request.body;
    const login = await tessera.cookieSessions.loginWithCode(client, email, () => tessera.mail.service.checkCode(email, code), scope, requestMeta(request));
    const previous = request.cookies[SESSION_COOKIE];
    if (previous) {
      const old = await tessera.cookieSessions.resolve(previous);
      if (old) await tessera.sessions.end(old.session.id, "logout", { userId: old.user.id, ...requestMeta(request) });
    }
    setSessionCookies(reply, login.secret, login.csrfToken, login.maxAge);
    return { csrf_token: login.csrfToken, expires_in: login.maxAge };
  });
}
