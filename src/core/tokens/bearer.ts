/** A Bearer access token resolved to its live user session (every protected route). */
import type { Principal } from "../api.js";
import type { AccessTokens } from "./access-tokens.js";
import type { ClientService } from "../clients/clients.js";
import { invalidToken } from "../errors.js";
import type { SessionService } from "../sessions/session-service.js";

/** Throws invalid_token unless the token is valid, names a session, and its session, user and client are live. */
export async function authenticateBearer(d: { accessTokens: AccessTokens; sessions: SessionService; clients: ClientService }, token: string): Promise<Principal> {
  const claims = await d.accessTokens.verifyReloadingKeys(token);
  if (claims.sid === undefined) throw invalidToken("no sid", "This token does not represent a signed-in user.");
  const live = await d.sessions.liveSession(claims.sid, claims.sub);
  if (!live) throw invalidToken("session ended", "The session of this token has ended.");
  if (!(await d.clients.usable(live.session.client_id))) throw invalidToken("client disabled or removed", "The client of this token is disabled.");
  return { auth: "bearer", user: live.user, session: live.session, claims };
}
