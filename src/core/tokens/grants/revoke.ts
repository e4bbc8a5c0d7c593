/** Revocation (RFC 7009): ends the session a refresh or access token belongs to; silent about unknown tokens. */
import type { ClientCredentials } from "../../clients/clients.js";
import type { AccessTokenClaims } from "../access-tokens.js";
import { looksLikeRefreshToken } from "../../sessions/refresh-token-format.js";
import type { GrantContext } from "./issue.js";

export async function revoke(c: GrantContext, credentials: ClientCredentials, token: string): Promise<void> {
  const client = await c.clients.authenticate(credentials);
  if (looksLikeRefreshToken(token)) {
    // Any token of the session the server issued, current or spent, ends it.
    const owner = await c.sessions.refreshTokenOwner(token);
    if (owner && owner.session.client_id === client.id) await c.sessions.end(owner.session.id, "revoked", { userId: owner.user.id });
    return;
  }
  let claims: AccessTokenClaims;
  try {
    claims = await c.accessTokens.verifyReloadingKeys(token, { anyAudience: true });
  } catch {
    return; // RFC 7009 §2.2: an invalid token needs no action and gets the same 200.
  }
  if (claims.sid !== undefined && claims.client_id === client.id) {
    const found = await c.sessions.liveSession(claims.sid, claims.sub);
    if (found) await c.sessions.end(claims.sid, "revoked", { userId: found.user.id });
  }
}
