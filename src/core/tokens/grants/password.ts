/** The password grant (RFC 6749 §4.3): a username and password become a session. */
import type { ClientCredentials } from "../../clients/clients.js";
import { checkSignIn } from "../../accounts/sign-in.js";
import { parseRoles } from "../../accounts/users.js";
import type { RequestMeta } from "../../sessions/session-service.js";
import { apisOf, completeSignIn, targetOf, type GrantContext, type TokenResponse } from "./issue.js";

export interface PasswordGrantInput { username: string; password: string; scope?: string | undefined; resource?: string | undefined }

export async function passwordGrant(c: GrantContext, credentials: ClientCredentials, input: PasswordGrantInput, meta: RequestMeta): Promise<TokenResponse> {
  const client = await c.clients.authenticate(credentials);
  c.clients.assertGrant(client, "password");
  // The API and the scope's syntax are judged before the password is: a bad request costs no hash.
  const api = input.resource === undefined ? undefined : await targetOf(c, input.resource);
  if (api) apisOf(c).grantForRoles(api, [], input.scope);
  const asked = api ? undefined : c.clients.resolveScope(client, input.scope, c.defaultScopes);
  const user = await checkSignIn(c, client, input.username, input.password, meta);
  const scope = api ? apisOf(c).grantForRoles(api, parseRoles(user), input.scope) : asked!;
  return completeSignIn(c, user, client, scope, meta, "pwd", api?.identifier ?? null);
}
