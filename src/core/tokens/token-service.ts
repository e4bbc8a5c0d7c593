/** The three grants of `POST /oauth/token`, plus revocation (RFC 7009) and introspection (RFC 7662). */
import type { ClientRow, SessionRow, UserRow } from "../../store/index.js";
import type { AccessTokens, AccessTokenClaims } from "./access-tokens.js";
import type { ApiResource, ApiResources } from "../clients/api-resources.js";
import { scopesOf, type ClientCredentials, type ClientService } from "../clients/clients.js";
import { TesseraError } from "../errors.js";
import type { AuthEvents } from "../events.js";
import { looksLikeRefreshToken } from "../sessions/refresh-token-format.js";
import { admitFirstStep, checkCodeSignIn, checkSignIn, type FirstStep } from "../accounts/sign-in.js";
import type { Throttle } from "../abuse/throttle.js";
import type { RequestMeta, SessionAuth, SessionService } from "../sessions/session-service.js";
import { parseRoles, type UserService } from "../accounts/users.js";
import type { Store } from "../../store/index.js";

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token?: string;
  scope: string;
  /** Only when this sign-in enrolled the user's first second factor (mfa_enrollment_required): ten recovery codes, shown once. */
  recovery_codes?: string[];
}

export interface TokenServiceOptions {
  store: Store;
  users: UserService;
  clients: ClientService;
  sessions: SessionService;
  accessTokens: AccessTokens;
  events: AuthEvents;
  defaultScopes: string[];
  accessTokenTtl: number;
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

export type Introspection =
  | { active: false }
  | { active: true; sub: string; client_id: string; scope: string; exp: number; iat: number; sid?: string;
    token_type: "access_token" | "refresh_token"; username?: string; roles: readonly string[]; iss?: string; aud?: string | readonly string[] };

export class TokenService {
  readonly #o: TokenServiceOptions;

  constructor(options: TokenServiceOptions) {
    this.#o = options;
  }

  ttlFor(client: ClientRow): number {
    return client.access_token_ttl ?? this.#o.accessTokenTtl;
  }

  /** Issues the access token of a user session. */
  /** Issues the access token of a user session (for the session's API when it was granted one). */
  sessionAccessToken(session: SessionRow, user: UserRow, client: ClientRow, scope = session.scope): { token: string; claims: AccessTokenClaims; ttl: number } {
    const ttl = this.ttlFor(client);
    const { amr, authTime } = sessionAuthOf(session);
    const { token, claims } = this.#o.accessTokens.issue({
      sub: user.id, clientId: client.id, sid: session.id, scope, roles: parseRoles(user), ttl, amr, authTime: Math.floor(authTime / 1000),
      ...(session.resource ? { aud: session.resource } : {}),
    });
    return { token, claims, ttl };
  }

  async passwordGrant(credentials: ClientCredentials, input: { username: string; password: string; scope?: string | undefined; resource?: string | undefined }, meta: RequestMeta): Promise<TokenResponse> {
    const client = await this.#o.clients.authenticate(credentials);
    this.#o.clients.assertGrant(client, "password");
    // The API and the scope's syntax are judged before the password is: a bad request costs no hash.
    const api = input.resource === undefined ? undefined : await this.#target(input.resource);
    if (api) this.#apis().grantForRoles(api, [], input.scope);
    const asked = api ? undefined : this.#o.clients.resolveScope(client, input.scope, this.#o.defaultScopes);
    const user = await checkSignIn(this.#o, client, input.username, input.password, meta);
    const scope = api ? this.#apis().grantForRoles(api, parseRoles(user), input.scope) : asked!;
    return this.completeSignIn(user, client, scope, meta, "pwd", api?.identifier ?? null);
  }

  /**
   * Turns a successful first step into a token session: the one function every token
   * sign-in (password, email code) goes through, so the user policy of admitFirstStep
   * and the second-step gate cover all.
   */
  async completeSignIn(user: UserRow, client: ClientRow, scope: string, meta: RequestMeta, step: FirstStep, resource: string | null = null): Promise<TokenResponse> {
    admitFirstStep(this.#o, user, step);
    return this.startSession(user, client, scope, meta, { amr: [step], authTime: this.#o.now() }, resource);
  }

  /**
   * A finished step of a sign-in becomes a token session (for `resource`, the API it was
   * granted, when the sign-in named one). Unless `auth` is complete, the session's gate may
   * answer mfa_required instead (sessions.ts), keeping the resource for the second step.
   */
  async startSession(user: UserRow, client: ClientRow, scope: string, meta: RequestMeta, auth: SessionAuth, resource: string | null = null): Promise<TokenResponse> {
    const { session, refreshToken } = await this.#o.sessions.startTokenSession(user, client, scope, meta, auth, resource);
    this.#o.events.emit("sign-in", { outcome: "success", userId: user.id, sessionId: session.id, clientId: client.id, ip: meta.ip, userAgent: meta.userAgent });
    const access = this.sessionAccessToken(session, user, client);
    return { access_token: access.token, token_type: "Bearer", expires_in: access.ttl, refresh_token: refreshToken, scope };
  }

  /** The email-code grant: the code is the first step (email/email-service.ts checks it). */
  async emailCodeGrant(credentials: ClientCredentials, input: { email: string; scope?: string | undefined }, check: () => Promise<UserRow>, meta: RequestMeta): Promise<TokenResponse> {
    const client = await this.#o.clients.authenticate(credentials);
    this.#o.clients.assertGrant(client, "password");
    const scope = this.#o.clients.resolveScope(client, input.scope, this.#o.defaultScopes);
    const user = await checkCodeSignIn(this.#o, client, input.email, check, meta);
    return this.completeSignIn(user, client, scope, meta, "otp");
  }

  /**
   * A refresh keeps the session's API (RFC 8707 §2.2 lets a refresh name any
   * resource the grant covered; a Tessera session covers one): `resource` may
   * repeat it, never switch. The scope may narrow, never widen, and is cut to
   * what the user's roles grant now, so a role taken away ends its scopes at
   * the next refresh. A refused request spends nothing.
   */
  async refreshGrant(credentials: ClientCredentials, input: { refreshToken: string; scope?: string | undefined; resource?: string | undefined }, meta: RequestMeta = {}): Promise<TokenResponse> {
    const client = await this.#o.clients.authenticate(credentials);
    this.#o.clients.assertGrant(client, "refresh_token");
    let scope = "";
    const result = await this.#o.sessions.refresh(input.refreshToken, client, meta, async (session, user) => {
      const held = session.resource ?? this.#o.ownAudience;
      if (input.resource !== undefined && input.resource !== held) {
        throw new TesseraError("invalid_target", "A refresh keeps the API its session was granted; sign in again with this resource to get tokens for it.");
      }
      scope = narrowScope(session.scope, input.scope);
      if (session.resource) {
        const api = await this.#target(session.resource);
        const granted = new Set(this.#apis().grantForRoles(api, parseRoles(user), undefined).split(" "));
        scope = scope.split(" ").filter((s) => granted.has(s)).join(" ");
      }
    });
    const access = this.sessionAccessToken(result.session, result.user, client, scope);
    return { access_token: access.token, token_type: "Bearer", expires_in: access.ttl, refresh_token: result.refreshToken, scope };
  }

  /** Service tokens; with `resource`, for that API and the scopes of it the client's registration holds. */
  async clientCredentialsGrant(credentials: ClientCredentials, input: { scope?: string | undefined; resource?: string | undefined }): Promise<TokenResponse> {
    const client = await this.#o.clients.authenticate(credentials);
    if (client.type !== "confidential") throw new TesseraError("unauthorized_client", "client_credentials needs a confidential client.");
    this.#o.clients.assertGrant(client, "client_credentials");
    const api = input.resource === undefined ? undefined : await this.#target(input.resource);
    const scope = api ? this.#apis().grantForClient(api, scopesOf(client), input.scope) : this.#o.clients.resolveScope(client, input.scope, []);
    const ttl = this.ttlFor(client);
    const { token } = this.#o.accessTokens.issue({ sub: client.id, clientId: client.id, scope, roles: [], ttl, ...(api ? { aud: api.identifier } : {}) });
    return { access_token: token, token_type: "Bearer", expires_in: ttl, scope };
  }

  #apis(): ApiResources {
    if (!this.#o.apis) throw new TesseraError("invalid_target", "This server has no registered APIs.");
    return this.#o.apis;
  }

  #target(resource: string): Promise<ApiResource> {
    return this.#apis().target(resource);
  }

  /** RFC 7009: ends the session a refresh or access token belongs to; silent about unknown tokens. */
  async revoke(credentials: ClientCredentials, token: string): Promise<void> {
    const client = await this.#o.clients.authenticate(credentials);
    if (looksLikeRefreshToken(token)) {
      // Any token of the session the server issued, current or spent, ends it.
      const owner = await this.#o.sessions.refreshTokenOwner(token);
      if (owner && owner.session.client_id === client.id) await this.#o.sessions.end(owner.session.id, "revoked", { userId: owner.user.id });
      return;
    }
    let claims: AccessTokenClaims;
    try {
      claims = await this.#o.accessTokens.verifyReloadingKeys(token, { anyAudience: true });
    } catch {
      return; // RFC 7009 §2.2: an invalid token needs no action and gets the same 200.
    }
    if (claims.sid !== undefined && claims.client_id === client.id) {
      const found = await this.#o.sessions.liveSession(claims.sid, claims.sub);
      if (found) await this.#o.sessions.end(claims.sid, "revoked", { userId: found.user.id });
    }
  }

  /** RFC 7662, for confidential clients: active only for a valid token of a live session. */
  async introspect(credentials: ClientCredentials, token: string): Promise<Introspection> {
    await this.#o.clients.authenticate(credentials, { requireConfidential: true });
    if (looksLikeRefreshToken(token)) return this.#introspectRefresh(token);
    let claims: AccessTokenClaims;
    try {
      claims = await this.#o.accessTokens.verifyReloadingKeys(token, { anyAudience: true });
    } catch {
      return { active: false };
    }
    if (!(await this.#o.clients.usable(claims.client_id))) return { active: false };
    const base = { active: true as const, sub: claims.sub, client_id: claims.client_id, scope: claims.scope, exp: claims.exp, iat: claims.iat, token_type: "access_token" as const, iss: claims.iss, aud: claims.aud };
    if (claims.sid === undefined) return { ...base, roles: claims.roles };
    const live = await this.#o.sessions.liveSession(claims.sid, claims.sub);
    if (!live) return { active: false };
    return { ...base, sid: claims.sid, username: live.user.username, roles: parseRoles(live.user) };
  }

  async #introspectRefresh(token: string): Promise<Introspection> {
    const owner = await this.#o.sessions.refreshTokenOwner(token);
    if (!owner?.current) return { active: false };
    const { session, user } = owner;
    if (this.#o.sessions.endedReason(session, user) !== undefined) return { active: false };
    const exp = Math.floor(this.#o.sessions.deadline(session) / 1000);
    return {
      active: true, sub: user.id, client_id: session.client_id, scope: session.scope, exp,
      iat: Math.floor(session.last_used_at / 1000), sid: session.id, token_type: "refresh_token",
      username: user.username, roles: parseRoles(user),
    };
  }
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

/** A refresh may ask for less than the session holds, never more. */
function narrowScope(sessionScope: string, requested: string | undefined): string {
  if (requested === undefined || requested.trim() === "") return sessionScope;
  const held = new Set(sessionScope.split(" "));
  const wanted = [...new Set(requested.split(" ").filter(Boolean))];
  if (wanted.some((s) => !held.has(s))) throw new TesseraError("invalid_scope", "A refresh can only narrow the session's scope.");
  return wanted.join(" ");
}
