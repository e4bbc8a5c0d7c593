// Public types of `tessera/client`. Kept apart from the code so that the
// browser bundle carries none of it and the docs have one place to point at.

// The claims type is the verification library's (one type for the server,
// tessera/verify and this client), imported as a type only: nothing of it
// reaches the bundle. The client never verifies the signature: it reads
// `exp`, `iat` and `sid` to schedule refreshes, and only the servers that
// receive the token trust it.
import type { AccessTokenClaims } from "../verify/claims.js";

export type { AccessTokenClaims };

/**
 * What the client keeps between calls (and in its storage). Token mode fills
 * the token fields; cookie mode only knows its CSRF token, because the session
 * itself lives in an HttpOnly cookie that scripts cannot read.
 *
 * @example
 * ```ts
 * const session = await client.getSession(); // resolves once storage has been read
 * if (session?.expiresAt) console.log("expires in", session.expiresAt - Date.now(), "ms");
 * ```
 */
export interface Session {
  accessToken?: string;
  refreshToken?: string;
  /** When the access token expires, on the local clock (ms since epoch), skew already corrected. */
  expiresAt?: number;
  /** Access-token lifetime in ms, as issued. */
  lifetime?: number;
  /** Estimated server clock minus local clock, in ms. */
  skew?: number;
  scope?: string;
  /** Cookie mode: the token to send as `X-CSRF-Token` on unsafe requests. */
  csrfToken?: string;
  /** Decoded (unverified) access-token claims, when the token is a JWT. */
  claims?: AccessTokenClaims;
}

/** The four kinds of change reported by `onAuthChange`. */
export type AuthChangeType = "SIGNED_IN" | "TOKEN_REFRESHED" | "SIGNED_OUT" | "SESSION_EXPIRED";

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
 *   cookie mode `invalid_session`; `other_tab` when another tab saw it.
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
  /** The server's `error_description`, for `SESSION_EXPIRED`. */
  description?: string;
  session: Session | null;
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
