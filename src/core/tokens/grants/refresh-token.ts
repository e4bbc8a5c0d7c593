/**
 * The refresh-token grant (RFC 6749 §6). The rotation itself, the grace
 * window and reuse detection are the sessions' (sessions/refresh.ts); this
 * file decides what the new access token may hold.
 *
 * A refresh keeps the session's API (RFC 8707 §2.2 lets a refresh name any
 * resource the grant covered; a Tessera session covers one): `resource` may
 * repeat it, never switch. The scope may narrow, never widen, and is cut to
 * what the user's roles grant now, so a role taken away ends its scopes at
 * the next refresh. A refused request spends nothing.
 */
import type { ClientCredentials } from "../../clients/clients.js";
import { TesseraError } from "../../errors.js";
import { parseRoles } from "../../accounts/users.js";
import type { RequestMeta } from "../../sessions/session-service.js";
import { apisOf, sessionAccessToken, targetOf, type GrantContext, type TokenResponse } from "./issue.js";

export interface RefreshGrantInput { refreshToken: string; scope?: string | undefined; resource?: string | undefined }

export async function refreshGrant(c: GrantContext, credentials: ClientCredentials, input: RefreshGrantInput, meta: RequestMeta = {}): Promise<TokenResponse> {
  const client = await c.clients.authenticate(credentials);
  c.clients.assertGrant(client, "refresh_token");
  let scope = "";
  const result = await c.sessions.refresh(input.refreshToken, client, meta, async (session, user) => {
    const held = session.resource ?? c.ownAudience;
    if (input.resource !== undefined && input.resource !== held) {
      throw new TesseraError("invalid_target", "A refresh keeps the API its session was granted; sign in again with this resource to get tokens for it.");
    }
    scope = narrowScope(session.scope, input.scope);
    if (session.resource) {
      const api = await targetOf(c, session.resource);
      const granted = new Set(apisOf(c).grantForRoles(api, parseRoles(user), undefined).split(" "));
      scope = scope.split(" ").filter((s) => granted.has(s)).join(" ");
    }
  });
  const access = sessionAccessToken(c, result.session, result.user, client, scope);
  return { access_token: access.token, token_type: "Bearer", expires_in: access.ttlSeconds, refresh_token: result.refreshToken, scope };
}

/** A refresh may ask for less than the session holds, never more. */
function narrowScope(sessionScope: string, requested: string | undefined): string {
  if (requested === undefined || requested.trim() === "") return sessionScope;
  const held = new Set(sessionScope.split(" "));
  const wanted = [...new Set(requested.split(" ").filter(Boolean))];
  if (wanted.some((s) => !held.has(s))) throw new TesseraError("invalid_scope", "A refresh can only narrow the session's scope.");
  return wanted.join(" ");
}
