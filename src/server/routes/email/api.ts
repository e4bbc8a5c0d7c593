/**
 * The email routes of the contract (docs/email.md, shared API "Email"):
 * verification, password reset by email, address change, and sending a
 * sign-in code. Answers that must not tell whether an account exists are a
 * bare 202, whatever the address.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import type { Tessera } from "../../../core/api.js";
import { principalOf } from "../../shared/authenticate.js";
import { noStore } from "../../shared/no-store.js";
import { requestMeta } from "../../shared/request-meta.js";
import { jsonBodyOnly } from "../../shared/browser-request.js";
import { changeEmailSchema, forgotPasswordSchema, resendVerificationSchema, sendCodeSchema, verifyEmailSchema } from "../../schemas/email.js";

export function emailApiRoutes(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): void {
  const mail = tessera.mail.service;

  app.post("/auth/email/verify/send", {
    preHandler: authenticate,
    schema: resendVerificationSchema,
  }, async (request, reply) => {
    const p = principalOf(request);
    await mail.resendVerification(p.user, requestMeta(request));
    return noStore(reply).code(202).send();
  });

  app.post<{ Body: { token: string } }>("/auth/email/verify", {
    preValidation: jsonBodyOnly(),
    schema: verifyEmailSchema,
  }, async (request, reply) => {
    noStore(reply);
    await tessera.mail.verifyAddress(request.body.token, requestMeta(request));
    return reply.code(204).send();
  });

  app.post<{ Body: { email?: string; username?: string } }>("/auth/password/forgot", {
    preValidation: jsonBodyOnly(),
    schema: forgotPasswordSchema,
  }, async (request, reply) => {
    await mail.forgotPassword(request.body, requestMeta(request));
    return noStore(reply).code(202).send();
  });

  app.post<{ Body: { email: string; password: string } }>("/auth/email", {
    preHandler: authenticate,
    schema: changeEmailSchema,
  }, async (request, reply) => {
    await mail.changeEmail(principalOf(request).user, request.body.email, request.body.password, requestMeta(request));
    return noStore(reply).code(202).send();
  });

  app.post<{ Body: { email: string } }>("/auth/otp/send", {
    preValidation: jsonBodyOnly(),
    schema: sendCodeSchema,
  }, async (request, reply) => {
    await mail.sendCode(request.body.email, requestMeta(request));
    return noStore(reply).code(202).send();
  });
}
