/**
 * The claims of a Tessera access token, one type for every part that handles
 * them: the server that issues and checks them, `tessera/verify` that checks
 * them in APIs, and `tessera/client` that reads them unverified. This file
 * imports nothing, so the browser client can take it with a type-only import.
 *
 * @module tessera/verify
 */

/**
 * The claims of a Tessera access token (RFC 9068, plus Tessera's `sid` and
 * `roles`, and the RFC 9470 sign-in claims `amr` and `auth_time`). Read-only:
 * a verified token's claims are shared between requests through the cache.
 * The checks (`docs/verify.md`, "Threat model") guarantee the types below;
 * `scope` and `roles` default to `""` and `[]` when the token has none.
 *
 * Ships from `tessera/verify` and, as a type only, from `tessera/client`.
 *
 * @example
 * ```ts
 * import type { AccessTokenClaims } from "tessera/verify";
 * const claims: AccessTokenClaims = await verifier.verify(token);
 * claims.sub;    // user id (or the client_id of a client_credentials token)
 * claims.roles;  // ["user"]
 * ```
 */
export interface AccessTokenClaims {
  readonly iss: string;
  /** The user id; for a client_credentials token, the client id. */
  readonly sub: string;
  /** Tessera issues one audience (a string); a list is accepted when it holds an accepted one. */
  readonly aud: string | readonly string[];
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** Issue time, seconds since the epoch. */
  readonly iat: number;
  /** Not before, seconds since the epoch (Tessera does not set it). */
  readonly nbf?: number;
  readonly jti?: string;
  /** The client the token was issued to. */
  readonly client_id: string;
  /** The session id; absent on client_credentials tokens. Revocation works per session. */
  readonly sid?: string;
  /** Space-separated scopes; "" when the token has none. */
  readonly scope: string;
  /** Roles of the user; [] for client tokens. */
  readonly roles: readonly string[];
  /** RFC 8176 methods of the sign-in (absent on client_credentials tokens). */
  readonly amr?: readonly string[];
  /** Seconds since the epoch of the sign-in's last authentication step (RFC 9470). */
  readonly auth_time?: number;
  readonly [claim: string]: unknown;
}
