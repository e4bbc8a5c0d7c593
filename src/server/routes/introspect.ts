/** `POST /oauth/introspect` (RFC 7662), for confidential clients. */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../core/api.js";
import { clientCredentials } from "../shared/client-auth.js";
import { noStore } from "../shared/no-store.js";
import { introspectSchema as schema } from "../schemas/oauth.js";

interface IntrospectBody {
  token: string;
  token_type_hint?: string;
  client_id?: string;
  client_secret?: string;
}


export function introspectRoute(app: FastifyInstance, tessera: Tessera): void {
  app.post<{ Body: IntrospectBody }>("/oauth/introspect", { schema }, async (request, reply) => {
    noStore(reply);
    return tessera.tokens.introspect(clientCredentials(request, request.body), request.body.token);
  });
}
