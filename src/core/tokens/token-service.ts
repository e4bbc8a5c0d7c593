/**
 * The operations of `POST /oauth/token`, `/oauth/revoke` and
 * `/oauth/introspect`, one object for the composition root. Each grant lives
 * in its own file under grants/ (password.ts, refresh-token.ts,
 * client-credentials.ts, email-code.ts, revoke.ts, introspect.ts), and the
 * issuing step they share in grants/issue.ts; this class only binds them to
 * their context.
 */
import type { ClientRow, SessionRow, UserRow } from "../../store/index.js";
import type { ClientCredentials } from "../clients/clients.js";
import type { FirstStep } from "../accounts/sign-in.js";
import type { RequestMeta, SessionAuth } from "../sessions/session-service.js";
import type { AccessTokenClaims } from "./access-tokens.js";
import { clientCredentialsGrant } from "./grants/client-credentials.js";
import { emailCodeGrant } from "./grants/email-code.js";
import { introspect, type Introspection } from "./grants/introspect.js";
import { completeSignIn, sessionAccessToken, startSession, ttlSecondsFor, type GrantContext, type TokenResponse } from "./grants/issue.js";
import { passwordGrant, type PasswordGrantInput } from "./grants/password.js";
import { refreshGrant, type RefreshGrantInput } from "./grants/refresh-token.js";
import { revoke } from "./grants/revoke.js";

export { sessionAuthOf, type GrantContext as TokenServiceOptions, type TokenResponse } from "./grants/issue.js";
export type { Introspection } from "./grants/introspect.js";

export class TokenService {
  readonly #c: GrantContext;

  constructor(context: GrantContext) {
    this.#c = context;
  }

  ttlSecondsFor(client: ClientRow): number {
    return ttlSecondsFor(this.#c, client);
  }

  sessionAccessToken(session: SessionRow, user: UserRow, client: ClientRow, scope = session.scope): { token: string; claims: AccessTokenClaims; ttlSeconds: number } {
    return sessionAccessToken(this.#c, session, user, client, scope);
  }

  completeSignIn(user: UserRow, client: ClientRow, scope: string, meta: RequestMeta, step: FirstStep, resource: string | null = null): Promise<TokenResponse> {
    return completeSignIn(this.#c, user, client, scope, meta, step, resource);
  }

  startSession(user: UserRow, client: ClientRow, scope: string, meta: RequestMeta, auth: SessionAuth, resource: string | null = null): Promise<TokenResponse> {
    return startSession(this.#c, user, client, scope, meta, auth, resource);
  }

  passwordGrant(credentials: ClientCredentials, input: PasswordGrantInput, meta: RequestMeta): Promise<TokenResponse> {
    return passwordGrant(this.#c, credentials, input, meta);
  }

  emailCodeGrant(credentials: ClientCredentials, input: { email: string; scope?: string | undefined }, check: () => Promise<UserRow>, meta: RequestMeta): Promise<TokenResponse> {
    return emailCodeGrant(this.#c, credentials, input, check, meta);
  }

  refreshGrant(credentials: ClientCredentials, input: RefreshGrantInput, meta: RequestMeta = {}): Promise<TokenResponse> {
    return refreshGrant(this.#c, credentials, input, meta);
  }

  clientCredentialsGrant(credentials: ClientCredentials, input: { scope?: string | undefined; resource?: string | undefined }): Promise<TokenResponse> {
    return clientCredentialsGrant(this.#c, credentials, input);
  }

  revoke(credentials: ClientCredentials, token: string): Promise<void> {
    return revoke(this.#c, credentials, token);
  }

  introspect(credentials: ClientCredentials, token: string): Promise<Introspection> {
    return introspect(this.#c, credentials, token);
  }
}
