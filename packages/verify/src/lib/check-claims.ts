/**
 * Claim checks of RFC 9068 §4 after the signature holds: issuer, audience,
 * time window with clock tolerance, subject, and the types of the claims the
 * guards read (a `scope` that is an array would otherwise slip past them).
 */
import { VerifyError } from "../errors.js";
import type { AccessTokenClaims } from "../claims.js";

/** Which audiences are accepted: a Set fits; the server's introspection accepts any it signed for. */
export interface AudienceFilter {
  has(audience: string): boolean;
}

export interface ClaimsPolicy {
  issuer: string;
  audiences: AudienceFilter;
  /** seconds, for `nbf` and `iat` (a token dated in the future), and for `exp` unless `expiryTolerance` says otherwise */
  clockTolerance: number;
  /**
   * seconds past `exp`; default `clockTolerance`. The issuer checking its own
   * tokens uses 0: the clock that set `exp` is its own.
   */
  expiryTolerance?: number;
}

function invalid(claim: string, reason: string): VerifyError {
  return new VerifyError("ERR_CLAIM_INVALID", { claim, reason });
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function checkTime(payload: Record<string, unknown>, nowSeconds: number, policy: ClaimsPolicy): void {
  const { exp, nbf, iat } = payload;
  const tolerance = policy.clockTolerance;
  if (!isNumber(exp)) throw invalid("exp", "missing or not a number");
  if (!isNumber(iat)) throw invalid("iat", "missing or not a number");
  if (nbf !== undefined && !isNumber(nbf)) throw invalid("nbf", "not a number");
  if (exp <= nowSeconds - (policy.expiryTolerance ?? tolerance)) throw new VerifyError("ERR_TOKEN_EXPIRED", { claim: "exp" });
  if (nbf !== undefined && nbf > nowSeconds + tolerance) throw new VerifyError("ERR_TOKEN_NOT_YET_VALID", { claim: "nbf" });
  // An iat in the future means the issuer's clock or the token is wrong.
  if (iat > nowSeconds + tolerance) throw new VerifyError("ERR_TOKEN_NOT_YET_VALID", { claim: "iat" });
}

function checkAudience(aud: unknown, audiences: AudienceFilter): void {
  if (typeof aud === "string") {
    if (audiences.has(aud)) return;
  } else if (Array.isArray(aud) && aud.every((a) => typeof a === "string")) {
    if (aud.some((a: string) => audiences.has(a))) return;
  } else {
    throw invalid("aud", "missing or not a string or array of strings");
  }
  throw invalid("aud", "no accepted audience");
}

function optionalString(payload: Record<string, unknown>, claim: string): void {
  const value = payload[claim];
  if (value !== undefined && typeof value !== "string") throw invalid(claim, "not a string");
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/**
 * Checks the payload and returns it as frozen claims, with `scope` and `roles`
 * defaulted. A claim of the wrong type is refused, never dropped or coerced:
 * `"roles": ["admin", 1]` is a forged or broken token, not a user with one role.
 */
export function checkClaims(payload: Record<string, unknown>, policy: ClaimsPolicy, nowSeconds: number): AccessTokenClaims {
  if (payload.iss !== policy.issuer) throw invalid("iss", "not the expected issuer");
  checkAudience(payload.aud, policy.audiences);
  checkTime(payload, nowSeconds, policy);
  if (typeof payload.sub !== "string" || payload.sub.length === 0) throw invalid("sub", "missing or empty");
  // RFC 9068 §2.2: every access token names its client.
  if (typeof payload.client_id !== "string") throw invalid("client_id", "missing or not a string");
  for (const claim of ["jti", "sid", "scope"]) optionalString(payload, claim);
  const roles = payload.roles ?? [];
  if (!isStringList(roles)) throw invalid("roles", "not an array of strings");
  if (payload.amr !== undefined && !isStringList(payload.amr)) throw invalid("amr", "not an array of strings");
  if (payload.auth_time !== undefined && !isNumber(payload.auth_time)) throw invalid("auth_time", "not a number");
  const aud = Array.isArray(payload.aud) ? Object.freeze([...(payload.aud as string[])]) : payload.aud;
  const amr = payload.amr === undefined ? {} : { amr: Object.freeze([...payload.amr]) };
  return Object.freeze({ ...payload, aud, scope: payload.scope ?? "", roles: Object.freeze([...roles]), ...amr }) as AccessTokenClaims;
}
