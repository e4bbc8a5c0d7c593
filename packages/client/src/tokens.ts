// Turning a token response into a Session, with the expiry translated to the
// local clock, and deciding when a session is due for a refresh.
import { decodeJwt } from "./jwt.js";
import type { AccessTokenClaims, Session, TokenSession } from "./types.js";

/** The body of a successful `POST /oauth/token` (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
  /** When this sign-in enrolled the user's first factor: ten codes, shown once. */
  recovery_codes?: string[];
}

/**
 * Builds the session from a token response received for a request sent at
 * `sentAt` (local clock). The client's clock may be minutes off the server's,
 * so the token's `exp` cannot be compared with `Date.now()` directly: the skew
 * is estimated from the token's `iat` (the server clock that also set `exp`)
 * or, for opaque tokens, the response's `Date` header. Measuring from the
 * moment the request left errs on the early side by the round-trip time.
 */
export function sessionFrom(body: TokenResponse, sentAt: number, date: string | null, previousRefresh?: string): TokenSession {
  const claims = decodeJwt<AccessTokenClaims>(body.access_token)?.claims;
  const { iat, exp } = claims ?? {};
  const serverNow = typeof iat === "number" ? iat * 1000 : date ? Date.parse(date) : NaN;
  const skew = Number.isFinite(serverNow) ? serverNow - sentAt : 0;
  const candidates: number[] = [];
  if (typeof exp === "number") candidates.push(exp * 1000 - skew);
  if (typeof body.expires_in === "number") candidates.push(sentAt + body.expires_in * 1000);
  const expiresAt = candidates.length ? Math.min(...candidates) : undefined;
  return {
    mode: "token",
    accessToken: body.access_token,
    refreshToken: body.refresh_token ?? previousRefresh,
    expiresAt,
    lifetime: expiresAt && expiresAt - sentAt,
    skew,
    scope: body.scope,
  };
}

/**
 * Whether the access token should be renewed before use: within `leeway` ms
 * of expiry, but never more than a quarter of its lifetime early, so that a
 * 20-second demo token is not refreshed on every call.
 */
export function isDue(session: Session, leeway: number, now = Date.now()): boolean {
  if (session.expiresAt === undefined) return false;
  const margin = session.lifetime ? Math.min(leeway, session.lifetime / 4) : leeway;
  return now >= session.expiresAt - margin;
}
