/**
 * JSON schemas shared by the admin routes: they validate requests, shape the
 * answers (Fastify serialises with them, so a field not listed never leaves
 * the server) and describe both in the OpenAPI document.
 */
import { invalidField, type ErrorCode } from "../../../core/errors.js";
import { AUTH_FAILURES, BODY_FAILURES, SERVER_FAILURES, errors } from "../../schemas/common.js";

const str = { type: "string" } as const;
const time = { type: "string", format: "date-time" } as const;
const nullable = (type: string) => ({ type: [type, "null"] }) as const;

export const errorSchema = {
  type: "object",
  properties: { error: str, error_description: str },
} as const;

export const userSchema = {
  type: "object",
  properties: {
    id: str, username: str, email: nullable("string"), email_verified: { type: "boolean" }, roles: { type: "array", items: str }, disabled: { type: "boolean" },
    created_at: time, updated_at: time, password_changed_at: time,
  },
} as const;

export const sessionSchema = {
  type: "object",
  properties: {
    id: str, user_id: str, kind: str, client_id: str, scope: str, created_at: time, last_used_at: time, expires_at: time,
    ip: nullable("string"), user_agent: nullable("string"),
  },
} as const;

export const clientSchema = {
  type: "object",
  properties: {
    client_id: str, name: str, type: str, first_party: { type: "boolean" }, grant_types: { type: "array", items: str },
    scopes: { type: "array", items: str }, access_token_ttl: nullable("integer"), created_at: time, disabled: { type: "boolean" },
    client_secret: { type: "string", description: "Only in the answer to a creation, and only for a confidential client: shown once." },
  },
} as const;

export const keySchema = {
  type: "object",
  properties: {
    kid: str, alg: str, signing: { type: "boolean" }, created_at: time, activates_at: time,
    retires_at: nullable("string"), expires_at: nullable("string"), revoked_at: nullable("string"),
  },
} as const;

export const auditEventSchema = {
  type: "object",
  properties: {
    id: { type: "integer" }, at: time, type: str, outcome: str, user_id: nullable("string"), session_id: nullable("string"),
    client_id: nullable("string"), actor: nullable("string"), ip: nullable("string"), user_agent: nullable("string"),
    detail: { type: ["object", "null"], additionalProperties: true },
  },
} as const;

export const idParams = { type: "object", required: ["id"], properties: { id: { type: "string", maxLength: 256 } } } as const;

/**
 * What every admin route may answer before it runs (index.ts): no or an
 * unusable credential (401), not an admin (403 `forbidden`); and what every
 * route may answer at all: an unexpected failure, a store that cannot answer.
 */
const ADMIN_READ: ErrorCode[] = [...AUTH_FAILURES, "forbidden", ...SERVER_FAILURES];
/**
 * A change also needs a recent sign-in (401 `insufficient_user_authentication`)
 * and, from a cookie session, its CSRF token (403 `csrf_failed`); and its body,
 * if any is sent, is parsed before anything else (bad JSON, too large, another
 * content type), so even a route that reads no body answers those.
 */
const ADMIN_WRITE: ErrorCode[] = [...ADMIN_READ, "insufficient_user_authentication", "csrf_failed", ...BODY_FAILURES];

/** The error answers of an admin read (GET), with the codes its own checks add. */
export const readErrors = (...own: ErrorCode[]) => errors(...ADMIN_READ, ...own);
/** The error answers of an admin change (POST, PUT, PATCH, DELETE), with the codes its own checks add. */
export const writeErrors = (...own: ErrorCode[]) => errors(...ADMIN_WRITE, ...own);

export const pageQuery = {
  limit: { type: "string", pattern: "^[0-9]{1,4}$", description: "Page size, 1 to 500 (default 50)." },
  cursor: { type: "string", maxLength: 512, description: "The `next_cursor` of the previous page." },
} as const;

/** `limit` arrives as a string (queries are not coerced): 1 to 500, default 50. */
export function pageLimit(raw: string | undefined): number {
  if (raw === undefined) return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw invalidField("limit", "must be between 1 and 500");
  return n;
}
