/**
 * The second step's use cases as the HTTP layer calls them: finish a sign-in
 * over the token endpoint or as a cookie session, and how a principal signed
 * in (for `/userinfo` and the step-up checks).
 */
import type { ClientRow, SessionRow } from "../../store/index.js";
import type { AccessTokenClaims } from "../tokens/access-tokens.js";
import type { ClientCredentials, ClientService } from "../clients/clients.js";
import { WEB_CLIENT_ID } from "../clients/clients.js";
import type { Config } from "../config.js";
import type { CookieLogin, CookieSessionService } from "../sessions/cookie-sessions.js";
import type { RequestMeta } from "../sessions/session-service.js";
import { sessionAuthOf, type TokenResponse, type TokenService } from "../tokens/token-service.js";
import type { FactorService } from "./factors.js";
import type { SecondStep, SecondStepInput } from "./second-step.js";
import { PasskeyService } from "./passkeys.js";
import type { Store } from "../../store/index.js";
import type { MfaTokenPurpose } from "../../store/schema.js";
import type { AuthEvents } from "../events.js";
import { TesseraError } from "../errors.js";

/** The contract's five minutes. */
export const MFA_TOKEN_TTL_MS = 5 * 60 * 1000;

export interface MfaUseCaseDeps {
  config: Config;
  factors: FactorService;
  secondStep: SecondStep;
  tokens: TokenService;
  cookieSessions: CookieSessionService;
  clients: ClientService;
  store: Store;
  events: AuthEvents;
  now: () => number;
}

/** The relying party passkeys use: configured, or the issuer's host and origin; undefined when the issuer is an IP address. */
export function relyingParty(config: Config): { rpId: string; origins: string[] } | undefined {
  const issuer = new URL(config.issuer);
  const rpId = config.webauthnRpId || issuer.hostname;
  if (/^[\d.]+$/.test(rpId) || rpId.includes(":") || rpId.startsWith("[")) return undefined;
  return { rpId, origins: config.webauthnOrigins.length > 0 ? config.webauthnOrigins : [issuer.origin] };
}

/** How the sign-in behind a request authenticated: RFC 8176 methods and epoch seconds. */
export function principalAuth(p: { auth: "bearer"; claims: AccessTokenClaims } | { auth: "cookie"; session: SessionRow }): { amr: string[]; authTime: number } {
  if (p.auth === "bearer") return { amr: [...(p.claims.amr ?? ["pwd"])], authTime: p.claims.auth_time ?? p.claims.iat };
  const { amr, authTime } = sessionAuthOf(p.session);
  return { amr, authTime: Math.floor(authTime / 1000) };
}

export function mfaUseCases(d: MfaUseCaseDeps) {
  const rp = relyingParty(d.config);
  const passkeyService = rp && new PasskeyService({ store: d.store, events: d.events, factors: d.factors, now: d.now, rpId: rp.rpId, rpName: new URL(d.config.issuer).host, origins: () => relyingParty(d.config)?.origins ?? rp.origins });
  if (passkeyService) {
    d.secondStep.passkeyCheck = passkeyService.check;
    d.secondStep.passkeyEnrol = passkeyService.enrolForSignIn;
  }
  const passkeys = (): PasskeyService => {
    if (!passkeyService) throw new TesseraError("invalid_request", "Passkeys are off: the issuer is an IP address and TESSERA_WEBAUTHN_RP_ID is not set.");
    return passkeyService;
  };
  /** The user a live mfa_token of this client and purpose names (nothing spent); invalid_grant otherwise. */
  const pendingUser = async (client: ClientRow, mfaToken: string, purpose: MfaTokenPurpose) => {
    const user = await d.secondStep.pendingUser(client, mfaToken, purpose);
    if (user === undefined) throw new TesseraError("invalid_grant", "The mfa_token is expired or spent.");
    return user;
  };
  return {
    /** The passkey service, or a 400 when passkeys are off. */
    passkeys,
    /** `grant_type=urn:tessera:params:oauth:grant-type:passkey`: a passwordless sign-in. */
    async passkeyTokenGrant(credentials: ClientCredentials, challengeId: unknown, webauthn: unknown, meta: RequestMeta): Promise<TokenResponse> {
      const client = await d.clients.authenticate(credentials);
      d.clients.assertGrant(client, "password"); // first-party clients only, like the password grant
      const scope = d.clients.resolveScope(client, undefined, d.config.defaultScopes);
      const done = await passkeys().passwordless(challengeId, webauthn, { clientId: client.id, ...meta });
      return d.tokens.startSession(done.user, client, scope, meta, done.auth);
    },
    /** `POST /session/passkey`. */
    async passkeyCookieLogin(challengeId: unknown, webauthn: unknown, meta: RequestMeta): Promise<CookieLogin> {
      const client = await d.clients.authenticate({ clientId: WEB_CLIENT_ID });
      const scope = d.clients.resolveScope(client, undefined, d.config.defaultScopes);
      const done = await passkeys().passwordless(challengeId, webauthn, { clientId: client.id, ...meta });
      return d.cookieSessions.start(done.user, client, scope, meta, done.auth);
    },
    /** Options for a passkey as the second step: the mfa_token names the user (nothing is spent). */
    async secondStepPasskeyOptions(credentials: ClientCredentials, mfaToken: string) {
      const user = await pendingUser(await d.clients.authenticate(credentials), mfaToken, "second_step");
      return passkeys().secondStepOptions(user.id);
    },
    /** `POST /auth/mfa-enrollment/passkey/options`: creation options for a passkey of the enrolment mfa_token's user (nothing is spent). */
    async enrolPasskeyOptionsForSignIn(credentials: ClientCredentials, mfaToken: string) {
      const client = await d.clients.authenticate(credentials);
      const service = passkeys();
      return service.registrationOptions(await pendingUser(client, mfaToken, "enroll"));
    },
    /** `POST /auth/mfa-enrollment/totp`: an authenticator app enrolled with an enrolment mfa_token (mfa_enrollment_required). */
    async enrolTotpForSignIn(credentials: ClientCredentials, mfaToken: string, name: unknown, meta: RequestMeta) {
      const client = await d.clients.authenticate(credentials);
      return d.secondStep.enrolTotp(client, mfaToken, name, meta);
    },
    /** `grant_type=urn:tessera:params:oauth:grant-type:mfa`. */
    async tokenGrant(credentials: ClientCredentials, input: SecondStepInput, meta: RequestMeta): Promise<TokenResponse> {
      const client = await d.clients.authenticate(credentials);
      const done = await d.secondStep.verify(client, input, meta);
      const tokens = await d.tokens.startSession(done.user, client, done.scope, meta, done.auth, done.resource);
      return done.recoveryCodes ? { ...tokens, recovery_codes: done.recoveryCodes } : tokens;
    },
    /** `POST /session/mfa`: the second step of a cookie sign-in (the built-in web client). */
    async cookieLogin(input: SecondStepInput, meta: RequestMeta): Promise<CookieLogin> {
      const client = await d.clients.authenticate({ clientId: WEB_CLIENT_ID });
      const done = await d.secondStep.verify(client, input, meta);
      const login = await d.cookieSessions.start(done.user, client, done.scope, meta, done.auth);
      return done.recoveryCodes ? { ...login, recoveryCodes: done.recoveryCodes } : login;
    },
  };
}
