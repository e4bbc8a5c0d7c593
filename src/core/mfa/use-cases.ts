/**
 * The second step's use cases as the HTTP layer calls them: finish a sign-in
 * over the token endpoint or as a cookie session, and how a principal signed
 * in (for `/userinfo` and the step-up checks).
 */
import type { SessionRow } from "../../store/index.js";
import type { AccessTokenClaims } from "../access-tokens.js";
import type { ClientCredentials, ClientService } from "../clients.js";
import { WEB_CLIENT_ID } from "../clients.js";
import type { Config } from "../config.js";
import type { CookieLogin, CookieSessionService } from "../cookie-sessions.js";
import type { RequestMeta } from "../sessions.js";
import { sessionAuthOf, type TokenResponse, type TokenService } from "../token-service.js";
import type { FactorService } from "./factors.js";
import type { SecondStep, SecondStepInput } from "./second-step.js";

/** The contract's five minutes. */
export const MFA_TOKEN_TTL_MS = 5 * 60 * 1000;

export interface MfaUseCaseDeps {
  config: Config;
  factors: FactorService;
  secondStep: SecondStep;
  tokens: TokenService;
  cookieSessions: CookieSessionService;
  clients: ClientService;
}

/** How the sign-in behind a request authenticated: RFC 8176 methods and epoch seconds. */
export function principalAuth(p: { auth: "bearer"; claims: AccessTokenClaims } | { auth: "cookie"; session: SessionRow }): { amr: string[]; authTime: number } {
  if (p.auth === "bearer") return { amr: p.claims.amr ?? ["pwd"], authTime: p.claims.auth_time ?? p.claims.iat };
  const { amr, authTime } = sessionAuthOf(p.session);
  return { amr, authTime: Math.floor(authTime / 1000) };
}

export function mfaUseCases(d: MfaUseCaseDeps) {
  return {
    /** `grant_type=urn:tessera:params:oauth:grant-type:mfa`. */
    async tokenGrant(credentials: ClientCredentials, input: SecondStepInput, meta: RequestMeta): Promise<TokenResponse> {
      const client = await d.clients.authenticate(credentials);
      const done = await d.secondStep.verify(client, input, meta);
      return d.tokens.startSession(done.user, client, done.scope, meta, done.auth);
    },
    /** `POST /session/mfa`: the second step of a cookie sign-in (the built-in web client). */
    async cookieLogin(input: SecondStepInput, meta: RequestMeta): Promise<CookieLogin> {
      const client = await d.clients.authenticate({ clientId: WEB_CLIENT_ID });
      const done = await d.secondStep.verify(client, input, meta);
      return d.cookieSessions.start(done.user, client, done.scope, meta, done.auth);
    },
  };
}
