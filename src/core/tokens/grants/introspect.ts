/** Introspection (RFC 7662), for confidential clients: active only for a valid token of a live session. */
import type { ClientCredentials } from "../../clients/clients.js";
import type { AccessTokenClaims } from "../access-tokens.js";
import { parseRoles } from "../../accounts/users.js";
import { looksLikeRefreshToken } from "../../sessions/refresh-token-format.js";
import type { GrantContext } from "./issue.js";

export type Introspection =
  | { active: false }
  | { active: true; sub: string; client_id: string; scope: string; exp: number; iat: number; sid?: string;
    token_type: "access_token" | "refresh_token"; username?: string; roles: readonly string[]; iss?: string; aud?: string | readonly string[] };

export async function introspect(c: GrantContext, credentials: ClientCredentials, token: string): Promise<Introspection> {
  await c.clients.authenticate(credentials, { requireConfidential: true });
  if (looksLikeRefreshToken(token)) return introspectRefresh(c, token);
  let claims: AccessTokenClaims;
  try {
    claims = await c.accessTokens.verifyReloadingKeys(token, { anyAudience: true });
  } catch {
    return { active: false };
  }
  if (!(await c.clients.usable(claims.client_id))) return { active: false };
  const base = { active: true as const, sub: claims.sub, client_id: claims.client_id, scope: claims.scope, exp: claims.exp, iat: claims.iat, token_type: "access_token" as const, iss: claims.iss, aud: claims.aud };
  if (claims.sid === undefined) return { ...base, roles: claims.roles };
  const live = await c.sessions.liveSession(claims.sid, claims.sub);
  if (!live) return { active: false };
  return { ...base, sid: claims.sid, username: live.user.username, roles: parseRoles(live.user) };
}

/** A refresh token is active while it is its session's current one and the session lives. */
async function introspectRefresh(c: GrantContext, token: string): Promise<Introspection> {
  const owner = await c.sessions.refreshTokenOwner(token);
  if (!owner?.current) return { active: false };
  const { session, user } = owner;
  if (c.sessions.endedReason(session, user) !== undefined) return { active: false };
  const exp = Math.floor(c.sessions.deadline(session) / 1000);
  return {
    active: true, sub: user.id, client_id: session.client_id, scope: session.scope, exp,
    iat: Math.floor(session.last_used_at / 1000), sid: session.id, token_type: "refresh_token",
    username: user.username, roles: parseRoles(user),
  };
}
