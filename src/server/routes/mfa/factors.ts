/**
 * The caller's second factors (docs/mfa.md): list, enrol and confirm an
 * authenticator app, remove a factor, make new recovery codes. Removing and
 * new codes need a recent sign-in (RFC 9470 step-up). A user whose role
 * requires a factor enrols one during sign-in with the mfa_token of
 * mfa_enrollment_required (`POST /auth/mfa-enrollment/totp`).
 */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import type { Tessera } from "../../../core/api.js";
import { principalOf } from "../../shared/authenticate.js";
import { clientCredentials } from "../../shared/client-auth.js";
import { noStore } from "../../shared/no-store.js";
import { requestMeta } from "../../shared/request-meta.js";
import { confirmTotpSchema, enrolTotpSchema, signInEnrolTotpSchema, listFactorsSchema, recoveryCodesSchema, removeFactorSchema } from "../../schemas/mfa.js";

export function stepUp(tessera: Tessera, request: FastifyRequest): void {
  tessera.factors.assertRecentSignIn(principalOf(request));
}

export function factorRoutes(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): void {
  app.get("/auth/factors", { schema: listFactorsSchema, preHandler: authenticate }, async (request, reply) => {
    noStore(reply);
    return tessera.factors.list(principalOf(request).user.id);
  });

  app.post<{ Body: { name?: string } | null }>("/auth/factors/totp", { schema: enrolTotpSchema, preHandler: authenticate }, async (request, reply) => {
    noStore(reply);
    const p = principalOf(request);
    return tessera.factors.enrolTotp(p.user, request.body?.name, requestMeta(request));
  });

  // No session yet: the enrolment mfa_token (and the client, as at the token endpoint) says who enrols.
  app.post<{ Body: { mfa_token: string; name?: string; client_id?: string; client_secret?: string } }>("/auth/mfa-enrollment/totp", { schema: signInEnrolTotpSchema }, async (request, reply) => {
    noStore(reply);
    return tessera.mfa.enrolTotpForSignIn(clientCredentials(request, request.body), request.body.mfa_token, request.body.name, requestMeta(request));
  });

  app.post<{ Body: { factor_id: string; code: string } }>("/auth/factors/totp/confirm", { schema: confirmTotpSchema, preHandler: authenticate }, async (request, reply) => {
    noStore(reply);
    return tessera.factors.confirmTotp(principalOf(request).user.id, request.body.factor_id, request.body.code, requestMeta(request));
  });

  app.delete<{ Params: { id: string } }>("/auth/factors/:id", { schema: removeFactorSchema, preHandler: authenticate }, async (request, reply) => {
    stepUp(tessera, request);
    await tessera.factors.remove(principalOf(request).user.id, request.params.id, requestMeta(request));
    return reply.code(204).send();
  });

  app.post("/auth/recovery-codes", { schema: recoveryCodesSchema, preHandler: authenticate }, async (request, reply) => {
    noStore(reply);
    stepUp(tessera, request);
    const userId = principalOf(request).user.id;
    await tessera.factors.assertHasFactor(userId);
    return { recovery_codes: await tessera.factors.newRecoveryCodes(userId, requestMeta(request)) };
  });
}
