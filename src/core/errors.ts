/**
 * One registry of every error code a client can see, with its HTTP status and
 * meaning. `docs/errors.md` is checked against it by a test, both ways.
 * Codes are never reused once retired.
 */
export const errorCodes = {
  invalid_request: { status: 400, doc: "The request is malformed: a missing, mistyped or out-of-range field (named in the description)." },
  invalid_grant: { status: 400, doc: "Wrong credentials, or a refresh token that is expired, revoked, reused or of a disabled user (one message for all); also an unknown, spent or expired password-reset token." },
  invalid_client: { status: 401, doc: "Client authentication failed (unknown client, wrong secret)." },
  unauthorized_client: { status: 400, doc: "The client may not use this grant type (e.g. the password grant by a third-party client)." },
  unsupported_grant_type: { status: 400, doc: "The grant type is not one Tessera offers." },
  invalid_scope: { status: 400, doc: "A requested scope is unknown, not allowed for the client, or wider than the session's." },
  invalid_token: { status: 401, doc: "The access token is missing its parts, forged, expired, or of an ended session (RFC 6750)." },
  insufficient_scope: { status: 403, doc: "The token lacks the scope or role the resource needs (RFC 6750)." },
  unauthorized: { status: 401, doc: "No credentials were sent to a protected route." },
  invalid_credentials: { status: 400, doc: "The current password given to change a password is wrong." },
  username_taken: { status: 409, doc: "Another user already has this username (compared after normalisation, without case)." },
  invalid_target: { status: 400, doc: "The `resource` of a token request is not a registered API, not one the client may get, or not the one the session was granted (RFC 8707)." },
  api_exists: { status: 409, doc: "An API with this identifier is already registered." },
  email_taken: { status: 409, doc: "Another account has already verified this email address (compared in its normal form, docs/email.md)." },
  email_not_verified: { status: 403, doc: "Sign-in needs a verified email address (TESSERA_REQUIRE_VERIFIED_EMAIL); answered only after the right password or code." },
  client_exists: { status: 409, doc: "A client with this client_id is already registered." },
  not_found: { status: 404, doc: "No such route or resource (also for a session that is not the caller's)." },
  method_not_allowed: { status: 405, doc: "The route exists but not for this method." },
  payload_too_large: { status: 413, doc: "The request body is over 16 KiB." },
  unsupported_media_type: { status: 415, doc: "The body's content type is not one the route accepts." },
  csrf_failed: { status: 403, doc: "A cookie-authenticated unsafe request lacked a valid X-CSRF-Token or an allowed Origin; a cookie sign-in or sign-out came from a page that is not allowed; a read through `/bff` had neither `Sec-Fetch-Site: same-origin` nor the CSRF token." },
  forbidden: { status: 403, doc: "The caller is authenticated but may not do this (e.g. a non-admin on /admin)." },
  too_many_requests: { status: 429, doc: "Too many attempts (or too many held revocation-feed polls from one address); retry after the `Retry-After` seconds." },
  bad_gateway: { status: 502, doc: "The API behind `/bff` answered with more than Tessera passes on (over 1 MiB)." },
  server_error: { status: 500, doc: "An unexpected failure on the server; details are in its log, never in the answer." },
  mfa_enrollment_required: { status: 403, doc: "The first step of a sign-in succeeded, and the user's role requires a second factor they do not have: the answer carries an `mfa_token` that allows enrolling one (`methods`), and the sign-in finishes with the new factor's first code (docs/mfa.md)." },
  mfa_required: { status: 403, doc: "The first step of a sign-in succeeded and the user has a second factor: the answer carries `mfa_token` and `methods` for the second step (docs/mfa.md)." },
  invalid_code: { status: 400, doc: "The code given to confirm a new authenticator app is wrong (docs/mfa.md)." },
  insufficient_user_authentication: { status: 401, doc: "RFC 9470: the sign-in behind this token is too old or used too weak a method; sign in again (the `WWW-Authenticate` header says with what: `acr_values`, `max_age`)." },
  temporarily_unavailable: { status: 503, doc: "The database cannot answer now — its write lock held elsewhere past the busy timeout, a statement past its timeout, a lost connection — answered with `Retry-After: 1` and nothing written; or the API behind `/bff` is unreachable; or too many password hashes already wait for a hashing slot (`Retry-After: 1`, nothing counted by the throttles); or the instance holds as many revocation-feed long polls as it allows." },
} as const satisfies Record<string, { status: number; doc: string }>;

export type ErrorCode = keyof typeof errorCodes;

/**
 * The one error the core throws for anything a client did or may see. `message`
 * is safe to send; `detail` stays in the server log (it may name the exact
 * reason a credential failed, which the client must not learn).
 */
export class TesseraError extends Error {
  override readonly name = "TesseraError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  /** For 429: seconds until a retry may succeed. */
  readonly retryAfter: number | undefined;
  /** For insufficient_scope: the scope the resource needs. */
  readonly scope: string | undefined;
  /**
   * A machine-readable reason sent beside the code, where the caller already
   * holds the credential and may learn why it stopped working (e.g. a refresh
   * token's session ended by reuse, idle timeout, absolute lifetime, revocation).
   */
  readonly reason: string | undefined;
  /** Further fields of the answer's body (e.g. mfa_required's `mfa_token` and `methods`). */
  readonly fields: Record<string, unknown> | undefined;
  /** For insufficient_user_authentication: the RFC 9470 challenge's `acr_values` and `max_age`. */
  readonly challenge: { acrValues?: string; maxAge?: number } | undefined;

  constructor(code: ErrorCode, message: string, extra: { detail?: string; retryAfter?: number; scope?: string; reason?: string; cause?: unknown; fields?: Record<string, unknown>; challenge?: { acrValues?: string; maxAge?: number } } = {}) {
    // No stack trace: a TesseraError is an answer, not a fault. The error handler logs its
    // code and detail, never its stack, and capturing one took an eighth of the CPU of a
    // request refused at its first check (docs/performance.md). A `cause` keeps its own.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.status = errorCodes[code].status;
    this.detail = extra.detail;
    this.retryAfter = extra.retryAfter;
    this.scope = extra.scope;
    this.reason = extra.reason;
    this.fields = extra.fields;
    this.challenge = extra.challenge;
  }
}

/** Why a sign-in's credentials were refused, for events and metrics only: the answer is the same for all. */
export type CredentialFailure = "invalid_credentials" | "unknown_user" | "disabled";

/** A refused sign-in credential, carrying why as a typed outcome. */
export class CredentialsRefused extends TesseraError {
  readonly outcome: CredentialFailure;
  /** `message`: the one text of its sign-in path (a password's by default; an emailed code has its own). */
  constructor(detail: string, outcome: CredentialFailure, message = "The username or password is incorrect.") {
    super("invalid_grant", message, { detail });
    this.outcome = outcome;
  }
}

/** The one answer for every credential failure on every sign-in path (no user enumeration). */
export function invalidCredentials(detail: string, outcome: CredentialFailure = "invalid_credentials"): TesseraError {
  return new CredentialsRefused(detail, outcome);
}

export type RefreshFailure = "invalid" | "reuse" | "idle_timeout" | "absolute_lifetime" | "revoked";

/** The one answer for every unusable refresh token, with the reason its holder may know. */
export function invalidRefreshToken(detail: string, reason: RefreshFailure = "invalid"): TesseraError {
  return new TesseraError("invalid_grant", "The refresh token is invalid, expired or revoked.", { detail, reason });
}

export function invalidToken(detail: string, message = "The access token is invalid or expired."): TesseraError {
  return new TesseraError("invalid_token", message, { detail });
}

export function invalidField(field: string, problem: string): TesseraError {
  return new TesseraError("invalid_request", `${field}: ${problem}`);
}
