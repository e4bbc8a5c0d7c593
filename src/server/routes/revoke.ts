/** `POST /oauth/revoke` (RFC 7009): 200 for every well-formed request, known token or not. */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../core/api.js";
import { clientCredentials } from "../shared/client-auth.js";
import { noStore } from "../shared/no-store.js";
import { revokeSchema as schema } from "../schemas/oauth.js";

interface RevokeBody {
  token: string;
  token_type_hint?: string;
  client_id?: string;
  client_secret?: string;
}


export function revokeRoute(app: FastifyInstance, tessera: Tessera): void {
  app.post<{ Body: RevokeBody }>("/oauth/revoke", { schema }, async (request, reply) => {
    noStore(reply);
    await tessera.tokens.revoke(clientCredentials(request, request.body), request.body.token);
    return reply.code(200).send();
  });
}
