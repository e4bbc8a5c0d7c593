/**
 * The step every grant ends with: an access token (and, for a user sign-in, a
 * new session with its refresh token) and the token response. Each grant of
 * `POST /oauth/token` has its own file beside this one; they share the
 * context below, which tessera.ts assembles once.
 */
import type { ClientRow, SessionRow, Store, UserRow } from "../../../store/index.js";
import type { AccessTokens, AccessTokenClaims } from "../access-tokens.js";
import type { ApiResource, ApiResources } from "../../clients/api-resources.js";
import type { ClientService } from "../../clients/clients.js";
import { TesseraError } from "../../errors.js";
import type { AuthEvents } from "../../events.js";
import { admitFirstStep, type FirstStep } from "../../accounts/sign-in.js";
import type { Throttle } from "../../abuse/throttle.js";
import type { RequestMeta, SessionAuth, SessionService } from "../../sessions/session-service.js";
import { parseRoles, type UserService } from "../../accounts/users.js";

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token?: string;
  scope: string;
  /** Only when this sign-in enrolled the user's first second factor (mfa_enrollment_required): ten recovery codes, shown once. */
  recovery_codes?: string[];
}

/** What the grants work with. */
export interface GrantContext {
  store: Store;
  users: UserService;
  clients: ClientService;
  sessions: SessionService;
  accessTokens: AccessTokens;
  events: AuthEvents;
  defaultScopes: string[];
  /** TESSERA_ACCESS_TOKEN_TTL, for clients registered without their own. */
  accessTokenTtlSeconds: number;
  now: () => number;
  /** Sign-in throttles (checkSignIn applies them). */
  throttle?: Throttle;
  /** Registered APIs (RFC 8707 `resource`); without them a `resource` is always invalid_target. */
  apis?: ApiResources;
  /** Tessera's own audience: a refresh may name it for a session granted no API. */
  ownAudience?: string;
  /** TESSERA_REQUIRE_VERIFIED_EMAIL (admitFirstStep). */
  requireVerifiedEmail?: boolean;
}

/** The client's own access-token lifetime, else the server's. */
export function ttlSecondsFor(c: GrantContext, client: ClientRow): number {
  return client.access_token_ttl ?? c.accessTokenTtlSeconds;
}

/** Issues the access token of a user session (for the session's API when it was granted one). */
export function sessionAccessToken(c: GrantContext, session: SessionRow, user: UserRow, client: ClientRow, scope = session.scope): { token: string; claims: AccessTokenClaims; ttlSeconds: number } {
  const ttlSeconds = ttlSecondsFor(c, client);
  const { amr, authTime } = sessionAuthOf(session);
  const { token, claims } = c.accessTokens.issue({
    sub: user.id, clientId: client.id, sid: session.id, scope, roles: parseRoles(user), ttlSeconds, amr, authTime: Math.floor(authTime / 1000),
    ...(session.resource ? { aud: session.resource } : {}),
  });
  return { token, claims, ttlSeconds };
}

/**
 * Turns a successful first step into a token session: the one function every token
 * sign-in (password, email code) goes through, so the user policy of admitFirstStep
 * and the second-step gate cover all.
 */
export function completeSignIn(c: GrantContext, user: UserRow, client: ClientRow, scope: string, meta: RequestMeta, step: FirstStep, resource: string | null = null): Promise<TokenResponse> {
  admitFirstStep(c, user, step);
  return startSession(c, user, client, scope, meta, { amr: [step], authTime: c.now() }, resource);
}

/**
 * A finished step of a sign-in becomes a token session (for `resource`, the API it was
 * granted, when the sign-in named one). Unless `auth` is complete, the session's gate may
 * answer mfa_required instead (sessions/session-service.ts), keeping the resource for the second step.
 */
export async function startSession(c: GrantContext, user: UserRow, client: ClientRow, scope: string, meta: RequestMeta, auth: SessionAuth, resource: string | null = null): Promise<TokenResponse> {
  const { session, refreshToken } = await c.sessions.startTokenSession(user, client, scope, meta, auth, resource);
  c.events.emit("sign-in", { outcome: "success", userId: user.id, sessionId: session.id, clientId: client.id, ip: meta.ip, userAgent: meta.userAgent });
  const access = sessionAccessToken(c, session, user, client);
  return { access_token: access.token, token_type: "Bearer", expires_in: access.ttlSeconds, refresh_token: refreshToken, scope };
}

/** The registered APIs; a server without them refuses every `resource`. */
export function apisOf(c: GrantContext): ApiResources {
  if (!c.apis) throw new TesseraError("invalid_target", "This server has no registered APIs.");
  return c.apis;
}

/** The registered API a `resource` names (invalid_target otherwise). */
export function targetOf(c: GrantContext, resource: string): Promise<ApiResource> {
  return apisOf(c).target(resource);
}

/** How a session's sign-in authenticated; sessions from before second factors were password sign-ins. */
export function sessionAuthOf(session: Pick<SessionRow, "amr" | "auth_time" | "created_at">): { amr: string[]; authTime: number } {
  let amr: string[] = ["pwd"];
  if (typeof session.amr === "string") {
    try {
      const parsed: unknown = JSON.parse(session.amr);
      if (Array.isArray(parsed)) amr = parsed.filter((m): m is string => typeof m === "string");
    } catch {
      // a row we wrote ourselves; keep the default
    }
  }
  return { amr, authTime: session.auth_time ?? session.created_at };
}
