/** Accounts and the signed-in user: registration, `/userinfo`, own sessions, logout, passwords. */
import { AUTH_FAILURES, BODY_FAILURES, JSON_ONLY, NO_BODY, PUBLIC, SERVER_FAILURES, SIGNED_IN, SIGNED_IN_UNSAFE, errors, nullableString, str, strings, time } from "./common.js";

/** A signed-in caller's unsafe request: a body, if sent, parsed first; sign-in check; CSRF for a cookie session. */
const SIGNED_IN_WRITE = [...BODY_FAILURES, ...AUTH_FAILURES, "csrf_failed"] as const;

export const registerSchema = {
  tags: ["accounts"], summary: "Create an account (throttled per IP)", consumes: JSON_ONLY, security: PUBLIC,
  description: "JSON only. Usernames: 3–64 characters after NFKC, compared by case folding and confusable skeleton; passwords 8–128 characters, not common or breached. With `email`, a verification message goes out.",
  body: {
    type: "object",
    required: ["username", "password"],
    properties: {
      username: { type: "string", maxLength: 256 },
      password: { type: "string", maxLength: 1024 },
      email: { type: ["string", "null"], maxLength: 320 },
    },
  },
  response: {
    201: { description: "Created.", type: "object", required: ["id", "username", "created_at"], properties: { id: str, username: str, email: nullableString, created_at: time } },
    ...errors(...BODY_FAILURES, "username_taken", "email_taken", "too_many_requests", ...SERVER_FAILURES),
  },
} as const;

export const userinfoSchema = {
  tags: ["account"], summary: "The signed-in user", security: SIGNED_IN,
  response: {
    200: {
      description: "`Cache-Control: no-store`.",
      type: "object", required: ["sub", "username", "roles", "auth"],
      properties: {
        sub: { type: "string", description: "The user id." }, username: str, email: nullableString, email_verified: { type: "boolean" }, roles: strings,
        auth: { type: "string", enum: ["bearer", "cookie"], description: "Which credential proved the caller." },
        amr: { ...strings, description: "RFC 8176 methods of the sign-in." }, auth_time: { type: "integer", description: "Epoch seconds of the sign-in." },
      },
    },
    ...errors(...AUTH_FAILURES, ...SERVER_FAILURES),
  },
} as const;

export const ownSessionSchema = {
  type: "object",
  properties: {
    id: str, created_at: time, last_used_at: time, expires_at: { ...time, description: "The earlier of the absolute end and the idle deadline." },
    user_agent: nullableString, ip: nullableString, kind: { type: "string", enum: ["token", "cookie"] }, client_id: str,
    current: { type: "boolean", description: "The session of this request." },
  },
} as const;

export const listSessionsSchema = {
  tags: ["account"], summary: "The caller's live sessions", security: SIGNED_IN,
  response: { 200: { description: "`Cache-Control: no-store`.", type: "array", items: ownSessionSchema }, ...errors(...AUTH_FAILURES, ...SERVER_FAILURES) },
} as const;

export const endSessionSchema = {
  tags: ["account"], summary: "End one of the caller's sessions", security: SIGNED_IN_UNSAFE,
  params: { type: "object", properties: { id: str } },
  response: { 204: { ...NO_BODY, description: "Ended." }, ...errors(...SIGNED_IN_WRITE, "not_found", ...SERVER_FAILURES) },
} as const;

export const logoutSchema = {
  tags: ["account"], summary: "End the current session", security: SIGNED_IN_UNSAFE,
  response: { 204: { ...NO_BODY, description: "Ended." }, ...errors(...SIGNED_IN_WRITE, ...SERVER_FAILURES) },
} as const;

export const logoutAllSchema = {
  tags: ["account"], summary: "End every session of the caller", security: SIGNED_IN_UNSAFE,
  response: { 204: { ...NO_BODY, description: "Ended." }, ...errors(...SIGNED_IN_WRITE, ...SERVER_FAILURES) },
} as const;

export const changePasswordSchema = {
  tags: ["account"], summary: "Change the password (other sessions end; needs a recent sign-in)", security: SIGNED_IN_UNSAFE,
  body: {
    type: "object",
    required: ["current_password", "new_password"],
    properties: {
      current_password: { type: "string", maxLength: 1024 },
      new_password: { type: "string", maxLength: 1024 },
    },
  },
  response: {
    204: { ...NO_BODY, description: "Changed; every other session of the user ended." },
    ...errors(...BODY_FAILURES, "invalid_credentials", ...SIGNED_IN_WRITE, "insufficient_user_authentication", "too_many_requests", ...SERVER_FAILURES),
  },
} as const;

export const passwordResetSchema = {
  tags: ["accounts"], summary: "Set a new password with a reset token", security: PUBLIC,
  description: "Spends a one-time reset token (issued by an admin, or mailed by `POST /auth/password/forgot`) and sets the new password. Every session of the user ends.",
  body: {
    type: "object",
    required: ["reset_token", "new_password"],
    properties: {
      reset_token: { type: "string", maxLength: 128 },
      new_password: { type: "string", maxLength: 1024 },
    },
  },
  response: { 204: { ...NO_BODY, description: "Changed." }, ...errors(...BODY_FAILURES, "invalid_grant", "too_many_requests", ...SERVER_FAILURES) },
} as const;
