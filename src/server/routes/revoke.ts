/** `POST /oauth/revoke` (RFC 7009): 200 for every well-formed request, known token or not. */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../core/api.js";
import { clientCredentials } from "../shared/client-auth.js";
import { noStore } from "../shared/no-store.js";

interface RevokeBody {
  token: string;
  token_type_hint?: string;
  client_id?: string;
  client_secret?: string;
}

const field = { type: "string", maxLength: 4096 } as const;
const schema = {
  body: {
    type: "object",
    required: ["token"],
    properties: { token: field, token_type_hint: field, client_id: field, client_secret: field },
  },
} as const;

export function revokeRoute(app: FastifyInstance, tessera: Tessera): void {
  app.post<{ Body: RevokeBody }>("/oauth/revoke", { schema }, async (request, reply) => {
    noStore(reply);
    await tessera.tokens.revoke(clientCredentials(request, request.body), request.body.token);
    return reply.code(200).send();
  });
}
