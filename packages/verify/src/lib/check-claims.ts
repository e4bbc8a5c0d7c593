/**
 * Claim checks of RFC 9068 §4 after the signature holds: issuer, audience,
 * time window with clock tolerance, subject, and the types of the claims the
 * guards read (a `scope` that is an array would otherwise slip past them).
 */
import { VerifyError } from "../errors.js";
import type { AccessTokenClaims } from "../types.js";

export interface ClaimsPolicy {
  issuer: string;
  audiences: ReadonlySet<string>;
  /** seconds */
  clockTolerance: number;
}

function invalid(claim: string, reason: string): VerifyError {
  return new VerifyError("ERR_CLAIM_INVALID", { claim, reason });
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function checkTime(payload: Record<string, unknown>, nowSeconds: number, tolerance: number): void {
  const { exp, nbf, iat } = payload;
  if (!isNumber(exp)) throw invalid("exp", "missing or not a number");
  if (!isNumber(iat)) throw invalid("iat", "missing or not a number");
  if (nbf !== undefined && !isNumber(nbf)) throw invalid("nbf", "not a number");
  if (exp <= nowSeconds - tolerance) throw new VerifyError("ERR_TOKEN_EXPIRED", { claim: "exp" });
  if (nbf !== undefined && nbf > nowSeconds + tolerance) throw new VerifyError("ERR_TOKEN_NOT_YET_VALID", { claim: "nbf" });
  // An iat in the future means the issuer's clock or the token is wrong.
  if (iat > nowSeconds + tolerance) throw new VerifyError("ERR_TOKEN_NOT_YET_VALID", { claim: "iat" });
}

function checkAudience(aud: unknown, audiences: ReadonlySet<string>): void {
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

/** Checks the payload and returns it as frozen claims, with `scope` and `roles` defaulted. */
export function checkClaims(payload: Record<string, unknown>, policy: ClaimsPolicy, nowSeconds: number): AccessTokenClaims {
  if (payload.iss !== policy.issuer) throw invalid("iss", "not the expected issuer");
  checkAudience(payload.aud, policy.audiences);
  checkTime(payload, nowSeconds, policy.clockTolerance);
  if (typeof payload.sub !== "string" || payload.sub.length === 0) throw invalid("sub", "missing or empty");
  for (const claim of ["jti", "client_id", "sid", "scope"]) optionalString(payload, claim);
  const roles = payload.roles ?? [];
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === "string")) throw invalid("roles", "not an array of strings");
  const aud = Array.isArray(payload.aud) ? Object.freeze([...(payload.aud as string[])]) : payload.aud;
  return Object.freeze({ ...payload, aud, scope: payload.scope ?? "", roles: Object.freeze([...roles]) }) as AccessTokenClaims;
}
