// One error class for everything the SDK raises, carrying the server's stable
// code so that callers branch on `code`, never on message text.

/**
 * An error from Tessera or from the client itself.
 *
 * Codes the client raises on its own: `not_signed_in` (no session to use),
 * `session_expired` (the server refused the refresh token; the client has
 * signed out). Every other code is the server's `error` (`invalid_grant`,
 * `username_taken`, `csrf_failed`, ...) or `http_<status>` when the answer had
 * no JSON body.
 *
 * @example
 * ```ts
 * import { TesseraError } from "tessera/client";
 * try { await client.signIn("ada", "wrong") }
 * catch (e) { if (e instanceof TesseraError && e.code === "invalid_grant") showBadPassword() }
 * ```
 */
export class TesseraError extends Error {
  override name = "TesseraError";
  /** The server's `reason` field, when it sent one (e.g. why a refresh was refused). */
  reason?: string;
  /**
   * For `mfa_required` (the password was right; a second step is owed): the
   * methods `completeSignIn` can finish with — `totp`, `passkey`,
   * `recovery_code` (only those the user has). For `mfa_enrollment_required`
   * (a factor must be enrolled first): what `enrolTotpToSignIn` /
   * `finishEnrolment` can enrol — `totp`, and `passkey` where passkeys are on.
   */
  methods?: string[];

  constructor(
    readonly code: string,
    message?: string,
    readonly status = 0,
  ) {
    super(message || code);
  }
}

/**
 * The `mfa_token` of an `mfa_required` error, kept off the error itself so
 * that logging the error does not log the token.
 */
export const mfaTokens = new WeakMap<TesseraError, string>();

/** Turns a failed response into a TesseraError, whatever its body holds. */
export async function errorFrom(res: Response): Promise<TesseraError> {
  let body: { error?: unknown; error_description?: unknown; reason?: unknown; mfa_token?: unknown; methods?: unknown } = {};
  try {
    body = (await res.json()) ?? {};
  } catch {
    // Not JSON (a proxy's HTML page, an empty 502): the status is all we have.
  }
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  const error = new TesseraError(text(body.error) ?? `http_${res.status}`, text(body.error_description), res.status);
  error.reason = text(body.reason);
  if (Array.isArray(body.methods)) error.methods = body.methods as string[];
  if (typeof body.mfa_token === "string") mfaTokens.set(error, body.mfa_token);
  return error;
}

/** Reads a JSON body from a successful response, or throws the server's error. */
export async function jsonOrThrow<T>(res: Response): Promise<T> {
  if (!res.ok) throw await errorFrom(res);
  // 204, and the email routes' bodiless 202: nothing to parse.
  const text = res.status === 204 ? "" : await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
