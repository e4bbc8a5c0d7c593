/**
 * Pieces every route's schema is built from (docs/api.md "The OpenAPI
 * document"). A response schema also shapes the answer: Fastify serialises
 * with it and drops any property it does not list, so each one lists every
 * field its route sends, and error bodies stay open (`mfa_required` and
 * `invalid_grant` carry more than `error` and `error_description`).
 */
import { errorCodes, type ErrorCode } from "../../core/errors.js";

/** The two encodings the OAuth endpoints read (RFC 6749 form, and JSON). */
export const FORM_OR_JSON = ["application/x-www-form-urlencoded", "application/json"];
export const JSON_ONLY = ["application/json"];

/** Security requirements (the schemes are in openapi.ts); `{}` means "or none". */
type Security = Array<Record<string, string[]>>;
export const SIGNED_IN: Security = [{ bearer: [] }, { cookie: [] }];
/** Unsafe methods: a cookie session also needs its CSRF token. */
export const SIGNED_IN_UNSAFE: Security = [{ bearer: [] }, { cookie: [], csrfToken: [] }];
export const COOKIE_UNSAFE: Security = [{ cookie: [], csrfToken: [] }];
export const CLIENT_AUTH: Security = [{ clientSecretBasic: [] }, {}];
export const METRICS_TOKEN: Security = [{ metricsToken: [] }, {}];
export const PUBLIC: Security = [];

/**
 * The error body, `{error, error_description}` (docs/errors.md), with the
 * codes a route answers under one status. Open: some codes add fields
 * (`reason` on refresh failures, `mfa_token` and `methods` on `mfa_required`).
 */
export function errorBody(codes: ErrorCode[], description = "") {
  for (const code of codes) if (!Object.hasOwn(errorCodes, code)) throw new TypeError(`unknown error code ${code}`);
  return {
    description: description || codes.map((code) => `\`${code}\``).join(", "),
    type: "object",
    required: ["error"],
    additionalProperties: true,
    properties: {
      error: { type: "string", enum: codes },
      error_description: { type: "string" },
      reason: { type: "string", description: "Why a refresh token stopped working: invalid, reuse, idle_timeout, absolute_lifetime, revoked." },
    },
  } as const;
}

/**
 * Groups codes by their status into response schemas: `errors("invalid_request",
 * "unauthorized")` → `{400: …, 401: …}`.
 */
export function errors(...codes: ErrorCode[]): Record<number, ReturnType<typeof errorBody>> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = errorCodes[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, errorBody(list)]));
}

/** What every route may answer: an unexpected failure, or a store that cannot answer now (with Retry-After). */
export const SERVER_FAILURES: ErrorCode[] = ["server_error", "temporarily_unavailable"];
/**
 * What a route with a body may answer before it runs: bad JSON, a field the
 * schema refuses, too large, another content type. Every POST, PUT, PATCH and
 * DELETE answers them, even one that reads no body: Fastify parses whatever
 * body is sent before the route's own steps (sign-in check included).
 */
export const BODY_FAILURES: ErrorCode[] = ["invalid_request", "payload_too_large", "unsupported_media_type"];
/** The same on the OAuth endpoints, where RFC 6749 §5.2 makes another content type a 400 `invalid_request` (shared/errors.ts). */
export const OAUTH_BODY_FAILURES: ErrorCode[] = BODY_FAILURES.filter((code) => code !== "unsupported_media_type");
/** What the sign-in check of a protected route answers (no credentials; an unusable token or cookie). */
export const AUTH_FAILURES: ErrorCode[] = ["unauthorized", "invalid_token"];

/** 204 and 202: no body. */
export const NO_BODY = { type: "null", description: "No body." } as const;

export const str = { type: "string" } as const;
export const time = { type: "string", format: "date-time" } as const;
export const nullableString = { type: ["string", "null"] } as const;
export const strings = { type: "array", items: str } as const;
