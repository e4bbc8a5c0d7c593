/** The client-credentials grant (RFC 6749 §4.4): service tokens; with `resource`, for that API and the scopes of it the client's registration holds. */
import { scopesOf, type ClientCredentials } from "../../clients/clients.js";
import { TesseraError } from "../../errors.js";
import { apisOf, targetOf, ttlSecondsFor, type GrantContext, type TokenResponse } from "./issue.js";

export async function clientCredentialsGrant(c: GrantContext, credentials: ClientCredentials, input: { scope?: string | undefined; resource?: string | undefined }): Promise<TokenResponse> {
  const client = await c.clients.authenticate(credentials);
  if (client.type !== "confidential") throw new TesseraError("unauthorized_client", "client_credentials needs a confidential client.");
  c.clients.assertGrant(client, "client_credentials");
  const api = input.resource === undefined ? undefined : await targetOf(c, input.resource);
  const scope = api ? apisOf(c).grantForClient(api, scopesOf(client), input.scope) : c.clients.resolveScope(client, input.scope, []);
  const ttlSeconds = ttlSecondsFor(c, client);
  const { token } = c.accessTokens.issue({ sub: client.id, clientId: client.id, scope, roles: [], ttlSeconds, ...(api ? { aud: api.identifier } : {}) });
  return { access_token: token, token_type: "Bearer", expires_in: ttlSeconds, scope };
}
