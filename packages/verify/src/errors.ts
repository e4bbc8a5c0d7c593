/**
 * Every way `tessera/verify` refuses a token, in one registry. Codes are
 * stable and never reused once retired; `docs/verify.md` lists them and a test
 * keeps the two in step, both ways.
 *
 * Descriptions are fixed strings chosen here, never built from the token: an
 * error may be logged or sent to the client, and a token in a log is a
 * credential in a log.
 *
 * @module tessera/verify
 */

/**
 * The RFC 6750 §3.1 error a failure maps to (plus `temporarily_unavailable`,
 * a 503, when no key can be had).
 *
 * @example
 * ```ts
 * const error: BearerError = err.error; // "invalid_token" → 401, "insufficient_scope" → 403
 * ```
 */
export type BearerError = "invalid_token" | "insufficient_scope" | "insufficient_user_authentication" | "temporarily_unavailable";

/**
 * The registry: every code with its RFC 6750 error, HTTP status and fixed
 * client-safe description. Ships from `tessera/verify`.
 *
 * @example
 * ```ts
 * import { verifyErrorCodes } from "tessera/verify";
 * verifyErrorCodes.ERR_TOKEN_EXPIRED.status; // 401
 * ```
 */
export const verifyErrorCodes = {
  ERR_TOKEN_MALFORMED: { error: "invalid_token", status: 401, description: "The access token is not a well-formed JWS." },
  ERR_ALG_NOT_ALLOWED: { error: "invalid_token", status: 401, description: "The token's signing algorithm is not accepted." },
  ERR_TYP_INVALID: { error: "invalid_token", status: 401, description: "The token is not an access token (typ must be at+jwt)." },
  ERR_CRIT_UNSUPPORTED: { error: "invalid_token", status: 401, description: "The token requires a header extension this verifier does not support." },
  ERR_KEY_NOT_FOUND: { error: "invalid_token", status: 401, description: "No published key matches the token's kid." },
  ERR_KEY_MISMATCH: { error: "invalid_token", status: 401, description: "The key named by the token is not for its algorithm." },
  ERR_SIGNATURE_INVALID: { error: "invalid_token", status: 401, description: "The token's signature is invalid." },
  ERR_CLAIM_INVALID: { error: "invalid_token", status: 401, description: "A claim of the token is missing or wrong." },
  ERR_TOKEN_EXPIRED: { error: "invalid_token", status: 401, description: "The token has expired." },
  ERR_TOKEN_NOT_YET_VALID: { error: "invalid_token", status: 401, description: "The token is not valid yet." },
  ERR_TOKEN_REVOKED: { error: "invalid_token", status: 401, description: "The token's session has ended." },
  ERR_INSUFFICIENT_SCOPE: { error: "insufficient_scope", status: 403, description: "The token lacks a scope this resource requires." },
  ERR_INSUFFICIENT_ROLE: { error: "insufficient_scope", status: 403, description: "The token lacks a role this resource requires." },
  ERR_AMR_INSUFFICIENT: { error: "insufficient_user_authentication", status: 401, description: "The sign-in behind this token did not use a method this resource requires." },
  ERR_AUTH_TOO_OLD: { error: "insufficient_user_authentication", status: 401, description: "The sign-in behind this token is older than this resource allows." },
  ERR_JWKS_UNAVAILABLE: { error: "temporarily_unavailable", status: 503, description: "The issuer's signing keys cannot be fetched right now." },
} as const satisfies Record<string, { error: BearerError; status: 401 | 403 | 503; description: string }>;


/**
 * Every code a {@link VerifyError} can carry; `switch (err.code)` narrows on it.
 *
 * @example
 * ```ts
 * function retryable(code: VerifyErrorCode): boolean {
 *   return code === "ERR_TOKEN_EXPIRED" || code === "ERR_JWKS_UNAVAILABLE";
 * }
 * ```
 */
export type VerifyErrorCode = keyof typeof verifyErrorCodes;

/**
 * The one error `tessera/verify` throws for a refused token. `description` is
 * safe to send to the client; `reason` (and `cause`) are for your logs.
 *
 * @example
 * ```ts
 * import { VerifyError } from "tessera/verify";
 * try {
 *   await verifier.verify(token);
 * } catch (err) {
 *   if (err instanceof VerifyError && err.code === "ERR_TOKEN_EXPIRED") refreshAndRetry();
 *   else throw err;
 * }
 * ```
 */
export class VerifyError extends Error {
  override name = "VerifyError";
  /** Stable, UPPER_SNAKE; listed in `verifyErrorCodes` and docs/verify.md. */
  readonly code: VerifyErrorCode;
  /** The RFC 6750 error for `WWW-Authenticate` (503s say `temporarily_unavailable`). */
  readonly error: BearerError;
  /** The HTTP status an adapter answers with. */
  readonly status: 401 | 403 | 503;
  /** A fixed, client-safe sentence. Never contains the token. */
  readonly description: string;
  /** For ERR_CLAIM_INVALID, the claim or header member at fault (e.g. "aud", "kid"). */
  readonly claim: string | undefined;
  /** More detail for logs (e.g. "expected string"); never token content. */
  readonly reason: string | undefined;

  constructor(code: VerifyErrorCode, extra: { claim?: string; reason?: string; cause?: unknown } = {}) {
    const entry = verifyErrorCodes[code];
    super(entry.description, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    this.error = entry.error;
    this.status = entry.status;
    this.description = entry.description;
    this.claim = extra.claim;
    this.reason = extra.reason;
  }
}

/**
 * Thrown by a scope guard: carries the scopes the resource needs, which the
 * adapters put in `WWW-Authenticate: Bearer ..., scope="..."`.
 *
 * @example
 * ```ts
 * import { InsufficientScopeError, requireScope } from "tessera/verify";
 * try { requireScope("orders:read").check(claims); }
 * catch (err) { if (err instanceof InsufficientScopeError) console.log(err.scope); } // "orders:read"
 * ```
 */
export class InsufficientScopeError extends VerifyError {
  override name = "InsufficientScopeError";
  /** The space-separated scopes the resource requires; empty for a role guard. */
  readonly scope: string;

  constructor(code: "ERR_INSUFFICIENT_SCOPE" | "ERR_INSUFFICIENT_ROLE", scope: string, reason?: string) {
    super(code, reason === undefined ? {} : { reason });
    this.scope = scope;
  }
}

/**
 * Thrown by a step-up guard (RFC 9470): carries what the resource asks of the
 * sign-in, which the adapters put in `WWW-Authenticate` as `acr_values` (the
 * RFC 8176 methods required, space-separated) and `max_age` (seconds).
 *
 * @example
 * ```ts
 * import { InsufficientAuthenticationError, requireAuthTime } from "tessera/verify";
 * try { requireAuthTime(300).check(claims); }
 * catch (err) { if (err instanceof InsufficientAuthenticationError) console.log(err.maxAge); } // 300
 * ```
 */
export class InsufficientAuthenticationError extends VerifyError {
  override name = "InsufficientAuthenticationError";
  /** The methods required (space-separated), for `acr_values`; undefined for a freshness guard. */
  readonly acrValues: string | undefined;
  /** Seconds since sign-in allowed, for `max_age`; undefined for a method guard. */
  readonly maxAge: number | undefined;

  constructor(code: "ERR_AMR_INSUFFICIENT" | "ERR_AUTH_TOO_OLD", challenge: { acrValues?: string; maxAge?: number }, reason?: string) {
    super(code, reason === undefined ? {} : { reason });
    this.acrValues = challenge.acrValues;
    this.maxAge = challenge.maxAge;
  }
}
