/** The three grants of `POST /oauth/token`, plus revocation (RFC 7009) and introspection (RFC 7662). */
import type { ClientRow, SessionRow, UserRow } from "../store/index.js";
import type { AccessTokens, AccessTokenClaims } from "./access-tokens.js";
import { type ClientCredentials, type ClientService } from "./clients.js";
import { TesseraError } from "./errors.js";
import type { AuthEvents } from "./events.js";
import { looksLikeRefreshToken } from "./refresh-tokens.js";
import { admitFirstStep, checkCodeSignIn, checkSignIn, type FirstStep } from "./sign-in.js";
import type { Throttle } from "./throttle.js";
import type { RequestMeta, SessionService } from "./sessions.js";
import { parseRoles, type UserService } from "./users.js";
import type { Store } from "../store/index.js";

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token?: string;
  scope: string;
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
  /** TESSERA_REQUIRE_VERIFIED_EMAIL (admitFirstStep). */
  requireVerifiedEmail?: boolean;
}

export type Introspection =
  | { active: false }
  | { active: true; sub: string; client_id: string; scope: string; exp: number; iat: number; sid?: string;
    token_type: "access_token" | "refresh_token"; username?: string; roles: string[]; iss?: string; aud?: string };

export class TokenService {
  readonly #o: TokenServiceOptions;

  constructor(options: TokenServiceOptions) {
    this.#o = options;
  }

  ttlFor(client: ClientRow): number {
    return client.access_token_ttl ?? this.#o.accessTokenTtl;
  }

  /** Issues the access token of a user session. */
  sessionAccessToken(session: SessionRow, user: UserRow, client: ClientRow, scope = session.scope, amr?: string[]): { token: string; claims: AccessTokenClaims; ttl: number } {
    const ttl = this.ttlFor(client);
    const { token, claims } = this.#o.accessTokens.issue({ sub: user.id, clientId: client.id, sid: session.id, scope, roles: parseRoles(user), ttl, ...(amr ? { amr } : {}) });
    return { token, claims, ttl };
  }

  async passwordGrant(credentials: ClientCredentials, input: { username: string; password: string; scope?: string | undefined }, meta: RequestMeta): Promise<TokenResponse> {
    const client = await this.#o.clients.authenticate(credentials);
    this.#o.clients.assertGrant(client, "password");
    const scope = this.#o.clients.resolveScope(client, input.scope, this.#o.defaultScopes);
    const user = await checkSignIn(this.#o, client, input.username, input.password, meta);
    return this.completeSignIn(user, client, scope, meta, "pwd");
  }

  /**
   * Turns a successful first step into a token session: the one function every token
   * sign-in (password, email code) goes through, so the user policy of admitFirstStep covers all.
   */
  async completeSignIn(user: UserRow, client: ClientRow, scope: string, meta: RequestMeta, step: FirstStep): Promise<TokenResponse> {
    admitFirstStep(this.#o, user, step);
    const { session, refreshToken } = await this.#o.sessions.startTokenSession(user, client, scope, meta);
    this.#o.events.emit("sign-in", { outcome: "success", userId: user.id, sessionId: session.id, clientId: client.id, ip: meta.ip, userAgent: meta.userAgent });
    // amr (RFC 8176) on the first access token only: refreshed tokens do not carry it yet.
    const access = this.sessionAccessToken(session, user, client, scope, step === "pwd" ? undefined : [step]);
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

  async refreshGrant(credentials: ClientCredentials, input: { refreshToken: string; scope?: string | undefined }, meta: RequestMeta = {}): Promise<TokenResponse> {
    const client = await this.#o.clients.authenticate(credentials);
    this.#o.clients.assertGrant(client, "refresh_token");
    const result = await this.#o.sessions.refresh(input.refreshToken, client, meta);
    const scope = narrowScope(result.session.scope, input.scope);
    const access = this.sessionAccessToken(result.session, result.user, client, scope);
    return { access_token: access.token, token_type: "Bearer", expires_in: access.ttl, refresh_token: result.refreshToken, scope };
  }

  async clientCredentialsGrant(credentials: ClientCredentials, input: { scope?: string | undefined }): Promise<TokenResponse> {
    const client = await this.#o.clients.authenticate(credentials);
    if (client.type !== "confidential") throw new TesseraError("unauthorized_client", "client_credentials needs a confidential client.");
    this.#o.clients.assertGrant(client, "client_credentials");
    const scope = this.#o.clients.resolveScope(client, input.scope, []);
    const ttl = this.ttlFor(client);
    const { token } = this.#o.accessTokens.issue({ sub: client.id, clientId: client.id, scope, roles: [], ttl });
    return { access_token: token, token_type: "Bearer", expires_in: ttl, scope };
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
      claims = await this.#o.accessTokens.verifyReloadingKeys(token);
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
      claims = await this.#o.accessTokens.verifyReloadingKeys(token);
    } catch {
      return { active: false };
    }
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

/** A refresh may ask for less than the session holds, never more. */
function narrowScope(sessionScope: string, requested: string | undefined): string {
  if (requested === undefined || requested.trim() === "") return sessionScope;
  const held = new Set(sessionScope.split(" "));
  const wanted = [...new Set(requested.split(" ").filter(Boolean))];
  if (wanted.some((s) => !held.has(s))) throw new TesseraError("invalid_scope", "A refresh can only narrow the session's scope.");
  return wanted.join(" ");
}
