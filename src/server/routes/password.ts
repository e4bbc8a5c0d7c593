/** `POST /auth/password`: change the password; every other session of the user ends. */
import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import type { Tessera } from "../../core/api.js";
import { principalOf } from "../shared/authenticate.js";
import { closedSignal } from "../shared/closed-signal.js";
import { requestMeta } from "../shared/request-meta.js";
import { stepUp } from "./mfa/factors.js";
import { changePasswordSchema as schema } from "../schemas/account.js";

interface PasswordBody {
  current_password: string;
  new_password: string;
}


export function passwordRoute(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): void {
  app.post<{ Body: PasswordBody }>("/auth/password", { schema, preHandler: authenticate }, async (request, reply) => {
    stepUp(tessera, request); // RFC 9470: a stolen, long-lived session cannot change the password
    await tessera.account.changePassword(principalOf(request), request.body.current_password, request.body.new_password, { ...requestMeta(request), signal: closedSignal(reply) });
    return reply.code(204).send();
  });
}
