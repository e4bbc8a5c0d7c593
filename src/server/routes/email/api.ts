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

const email = { type: "string", maxLength: 320 } as const;
const tags = ["email"];

export function emailApiRoutes(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): void {
  const mail = tessera.mail.service;

  app.post("/auth/email/verify/send", {
    preHandler: authenticate,
    schema: { tags, summary: "Send the verification message again", description: "To the signed-in user's unverified address. 202." },
  }, async (request, reply) => {
    const p = principalOf(request);
    await mail.resendVerification(p.user, requestMeta(request));
    return noStore(reply).code(202).send();
  });

  app.post<{ Body: { token: string } }>("/auth/email/verify", {
    preValidation: jsonBodyOnly(),
    schema: {
      tags, summary: "Verify an address with the token (or code) of its message", description: "204; `/userinfo` then says `email_verified: true`.",
      body: { type: "object", required: ["token"], additionalProperties: false, properties: { token: { type: "string", maxLength: 64 } } },
    },
  }, async (request, reply) => {
    noStore(reply);
    await tessera.mail.verifyAddress(request.body.token, requestMeta(request));
    return reply.code(204).send();
  });

  app.post<{ Body: { email?: string; username?: string } }>("/auth/password/forgot", {
    preValidation: jsonBodyOnly(),
    schema: {
      tags, summary: "Ask for a password-reset message",
      description: "202 whether or not the account exists; the message goes to a verified address only, sent after the answer.",
      body: { type: "object", additionalProperties: false, minProperties: 1, maxProperties: 1, properties: { email, username: { type: "string", maxLength: 256 } } },
    },
  }, async (request, reply) => {
    await mail.forgotPassword(request.body, requestMeta(request));
    return noStore(reply).code(202).send();
  });

  app.post<{ Body: { email: string; password: string } }>("/auth/email", {
    preHandler: authenticate,
    schema: {
      tags, summary: "Change the address", description: "202: a verification to the new address, a notice to the old one; the address changes when the new one is verified.",
      body: { type: "object", required: ["email", "password"], additionalProperties: false, properties: { email, password: { type: "string", maxLength: 1024 } } },
    },
  }, async (request, reply) => {
    await mail.changeEmail(principalOf(request).user, request.body.email, request.body.password, requestMeta(request));
    return noStore(reply).code(202).send();
  });

  app.post<{ Body: { email: string } }>("/auth/otp/send", {
    preValidation: jsonBodyOnly(),
    schema: {
      tags, summary: "Send a 6-digit sign-in code", description: "202 for every address; a code goes to a verified address only.",
      body: { type: "object", required: ["email"], additionalProperties: false, properties: { email } },
    },
  }, async (request, reply) => {
    await mail.sendCode(request.body.email, requestMeta(request));
    return noStore(reply).code(202).send();
  });
}
