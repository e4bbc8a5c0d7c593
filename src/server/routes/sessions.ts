/** The caller's own sessions: list, end one, end the current one, end all. */
import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import type { Tessera } from "../../core/api.js";
import { principalOf } from "../shared/authenticate.js";
import { noStore } from "../shared/no-store.js";
import { requestMeta } from "../shared/request-meta.js";
import { endSessionSchema, listSessionsSchema, logoutAllSchema, logoutSchema } from "../schemas/account.js";

export function sessionRoutes(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): void {
  app.get("/auth/sessions", { schema: listSessionsSchema, preHandler: authenticate }, async (request, reply) => {
    noStore(reply);
    return tessera.account.sessions(principalOf(request));
  });

  app.delete<{ Params: { id: string } }>("/auth/sessions/:id", { schema: endSessionSchema, preHandler: authenticate }, async (request, reply) => {
    const p = principalOf(request);
    await tessera.account.endSession(p, request.params.id, requestMeta(request));
    return reply.code(204).send();
  });

  app.post("/auth/logout", { schema: logoutSchema, preHandler: authenticate }, async (request, reply) => {
    const p = principalOf(request);
    await tessera.account.endCurrentSession(p, requestMeta(request));
    return reply.code(204).send();
  });

  app.post("/auth/logout-all", { schema: logoutAllSchema, preHandler: authenticate }, async (request, reply) => {
    await tessera.account.endAllSessions(principalOf(request), requestMeta(request));
    return reply.code(204).send();
  });
}
