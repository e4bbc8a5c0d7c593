/**
 * The email routes (docs/email.md). Answers that must not tell whether an
 * account exists are a bare 202, whatever the address.
 */
import { AUTH_FAILURES, BODY_FAILURES, JSON_ONLY, NO_BODY, PUBLIC, SERVER_FAILURES, SIGNED_IN_UNSAFE, errors } from "./common.js";

const tags = ["email"];
const email = { type: "string", maxLength: 320 } as const;
const accepted = (description: string) => ({ ...NO_BODY, description });

export const resendVerificationSchema = {
  tags, summary: "Send the verification message again", description: "To the signed-in user's unverified address.", security: SIGNED_IN_UNSAFE,
  response: { 202: accepted("Queued (or nothing to send)."), ...errors(...BODY_FAILURES, ...AUTH_FAILURES, "csrf_failed", "too_many_requests", ...SERVER_FAILURES) },
} as const;

export const verifyEmailSchema = {
  tags, summary: "Verify an address with the token (or code) of its message", description: "`/userinfo` then says `email_verified: true`.", security: PUBLIC, consumes: JSON_ONLY,
  body: { type: "object", required: ["token"], additionalProperties: false, properties: { token: { type: "string", maxLength: 64 } } },
  response: { 204: { ...NO_BODY, description: "Verified." }, ...errors(...BODY_FAILURES, "invalid_grant", "email_taken", "too_many_requests", ...SERVER_FAILURES) },
} as const;

export const forgotPasswordSchema = {
  tags, summary: "Ask for a password-reset message", security: PUBLIC, consumes: JSON_ONLY,
  description: "The same answer whether or not the account exists; the message goes to a verified address only, sent after the answer.",
  body: { type: "object", additionalProperties: false, minProperties: 1, maxProperties: 1, properties: { email, username: { type: "string", maxLength: 256 } } },
  response: { 202: accepted("Accepted (whether or not the account exists)."), ...errors(...BODY_FAILURES, "too_many_requests", ...SERVER_FAILURES) },
} as const;

export const changeEmailSchema = {
  tags, summary: "Change the address", security: SIGNED_IN_UNSAFE,
  description: "A verification to the new address, a notice to the old one; the address changes when the new one is verified.",
  body: { type: "object", required: ["email", "password"], additionalProperties: false, properties: { email, password: { type: "string", maxLength: 1024 } } },
  response: { 202: accepted("Messages queued."), ...errors(...BODY_FAILURES, ...AUTH_FAILURES, "csrf_failed", "invalid_credentials", "too_many_requests", ...SERVER_FAILURES) },
} as const;

export const sendCodeSchema = {
  tags, summary: "Send a 6-digit sign-in code", security: PUBLIC, consumes: JSON_ONLY,
  description: "The same answer for every address; a code goes to a verified address only. Spend it with the email-otp grant or `POST /session/otp`.",
  body: { type: "object", required: ["email"], additionalProperties: false, properties: { email } },
  response: { 202: accepted("Accepted (whatever the address)."), ...errors(...BODY_FAILURES, "too_many_requests", ...SERVER_FAILURES) },
} as const;
