/**
 * Passkeys (docs/mfa.md): creation options and enrolment for the signed-in
 * user; sign-in options (no auth) for a discoverable credential or
 * conditional UI; options for a passkey as the second step, and for one
 * enrolled during a sign-in that requires a factor; the passwordless
 * sign-in as a cookie session (`POST /session/passkey`, JSON from an allowed
 * Origin). The token-endpoint grant is in grants/passkey.ts.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import type { Tessera } from "../../../core/api.js";
import { principalOf } from "../../shared/authenticate.js";
import { fromTrustedPage, jsonBodyOnly } from "../../shared/browser-request.js";
import { clientCredentials } from "../../shared/client-auth.js";
import { noStore } from "../../shared/no-store.js";
import { requestMeta } from "../../shared/request-meta.js";
import { answerCookieLogin } from "../../shared/cookie-login.js";
import { passkeyLoginOptionsSchema, passkeyMfaOptionsSchema, passkeyOptionsSchema, registerPasskeySchema, signInEnrolPasskeyOptionsSchema } from "../../schemas/mfa.js";
import { sessionPasskeySchema } from "../../schemas/cookie-session.js";

export function passkeyRoutes(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): void {
  app.post("/auth/passkeys/options", { schema: passkeyOptionsSchema, preHandler: authenticate }, async (request, reply) => {
    noStore(reply);
    return tessera.mfa.passkeys().registrationOptions(principalOf(request).user);
  });

  app.post<{ Body: { response: unknown; name?: string } }>("/auth/passkeys", { schema: registerPasskeySchema, preHandler: authenticate }, async (request, reply) => {
    noStore(reply);
    const created = await tessera.mfa.passkeys().register(principalOf(request).user, request.body.response, request.body.name, requestMeta(request));
    return reply.code(201).send(created);
  });

  // No session yet: the enrolment mfa_token (and the client, as at the token endpoint) says who enrols.
  app.post<{ Body: { mfa_token: string; client_id?: string; client_secret?: string } }>("/auth/mfa-enrollment/passkey/options", { schema: signInEnrolPasskeyOptionsSchema }, async (request, reply) => {
    noStore(reply);
    return tessera.mfa.enrolPasskeyOptionsForSignIn(clientCredentials(request, request.body), request.body.mfa_token);
  });

  app.post("/auth/passkeys/login-options", { schema: passkeyLoginOptionsSchema }, async (_request, reply) => {
    noStore(reply);
    return tessera.mfa.passkeys().loginOptions();
  });

  app.post<{ Body: { mfa_token: string; client_id?: string; client_secret?: string } }>("/auth/passkeys/mfa-options", { schema: passkeyMfaOptionsSchema }, async (request, reply) => {
    noStore(reply);
    return tessera.mfa.secondStepPasskeyOptions(clientCredentials(request, request.body), request.body.mfa_token);
  });

  app.post<{ Body: { challenge_id: string; webauthn: unknown } }>("/session/passkey", {
    schema: sessionPasskeySchema,
    onRequest: [jsonBodyOnly(), fromTrustedPage(tessera.config)],
  }, async (request, reply) => {
    noStore(reply);
    const login = await tessera.mfa.passkeyCookieLogin(request.body.challenge_id, request.body.webauthn, requestMeta(request));
    return answerCookieLogin(tessera, request, reply, login);
  });
}
