/** `GET /userinfo`: who the caller is, and which credential proved it. */
import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import type { Tessera } from "../../core/api.js";
import { principalOf } from "../shared/authenticate.js";
import { noStore } from "../shared/no-store.js";
import { userinfoSchema } from "../schemas/account.js";

export function userinfoRoute(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): void {
  app.get("/userinfo", { schema: userinfoSchema, preHandler: authenticate }, async (request, reply) => {
    noStore(reply);
    return tessera.account.userinfo(principalOf(request));
  });
}
