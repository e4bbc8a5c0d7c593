/** `POST /auth/register`: a new account with the role `user`. JSON only (a cross-site form cannot send it). */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../core/api.js";
import { jsonBodyOnly } from "../shared/browser-request.js";
import { noStore } from "../shared/no-store.js";
import { closedSignal } from "../shared/closed-signal.js";
import { requestMeta } from "../shared/request-meta.js";
import { registerSchema as schema } from "../schemas/account.js";

interface RegisterBody {
  username: string;
  password: string;
  email?: string | null;
}


export function registerRoute(app: FastifyInstance, tessera: Tessera): void {
  app.post<{ Body: RegisterBody }>("/auth/register", { schema, onRequest: jsonBodyOnly() }, async (request, reply) => {
    const user = await tessera.users.register(request.body, { ...requestMeta(request), signal: closedSignal(reply) });
    noStore(reply).code(201);
    return { id: user.id, username: user.username, email: user.email, created_at: new Date(user.created_at).toISOString() };
  });
}
