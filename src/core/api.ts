/**
 * The core's front door: every use case the HTTP server, the CLI and the
 * benchmarks may call, grouped by feature, each group a declared interface.
 * Callers never reach a service or the store: policy (throttling, session
 * fixation, the per-session tokens of the BFF, failure classification) sits
 * behind these operations, so a route only translates HTTP.
 *
 * The implementation is assembled in tessera.ts; the services it delegates to
 * live in the feature folders (tokens/, sessions/, accounts/, clients/,
 * abuse/, audit/, admin/, keys/, mfa/, email/, cluster/).
 *
 * This module is the server's one door into the core: besides the operations,
 * it re-exports the few types and constants a route needs (below), so no file
 * under src/server imports a feature folder (test/architecture checks it).
 */
import type { ClientRow, SessionRow, SessionView, Store, UserRow, UserView } from "../store/index.js";
import type { AccessTokenClaims } from "./tokens/access-tokens.js";
import type { AdminResources } from "./admin/admin-resources.js";
import type { AdminUsers } from "./admin/admin-users.js";
import type { PasswordHasher } from "./accounts/passwords.js";
import type { PasswordResets } from "./accounts/password-resets.js";
import type { UserService } from "./accounts/users.js";
import type { AuditLog } from "./audit/audit-log.js";
import type { ApiResources } from "./clients/api-resources.js";
import type { ClientService } from "./clients/clients.js";
import type { ClusterBus } from "./cluster/cluster-bus.js";
import type { RedisLink } from "./cluster/redis-link.js";
import type { Config } from "./config.js";
import type { setUpEmail } from "./email/setup.js";
import type { AuthEvents } from "./events.js";
import type { KeyRing } from "./keys/key-ring.js";
import type { KeyRotation } from "./keys/key-rotation.js";
import type { AdminFactors } from "./mfa/admin-factors.js";
import type { FactorService } from "./mfa/factors.js";
import type { mfaUseCases } from "./mfa/use-cases.js";
import type { CookieSessionService } from "./sessions/cookie-sessions.js";
import type { RevocationFeed } from "./sessions/revocation-feed.js";
import type { EndContext, RequestMeta, SessionService } from "./sessions/session-service.js";
import type { TokenService } from "./tokens/token-service.js";
import type { AdminSessionView, AdminUserView } from "./admin/admin-users.js";
import type { AdminClientView } from "./admin/admin-resources.js";
import type { StoredMail } from "./email/transport.js";

// What a route names: request inputs and answers, and the constants of the contract.
export type { TrustProxy } from "./cluster/config-parsers.js";
export type { CookieLogin } from "./sessions/cookie-sessions.js";
export type { ClientCredentials, GrantType } from "./clients/clients.js";
export type { RequestMeta } from "./sessions/session-service.js";
export type { Actor } from "./events.js";
export type { SecondStepInput } from "./mfa/second-step.js";
export type { TokenResponse } from "./tokens/token-service.js";
export type { AdminUserView, AdminSessionView } from "./admin/admin-users.js";
export type { AdminClientView } from "./admin/admin-resources.js";
export type { StoredMail } from "./email/transport.js";
export type { ApiResource } from "./clients/api-resources.js";
/** The grants a client may be registered for. */
export { GRANT_TYPES } from "./clients/clients.js";
/** The master key's file in the data folder when TESSERA_MASTER_KEY is unset. */
export { MASTER_KEY_FILE } from "./keys/master-key.js";
/** The first-party client of the cookie sign-in. */
export { WEB_CLIENT_ID } from "./clients/clients.js";
/** Every audit event type (the `type` filter of `GET /admin/audit`). */
export { AUDIT_TYPES } from "./audit/audit-events.js";

/**
 * Who made an authenticated request. A Bearer token resolves to the narrow
 * views every protected route can use (one small read per request); a cookie
 * session to the whole rows, which its sliding expiry and the BFF need.
 */
export type Principal =
  | { auth: "bearer"; user: UserView; session: SessionView; claims: AccessTokenClaims }
  | { auth: "cookie"; user: UserRow; session: SessionRow };

/** The email-code sign-in grant (docs/email.md). */
export const EMAIL_OTP_GRANT = "urn:tessera:params:oauth:grant-type:email-otp";
/** The second step of a sign-in (docs/mfa.md). */
export const MFA_GRANT = "urn:tessera:params:oauth:grant-type:mfa";
/** A passwordless passkey sign-in (docs/mfa.md). */
export const PASSKEY_GRANT = "urn:tessera:params:oauth:grant-type:passkey";

/**
 * RFC 8414 metadata the core decides (issuer, grants, methods, scopes,
 * algorithms). The endpoint URLs are the HTTP layer's: the discovery route
 * adds them under the issuer.
 */
export interface ServerMetadata {
  issuer: string;
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  revocation_endpoint_auth_methods_supported: string[];
  introspection_endpoint_auth_methods_supported: string[];
  response_types_supported: string[];
  scopes_supported: string[];
  token_endpoint_auth_signing_alg_values_supported: string[];
  access_token_signing_alg_values_supported: string[];
}

/** The token endpoint's grants, revocation, introspection and the Bearer check. */
export interface TokenOperations {
  passwordGrant: TokenService["passwordGrant"];
  /** Rotation and reuse detection (sessions/refresh.ts); refused tokens count against `meta.ip` (abuse/throttle.ts). */
  refreshGrant: TokenService["refreshGrant"];
  clientCredentialsGrant: TokenService["clientCredentialsGrant"];
  emailCodeGrant: TokenService["emailCodeGrant"];
  revoke: TokenService["revoke"];
  introspect: TokenService["introspect"];
  /** Resolves a Bearer token to a live user session; throws invalid_token otherwise. */
  authenticateBearer(token: string): Promise<Principal>;
  /** The published signing keys (RFC 7517). */
  jwks: KeyRing["jwks"];
  metadata(): ServerMetadata;
}

/** OAuth clients as the sign-in routes need them. */
export interface ClientOperations {
  authenticate: ClientService["authenticate"];
  resolveScope: ClientService["resolveScope"];
  list: ClientService["list"];
}

/** A session as its owner sees it (`GET /sessions`). */
export interface OwnSessionView {
  id: string; created_at: string; last_used_at: string; expires_at: string;
  user_agent: string | null; ip: string | null; kind: string; client_id: string; current: boolean;
}

/** What a signed-in user does to their own account. */
export interface AccountOperations {
  userinfo(p: Principal): { sub: string; username: string; email: string | null; email_verified: boolean; roles: string[]; auth: Principal["auth"]; amr: string[]; auth_time: number };
  sessions(p: Principal): Promise<OwnSessionView[]>;
  /** Throttled like a sign-in; ends every other session of the user. */
  changePassword(p: Principal, current: string, next: string, meta?: RequestMeta & { signal?: AbortSignal | undefined }): Promise<void>;
  endSession(p: Principal, sessionId: string, meta?: RequestMeta): Promise<void>;
  endCurrentSession(p: Principal, meta?: RequestMeta): Promise<void>;
  endAllSessions(p: Principal, meta?: RequestMeta): Promise<void>;
  /** The user's roles as stored now (not as a token claimed them when issued). */
  roles(p: Principal): string[];
}

/** Accounts: registration and look-ups. */
export interface UserOperations {
  /** Every attempt counts against `meta.ip` (a taken name is a probe too). */
  register(input: Parameters<UserService["register"]>[0], meta: RequestMeta & { signal?: AbortSignal | undefined }): ReturnType<UserService["register"]>;
  find: UserService["find"];
  /** Users by name, for operators (`tessera users list`). */
  list: Store["listUsers"];
  lookAlikes: UserService["lookAlikes"];
  /** The first admin from TESSERA_ADMIN_USERNAME / _PASSWORD, created only when no user has that name. */
  ensureFirstAdmin(username: string, password: string | undefined): Promise<UserRow | undefined>;
}

/** Sessions by id (operators, logout). */
export interface SessionOperations {
  list: SessionService["list"];
  end(sessionId: string, reason: Parameters<SessionService["end"]>[1], context?: EndContext): Promise<boolean>;
  /** How long an unused session lives, ms. */
  readonly idleTimeoutMs: number;
}

/** Browser sign-in with a session cookie, its CSRF token, and the tokens the BFF forwards. */
export interface CookieSessionOperations {
  login: CookieSessionService["login"];
  loginWithCode: CookieSessionService["loginWithCode"];
  /** Session fixation: the cookie a browser brought to a sign-in ends before the new one is set. */
  replaced: CookieSessionService["replaced"];
  resolve: CookieSessionService["resolve"];
  touch: CookieSessionService["touch"];
  csrfTokenFor: CookieSessionService["csrfTokenFor"];
  verifyCsrf: CookieSessionService["verifyCsrf"];
  /** An access token for a cookie session, minted once and reused until shortly before it expires. */
  accessToken(p: Extract<Principal, { auth: "cookie" }>): Promise<string>;
}

/** Password reset by a mailed token. */
export interface ResetOperations {
  /** Refused tokens count against `meta.ip`. */
  redeem: PasswordResets["redeem"];
  /** Whether a token would still work, spending nothing (the reset page's GET). */
  peek: PasswordResets["peek"];
}

export type MfaOperations = Pick<ReturnType<typeof mfaUseCases>, "tokenGrant" | "passkeyTokenGrant" | "cookieLogin" | "passkeyCookieLogin" | "secondStepPasskeyOptions" | "enrolTotpForSignIn" | "enrolPasskeyOptionsForSignIn" | "passkeys">;
export type FactorOperations = Pick<FactorService, "list" | "enrolTotp" | "confirmTotp" | "remove" | "assertHasFactor" | "newRecoveryCodes"> & {
  /** Step-up (RFC 9470): refuses a sign-in older than TESSERA_STEP_UP_MAX_AGE_SECONDS with insufficient_user_authentication. */
  assertRecentSignIn(p: Principal): void;
};

type EmailSetup = ReturnType<typeof setUpEmail>;
/** Email (docs/email.md): its use cases, the outbox sender, where messages go. */
export interface MailOperations extends Pick<EmailSetup, "service" | "sender" | "mailDir" | "devPage" | "description" | "formToken" | "checkFormToken"> {
  /** Confirms an address by its mailed token; refused tokens count against `meta.ip`. */
  verifyAddress(token: string, meta: RequestMeta): Promise<Awaited<ReturnType<EmailSetup["service"]["verify"]>>>;
  /** The newest messages written to the mail folder (no SMTP), for the development page. */
  storedMessages(limit?: number): StoredMail[];
  /** A mailed token as the user may have typed it (case, dashes, look-alike letters), in its one spelling; undefined when it cannot be one. */
  canonicalToken(raw: string): string | undefined;
}

/** What an admin (HTTP or CLI) does. */
export interface AdminOperations {
  readonly users: Pick<AdminUsers, "list" | "get" | "create" | "setDisabled" | "setRoles" | "forcePasswordReset" | "sessions" | "revokeSession"> & {
    /** A user's live sessions as the admin API shows them (with when each ends). */
    sessionViews(who: string): Promise<AdminSessionView[]>;
  };
  /** Rows as the admin API shows them. */
  readonly views: { user(u: UserRow): AdminUserView; client(c: ClientRow): AdminClientView };
  readonly resources: Pick<AdminResources, keyof AdminResources>;
  readonly apis: Pick<ApiResources, "create" | "list" | "get" | "update" | "remove">;
  readonly factors: Pick<AdminFactors, "list" | "reset">;
  readonly outbox: { list: Store["listOutbox"] };
}

/** The signing keys as an operator manages them. */
export interface KeyOperations {
  rows: KeyRing["rows"];
  rotate: KeyRotation["rotate"];
  revoke: KeyRotation["revoke"];
}

/** Periodic work, probes and gauges for the server's maintenance, readiness and metrics. */
export interface OperationsApi {
  /** Deletes sessions past their end, and revocation entries a day after their tokens expired. */
  sweepSessions(nowMs: number): ReturnType<Store["sweep"]>;
  pruneAuditEvents: Store["pruneAuditEvents"];
  sweepEmail: Store["sweepEmail"];
  /** The minute key step (reload, rotate when due, prune). */
  keyStep: KeyRotation["tick"];
  /** Re-reads the longest access-token lifetime ever configured. */
  refreshTokenLifetime(): Promise<unknown>;
  /** The longest access-token lifetime any instance has been configured with, seconds (how long keys and revocations must outlive tokens). */
  readonly longestAccessTokenTtlSeconds: number;
  /** Resolves when the store answers. */
  pingStore: Store["ping"];
  /** Whether an error means the store is unreachable (503, not 500). */
  isStoreUnavailable: Store["isUnavailable"];
  countLiveSessions(): Promise<number>;
  countOutbox: Store["countOutbox"];
  readonly hashing: Pick<PasswordHasher, "queueDepth" | "running">;
  readonly audit: Pick<AuditLog, "onError" | "pending" | "dropped">;
  /** Whether a presented token is TESSERA_METRICS_TOKEN (compared in constant time); false when none is set. */
  isMetricsToken(presented: string): boolean;
  /** Redis connection state and round trips; undefined without REDIS_URL. */
  readonly redisLink: RedisLink | undefined;
  /** Notices to and from the other instances; undefined without Redis. */
  readonly cluster: ClusterBus | undefined;
}

export interface Tessera {
  readonly config: Config;
  /** The clock, epoch ms. */
  readonly now: () => number;
  /** What the core reports as it works (metrics, logs). */
  readonly events: Pick<AuthEvents, "on">;
  readonly tokens: TokenOperations;
  readonly clients: ClientOperations;
  readonly account: AccountOperations;
  readonly users: UserOperations;
  readonly sessions: SessionOperations;
  readonly cookieSessions: CookieSessionOperations;
  readonly resets: ResetOperations;
  readonly factors: FactorOperations;
  readonly mfa: MfaOperations;
  readonly mail: MailOperations;
  readonly admin: AdminOperations;
  readonly keys: KeyOperations;
  /** The revocation feed (`GET /oauth/revocations`). */
  readonly feed: Pick<RevocationFeed, "read" | "held" | "stop">;
  readonly operations: OperationsApi;
  close(): Promise<void>;
}
