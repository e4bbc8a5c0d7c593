/** `POST /auth/password`: change the password; every other session of the user ends. */
import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import type { Tessera } from "../../core/api.js";
import { principalOf } from "../shared/authenticate.js";
import { closedSignal } from "../shared/closed-signal.js";
import { requestMeta } from "../shared/request-meta.js";
import { stepUp } from "./mfa/factors.js";

interface PasswordBody {
  current_password: string;
  new_password: string;
}

const schema = {
  body: {
    type: "object",
    required: ["current_password", "new_password"],
    properties: {
      current_password: { type: "string", maxLength: 1024 },
      new_password: { type: "string", maxLength: 1024 },
    },
  },
} as const;

export function passwordRoute(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): void {
  app.post<{ Body: PasswordBody }>("/auth/password", { schema, preHandler: authenticate }, async (request, reply) => {
    stepUp(tessera, request); // RFC 9470: a stolen, long-lived session cannot change the password
    await tessera.account.changePassword(principalOf(request), request.body.current_password, request.body.new_password, { ...requestMeta(request), signal: closedSignal(reply) });
    return reply.code(204).send();
  });
}
