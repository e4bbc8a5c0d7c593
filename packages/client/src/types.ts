// Public types of `tessera/client`. Kept apart from the code so that the
// browser bundle carries none of it and the docs have one place to point at.

// The claims type is the verification library's (one type for the server,
// tessera/verify and this client), imported as a type only: nothing of it
// reaches the bundle. The client never verifies the signature: it reads
// `exp`, `iat` and `sid` to schedule refreshes, and only the servers that
// receive the token trust it.
import type { AccessTokenClaims } from "@tessera/verify";

export type { AccessTokenClaims };

/**
 * What the client keeps between calls (and in its storage): a union on
 * `mode`. Token mode holds the tokens; cookie mode only knows its CSRF token,
 * because the session itself lives in an HttpOnly cookie that scripts cannot
 * read. Each side names the other's fields as `undefined`, so that reading
 * `session.scope` needs no narrowing, while `mode` narrows to what is there.
 *
 * @example
 * ```ts
 * const session = await client.getSession(); // a promise: resolves once storage has been read
 * if (session?.mode === "token") console.log("signed in with", session.claims?.amr, "scope", session.scope);
 * if (session?.mode === "cookie") console.log("CSRF token", session.csrfToken);
 * ```
 */
export type Session = TokenSession | CookieSession;

/** A token-mode session (`Session` with `mode: "token"`). */
export interface TokenSession {
  mode: "token";
  accessToken: string;
  refreshToken?: string;
  /** When the access token expires, on the local clock (ms since epoch), skew already corrected; unknown for an opaque token without `expires_in`. */
  expiresAt?: number;
  /** Access-token lifetime in ms, as issued. */
  lifetime?: number;
  /** Estimated server clock minus local clock, in ms. */
  skew: number;
  scope?: string;
  /** Decoded (unverified) access-token claims, when the token is a JWT. */
  claims?: AccessTokenClaims;
  csrfToken?: undefined;
}

/** A cookie-mode session (`Session` with `mode: "cookie"`): the session itself is the browser's HttpOnly cookie. */
export interface CookieSession {
  mode: "cookie";
  /** The token to send as `X-CSRF-Token` on unsafe requests. */
  csrfToken: string;
  accessToken?: undefined;
  refreshToken?: undefined;
  expiresAt?: undefined;
  lifetime?: undefined;
  skew?: undefined;
  scope?: undefined;
  claims?: undefined;
}

/** The kinds of change reported by `onAuthChange`. */
export type AuthChangeType = "SIGNED_IN" | "TOKEN_REFRESHED" | "SIGNED_OUT" | "SESSION_EXPIRED" | "STEP_UP_REQUIRED";

/**
 * One change of the signed-in state.
 *
 * `reason` says why:
 * - `SIGNED_IN`: `password`, `email_code`, `restored` (found in storage, or in cookie mode
 *   the browser's session cookies), `other_tab`;
 * - `TOKEN_REFRESHED`: `expiring` (quiet refresh before expiry),
 *   `invalid_token` (after a 401), `manual` (`client.refresh()`), `other_tab`;
 * - `SIGNED_OUT`: `sign_out`, `everywhere`, `session_ended` (the current
 *   session was ended with `endSession`), `other_tab`;
 * - `SESSION_EXPIRED`: the server's refusal — the `reason` field of its
 *   `invalid_grant` answer (`reuse`, `idle_timeout`, `absolute_lifetime`,
 *   `revoked`, `invalid`), else its error code (`invalid_grant`), or in
 *   cookie mode `invalid_session`; `other_tab` when another tab saw it;
 * - `STEP_UP_REQUIRED`: `max_age` or `acr_values` (which one the challenge
 *   named; `insufficient_user_authentication` when neither): an API or
 *   Tessera wants a fresher or stronger sign-in (RFC 9470), see `challenge`.
 * - `SIGNED_IN` after a second step: `mfa`; after a passkey alone: `passkey`.
 *
 * @example
 * ```ts
 * client.onAuthChange((event) => {
 *   if (event.type === "SESSION_EXPIRED") showSignIn(`Signed out: ${event.reason}`);
 * });
 * ```
 */
export interface AuthChangeEvent {
  type: AuthChangeType;
  reason: string;
  /** The server's `error_description`, for `SESSION_EXPIRED` and `STEP_UP_REQUIRED`. */
  description?: string;
  /** For `STEP_UP_REQUIRED`: what the resource asked for. */
  challenge?: StepUpChallenge;
  session: Session | null;
}

/**
 * An RFC 9470 step-up challenge: a `401` with
 * `WWW-Authenticate: Bearer error="insufficient_user_authentication"`.
 *
 * @example
 * ```ts
 * client.onAuthChange((e) => {
 *   if (e.type === "STEP_UP_REQUIRED") console.log(e.challenge?.url, "wants a sign-in within", e.challenge?.maxAge, "s");
 * });
 * ```
 */
export interface StepUpChallenge {
  /** The URL that answered with the challenge. */
  url: string;
  /** `max_age`: the sign-in must be at most this many seconds old. */
  maxAge?: number;
  /** `acr_values`, split on spaces: the methods or levels the sign-in must have used (e.g. `["mfa"]`). */
  acrValues?: string[];
  /** The challenge's `error_description`. */
  description?: string;
}

/**
 * The proof for the second step of a sign-in (`completeSignIn`): exactly one
 * of a code from the authenticator app, a recovery code, or a passkey (the
 * client runs the WebAuthn ceremony).
 */
export type SecondFactor = { otp: string } | { recoveryCode: string } | { passkey: true };

/** A second factor, as `GET /auth/factors` lists it. */
export interface Factor {
  id: string;
  type: "totp" | "passkey";
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/** The user's factors and how many unused recovery codes are left. */
export interface Factors {
  factors: Factor[];
  recovery_codes_left: number;
}

/** A pending authenticator app (`POST /auth/factors/totp`): show `otpauth_uri` as a QR code, or `secret` to type in. */
export interface TotpEnrolment {
  factor_id: string;
  /** Base32, as authenticator apps read it. */
  secret: string;
  otpauth_uri: string;
}

/** A registered passkey; `recovery_codes` (shown once) when it is the user's first factor. */
export interface Passkey {
  id: string;
  name: string;
  created_at: string;
  recovery_codes?: string[];
}

/**
 * Where WebAuthn ceremonies run. The default is the browser's
 * `navigator.credentials`; a native app passes its platform's passkey API.
 * Both take the server's options as WebAuthn JSON and return the credential
 * as WebAuthn JSON (`PublicKeyCredential.toJSON()`).
 *
 * @example
 * ```ts
 * const client = createClient({ baseUrl, webauthn: { create: (o) => NativePasskeys.create(o), get: (o) => NativePasskeys.get(o) } });
 * ```
 */
export interface WebAuthnCeremonies {
  create(options: Record<string, unknown>): Promise<Record<string, unknown>>;
  get(options: Record<string, unknown>, mediation?: CredentialMediationRequirement, signal?: AbortSignal): Promise<Record<string, unknown>>;
}

/**
 * Where the client keeps its session. `localStorage` and `sessionStorage`
 * satisfy it as they are; async implementations (mobile secure storage, a file
 * in Node) return promises.
 *
 * Set `shared: true` when every tab reads the same store (as with
 * `localStorage`): tabs then leave writing to the tab that refreshed.
 *
 * @example
 * ```ts
 * import { readFile, writeFile, rm } from "node:fs/promises";
 * const fileStorage: TokenStorage = {
 *   getItem: (key) => readFile(`.${key}.json`, "utf8").catch(() => null),
 *   setItem: (key, value) => writeFile(`.${key}.json`, value, { mode: 0o600 }),
 *   removeItem: (key) => rm(`.${key}.json`, { force: true }),
 * };
 * ```
 */
export interface TokenStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
  shared?: boolean;
}

/**
 * Options of `createClient`.
 *
 * @example
 * ```ts
 * const client = createClient({ baseUrl: "https://auth.example.com", storage: "sessionStorage" });
 * ```
 */
export interface ClientOptions {
  /** The Tessera server, e.g. `https://auth.example.com` (a path prefix is kept). */
  baseUrl: string;
  /**
   * Origins besides `baseUrl`'s that `client.fetch` sends the user's
   * credentials to (the Bearer token; in cookie mode the cookies and the CSRF
   * header), e.g. `["https://api.example.com"]`. Every other origin gets the
   * request exactly as the caller built it, without them. Default: none.
   */
  apiOrigins?: string[];
  /** The public client to sign in as. Default `tessera-web`. */
  clientId?: string;
  /** `memory` (default), `localStorage`, `sessionStorage`, or your own store. */
  storage?: "memory" | "localStorage" | "sessionStorage" | TokenStorage;
  /** Refresh this many seconds before the access token expires (default 30, at most a quarter of its lifetime). */
  refreshLeeway?: number;
  /** `token` (default): Bearer tokens. `cookie`: an HttpOnly session cookie and a CSRF header. */
  mode?: "token" | "cookie";
  /** The `fetch` to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Share refreshes, sign-ins and sign-outs with the other tabs of this origin (default true). */
  crossTab?: boolean;
  /** Storage key and cross-tab channel name. Default `tessera:<baseUrl>:<clientId>`. */
  storageKey?: string;
  /**
   * Token mode: the scopes every sign-in asks for (a space-separated string or
   * a list), unless `signIn` names its own. The server grants what the user's
   * roles allow of them; `session.scope` says what it granted.
   */
  scope?: string | string[];
  /**
   * Token mode: the API (its RFC 8707 resource identifier) every sign-in asks
   * tokens for, e.g. `https://orders.example`; the token's `aud` is then that
   * API (`session.claims.aud`). Tessera's own routes (`getUser`, `getSessions`…)
   * accept only tokens of its own audience: sign in without `resource` for them.
   */
  resource?: string;
  /**
   * Step-up (RFC 9470): called when a request `client.fetch` sent with the
   * user's credentials is answered `401` `insufficient_user_authentication`.
   * Sign the user in again in it (`signIn` then `completeSignIn`, or
   * `signInWithPasskey`); once it resolves, the request is sent once more
   * with the new session. Without it, or when it rejects, the 401 is returned
   * as is. The `STEP_UP_REQUIRED` event is reported either way.
   */
  onStepUp?: (challenge: StepUpChallenge) => Promise<void>;
  /** Where passkey ceremonies run (default: the browser's `navigator.credentials`). */
  webauthn?: WebAuthnCeremonies;
}

/**
 * What to ask for at a sign-in or a refresh (token mode; see `ClientOptions`).
 *
 * @example
 * ```ts
 * await auth.signIn("ada", "correct horse battery staple", { resource: "https://orders.example", scope: ["orders:read"] });
 * await auth.refresh({ scope: "orders:read" }); // narrower, never wider than the sign-in's
 * ```
 */
export interface TokenRequest {
  scope?: string | string[];
  resource?: string;
}

/** The signed-in user, as `GET /userinfo` describes them. */
export interface User {
  sub: string;
  username: string;
  email: string | null;
  roles: string[];
  auth: "bearer" | "cookie";
  /** How the user signed in (RFC 8176), e.g. `["pwd", "otp", "mfa"]`. */
  amr?: string[];
}

/** One of the user's live sessions, as `GET /auth/sessions` lists them. */
export interface SessionInfo {
  id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
  /** `token` or `cookie`, when the server says. */
  kind?: string;
  client_id?: string;
}

/** The account `POST /auth/register` created. */
export interface Registration {
  id: string;
  username: string;
  created_at: string;
}
