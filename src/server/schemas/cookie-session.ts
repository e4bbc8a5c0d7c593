/**
 * Cookie sessions: every sign-in answers the same body and sets
 * `__Host-tessera_session` (HttpOnly) and the CSRF cookie. Each route is JSON
 * only and must come from a trusted page (login CSRF, docs/security.md).
 */
import { BODY_FAILURES, COOKIE_UNSAFE, JSON_ONLY, NO_BODY, PUBLIC, SERVER_FAILURES, errors } from "./common.js";

const cookieLoginAnswer = {
  description: "Signed in: `Set-Cookie: __Host-tessera_session=…; Path=/; HttpOnly; Secure; SameSite=Lax` and the CSRF cookie.",
  type: "object", required: ["csrf_token", "expires_in"],
  properties: {
    csrf_token: { type: "string", description: "Send it as `X-CSRF-Token` on every unsafe request of this session." },
    expires_in: { type: "integer", description: "Seconds the cookie lives." },
    recovery_codes: { type: "array", items: { type: "string" }, description: "Only when this sign-in enrolled the user's first factor (a required one, docs/mfa.md): ten codes, shown once." },
  },
  headers: { "set-cookie": { schema: { type: "string" }, description: "The session cookie and the CSRF cookie." } },
} as const;

const trustedPage = "JSON only, from a trusted page (`Sec-Fetch-Site: same-origin`, or an allowed `Origin`/`Referer`): otherwise `403 csrf_failed`.";
/** A cookie sign-in's refusals: the request's shape and origin, then the credentials. */
const SIGN_IN_FAILURES = [...BODY_FAILURES, "csrf_failed", "invalid_grant", "mfa_required", "mfa_enrollment_required", "email_not_verified", "too_many_requests", ...SERVER_FAILURES] as const;

function cookieSignIn(summary: string, description: string, body: object, codes: readonly (typeof SIGN_IN_FAILURES)[number][] = SIGN_IN_FAILURES) {
  return {
    tags: ["cookie sessions"], summary, description: `${description} ${trustedPage}`, consumes: JSON_ONLY, security: PUBLIC,
    body, response: { 200: cookieLoginAnswer, ...errors(...codes) },
  } as const;
}

const text = (maxLength: number) => ({ type: "string", maxLength }) as const;

export const sessionLoginSchema = cookieSignIn("Sign in with a cookie session", "Same credential check and failures as the password grant.", {
  type: "object",
  required: ["username", "password"],
  properties: { username: text(4096), password: text(4096) },
});

export const sessionMfaSchema = cookieSignIn("Second step of a cookie sign-in", "The fields of the mfa grant: `mfa_token` and one of `otp`, `recovery_code`, `webauthn`.", {
  type: "object",
  required: ["mfa_token"],
  properties: { mfa_token: text(256), otp: text(64), recovery_code: text(64), webauthn: { type: "object" } },
  additionalProperties: false,
}, [...BODY_FAILURES, "csrf_failed", "invalid_grant", "email_not_verified", "too_many_requests", ...SERVER_FAILURES]);

export const sessionPasskeySchema = cookieSignIn("Passwordless cookie sign-in with a passkey", "`challenge_id` from `POST /auth/passkeys/login-options`; `400 invalid_request` when passkeys are off.", {
  type: "object", required: ["challenge_id", "webauthn"], additionalProperties: false,
  properties: { challenge_id: text(256), webauthn: { type: "object" } },
  // No 429: an assertion is a signature over a single-use challenge, nothing to guess, so no throttle counts here.
}, [...BODY_FAILURES, "csrf_failed", "invalid_grant", "email_not_verified", ...SERVER_FAILURES]);

export const sessionOtpSchema = cookieSignIn("Cookie sign-in with an emailed code", "The code of `POST /auth/otp/send`; a user with a second factor gets `mfa_required`.", {
  type: "object", required: ["email", "code"], additionalProperties: false,
  properties: { email: text(320), code: text(16) },
});

export const sessionLogoutSchema = {
  tags: ["cookie sessions"], summary: "End the cookie session", security: [...COOKIE_UNSAFE, {}],
  description: `No body, or a JSON one. A live session also needs its \`X-CSRF-Token\`; without one the answer is the same 204. ${trustedPage}`,
  consumes: JSON_ONLY,
  response: { 204: { ...NO_BODY, description: "Ended (if there was a session); cookies cleared." }, ...errors(...BODY_FAILURES, "csrf_failed", ...SERVER_FAILURES) },
} as const;
