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
import { passwordResetSchema as schema } from "../schemas/account.js";

interface ResetBody {
  reset_token: string;
  new_password: string;
}


export function passwordResetRoute(app: FastifyInstance, tessera: Tessera): void {
  app.post<{ Body: ResetBody }>("/auth/password/reset", { schema }, async (request, reply) => {
    noStore(reply);
    await tessera.resets.redeem(request.body.reset_token, request.body.new_password, { ...requestMeta(request), signal: closedSignal(reply) });
    return reply.code(204).send();
  });
}
