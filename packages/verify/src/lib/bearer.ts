/**
 * RFC 6750 on the wire, shared by every adapter: reading the Bearer
 * credential from the Authorization header (and only from there: a token in
 * a query string ends up in access logs and Referer headers), and writing
 * the refusal.
 */
import { VerifyError, InsufficientAuthenticationError, InsufficientScopeError } from "../errors.js";
import { DEFAULT_REALM } from "./realm.js";

/**
 * The token, null when no Bearer credential was sent (another scheme counts
 * as none), or a VerifyError for a Bearer header that holds no usable token.
 */
export function bearerToken(authorization: string | string[] | null | undefined): string | null | VerifyError {
  if (typeof authorization !== "string") return null;
  const space = authorization.indexOf(" ");
  const scheme = space < 0 ? authorization : authorization.slice(0, space);
  if (scheme.toLowerCase() !== "bearer") return null;
  const token = space < 0 ? "" : authorization.slice(space + 1).trim();
  // No b64token regex here: verify() checks the JWS syntax anyway, and a
  // second scan of every token was a measurable share of a cache hit.
  return token.length > 0 ? token : new VerifyError("ERR_TOKEN_MALFORMED", { reason: "Authorization: Bearer without a token" });
}

export interface Refusal {
  status: 401 | 403 | 503;
  headers: Record<string, string>;
  body: string;
}

/**
 * The response for a refusal. `error` null means no credentials were sent:
 * RFC 6750 §3.1 says the challenge then carries no error code. Descriptions
 * come from the error registry, so nothing from the token can be echoed.
 */
export function refusal(realm: string, error: VerifyError | null): Refusal {
  const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store" };
  if (error === null) {
    headers["www-authenticate"] = `Bearer realm="${realm}"`;
    return { status: 401, headers, body: JSON.stringify({ error: "unauthorized", error_description: "A Bearer access token is required." }) };
  }
  if (error.status === 503) {
    headers["retry-after"] = "5";
  } else {
    let challenge = `Bearer realm="${realm}", error="${error.error}", error_description="${error.description}"`;
    if (error instanceof InsufficientScopeError && error.scope !== "") challenge += `, scope="${error.scope}"`;
    // RFC 9470 §3: what a new sign-in must satisfy.
    if (error instanceof InsufficientAuthenticationError) {
      if (error.acrValues !== undefined) challenge += `, acr_values="${error.acrValues}"`;
      if (error.maxAge !== undefined) challenge += `, max_age=${error.maxAge}`;
    }
    headers["www-authenticate"] = challenge;
  }
  return { status: error.status, headers, body: JSON.stringify({ error: error.error, error_description: error.description }) };
}

/** Realms may not break out of their quoted-string. */
export function checkRealm(realm: unknown): string {
  if (realm === undefined) return DEFAULT_REALM;
  if (typeof realm !== "string" || !/^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/.test(realm)) {
    throw new TypeError("realm must be printable ASCII without quotes or backslashes");
  }
  return realm;
}
