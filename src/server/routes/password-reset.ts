/**
 * `POST /auth/password/reset {reset_token, new_password}` → 204: spends the
 * one-time token an admin issued (docs/admin.md) and sets the new password;
 * every session of the user ends. Every bad token gets one answer, and
 * refused tokens count against the caller's address like refresh tokens.
 */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../core/api.js";
import { noStore } from "../shared/no-store.js";
import { closedSignal } from "../shared/closed-signal.js";
import { requestMeta } from "../shared/request-meta.js";

interface ResetBody {
  reset_token: string;
  new_password: string;
}

const schema = {
  description: "Sets a new password with a one-time reset token issued by an admin. Every session of the user ends.",
  body: {
    type: "object",
    required: ["reset_token", "new_password"],
    properties: {
      reset_token: { type: "string", maxLength: 128 },
      new_password: { type: "string", maxLength: 1024 },
    },
  },
} as const;

export function passwordResetRoute(app: FastifyInstance, tessera: Tessera): void {
  app.post<{ Body: ResetBody }>("/auth/password/reset", { schema }, async (request, reply) => {
    noStore(reply);
    await tessera.resets.redeem(request.body.reset_token, request.body.new_password, { ...requestMeta(request), signal: closedSignal(reply) });
    return reply.code(204).send();
  });
}
