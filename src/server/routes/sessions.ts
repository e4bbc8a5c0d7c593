/** The caller's own sessions: list, end one, end the current one, end all. */
import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import type { Tessera } from "../../core/tessera.js";
import { principalOf } from "../shared/authenticate.js";
import { noStore } from "../shared/no-store.js";
import { requestMeta } from "../shared/request-meta.js";
import { endSessionSchema, listSessionsSchema, logoutAllSchema, logoutSchema } from "../schemas/account.js";

export function sessionRoutes(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): void {
  app.get("/auth/sessions", { schema: listSessionsSchema, preHandler: authenticate }, async (request, reply) => {
    noStore(reply);
    return tessera.listSessions(principalOf(request));
  });

  app.delete<{ Params: { id: string } }>("/auth/sessions/:id", { schema: endSessionSchema, preHandler: authenticate }, async (request, reply) => {
    const p = principalOf(request);
    await tessera.sessions.endOwn(p.user.id, request.params.id, "revoked", requestMeta(request));
    return reply.code(204).send();
  });

  app.post("/auth/logout", { schema: logoutSchema, preHandler: authenticate }, async (request, reply) => {
    const p = principalOf(request);
    await tessera.sessions.end(p.session.id, "logout", { userId: p.user.id, ...requestMeta(request) });
    return reply.code(204).send();
  });

  app.post("/auth/logout-all", { schema: logoutAllSchema, preHandler: authenticate }, async (request, reply) => {
    await tessera.sessions.endAll(principalOf(request).user.id, "logout_all", requestMeta(request));
    return reply.code(204).send();
  });
}
