/** Second factors and passkeys of the signed-in user (docs/mfa.md). */
import { AUTH_FAILURES, BODY_FAILURES, CLIENT_AUTH, FORM_OR_JSON, NO_BODY, PUBLIC, SERVER_FAILURES, SIGNED_IN, SIGNED_IN_UNSAFE, errors, nullableString, str, strings, time } from "./common.js";

const tags = ["second factors"];
const idField = { type: "string", maxLength: 256 } as const;
/** An unsafe request: a body, if sent, parsed first (even where none is read); sign-in check; CSRF for a cookie session. */
const WRITE_FAILURES = [...BODY_FAILURES, ...AUTH_FAILURES, "csrf_failed"] as const;
const recoveryCodes = { ...strings, description: "Ten single-use codes, shown once." } as const;
/** WebAuthn options as @simplewebauthn/server makes them (WebAuthn Level 3), passed through whole. */
const webauthnOptions = { type: "object", additionalProperties: true, description: "`PublicKeyCredentialCreationOptionsJSON` / `…RequestOptionsJSON` (WebAuthn Level 3)." } as const;

/** One confirmed factor, as the user and an admin see it. */
export const factorSchema = {
  type: "object",
  properties: {
    id: str, type: { type: "string", enum: ["totp", "passkey"] }, name: str, created_at: time, last_used_at: nullableString,
    backed_up: { type: "boolean", description: "Passkeys: whether the credential is synced." }, device_type: nullableString,
  },
} as const;

export const listFactorsSchema = {
  tags, summary: "The caller's second factors", security: SIGNED_IN,
  response: {
    200: {
      description: "`Cache-Control: no-store`.",
      type: "object", required: ["factors", "recovery_codes_left"],
      properties: {
        factors: { type: "array", items: factorSchema },
        recovery_codes_left: { type: "integer" },
      },
    },
    ...errors(...AUTH_FAILURES, ...SERVER_FAILURES),
  },
} as const;

/** A pending authenticator app: its id, its secret, and the URI its QR code shows. */
const totpEnrolment = { type: "object", required: ["factor_id", "secret", "otpauth_uri"], properties: { factor_id: str, secret: { type: "string", description: "Base32." }, otpauth_uri: str } } as const;

export const enrolTotpSchema = {
  tags, summary: "Start enrolling an authenticator app (pending until confirmed)", security: SIGNED_IN_UNSAFE,
  body: { type: ["object", "null"], properties: { name: { type: "string", maxLength: 256 } }, additionalProperties: false },
  response: {
    200: totpEnrolment,
    ...errors(...BODY_FAILURES, ...WRITE_FAILURES, ...SERVER_FAILURES),
  },
} as const;

export const signInEnrolTotpSchema = {
  tags, summary: "Enrol an authenticator app during a sign-in whose role requires a second factor (with the mfa_token of `mfa_enrollment_required`)",
  description: "No session yet: the enrolment `mfa_token` says who enrols. The sign-in finishes at the token endpoint (mfa grant) or `POST /session/mfa` with the app's first code, whose answer carries the recovery codes (docs/mfa.md).",
  security: CLIENT_AUTH, consumes: FORM_OR_JSON,
  body: {
    type: "object", required: ["mfa_token"], additionalProperties: false,
    properties: { mfa_token: { type: "string", maxLength: 256 }, name: { type: "string", maxLength: 256 }, client_id: { type: "string", maxLength: 256 }, client_secret: { type: "string", maxLength: 4096 } },
  },
  response: {
    200: totpEnrolment,
    // No 429: this only starts the enrolment (nothing is checked); the code it leads to is, under the second-factor throttle.
    ...errors(...BODY_FAILURES, "invalid_grant", "invalid_client", ...SERVER_FAILURES),
  },
} as const;

export const confirmTotpSchema = {
  tags, summary: "Confirm an authenticator app with its current code", security: SIGNED_IN_UNSAFE,
  body: { type: "object", required: ["factor_id", "code"], properties: { factor_id: idField, code: { type: "string", maxLength: 64 } }, additionalProperties: false },
  response: {
    200: { description: "`recovery_codes` when it is the user's first factor, else `{}`.", type: "object", properties: { recovery_codes: recoveryCodes } },
    // No 429: confirming needs the signed-in user's own pending app, whose secret they were just shown; a guessed code gains nothing.
    ...errors(...BODY_FAILURES, "invalid_code", ...WRITE_FAILURES, "not_found", ...SERVER_FAILURES),
  },
} as const;

export const removeFactorSchema = {
  tags, summary: "Remove a second factor (needs a recent sign-in)", security: SIGNED_IN_UNSAFE,
  params: { type: "object", properties: { id: idField } },
  response: { 204: { ...NO_BODY, description: "Removed." }, ...errors(...WRITE_FAILURES, "insufficient_user_authentication", "not_found", ...SERVER_FAILURES) },
} as const;

export const recoveryCodesSchema = {
  tags, summary: "A new set of recovery codes; the old ones die (needs a recent sign-in)", security: SIGNED_IN_UNSAFE,
  response: {
    200: { type: "object", required: ["recovery_codes"], properties: { recovery_codes: recoveryCodes } },
    ...errors("invalid_request", ...WRITE_FAILURES, "insufficient_user_authentication", ...SERVER_FAILURES),
  },
} as const;

const passkeysOff = "`400 invalid_request` when passkeys are off (an IP-address issuer without TESSERA_WEBAUTHN_RP_ID).";
/** A route that reads no field: no body, `null` or `{}`; an unknown field is refused as everywhere else. */
const noFields = { type: ["object", "null"], properties: {}, additionalProperties: false } as const;

export const passkeyOptionsSchema = {
  tags, summary: "WebAuthn creation options for a new passkey", security: SIGNED_IN_UNSAFE, description: passkeysOff,
  body: noFields,
  response: { 200: webauthnOptions, ...errors("invalid_request", ...WRITE_FAILURES, ...SERVER_FAILURES) },
} as const;

export const registerPasskeySchema = {
  tags, summary: "Enrol a passkey with the authenticator's answer", security: SIGNED_IN_UNSAFE, description: passkeysOff,
  body: { type: "object", required: ["response"], properties: { response: { type: "object" }, name: { type: "string", maxLength: 256 } }, additionalProperties: false },
  response: {
    201: { type: "object", required: ["id", "name", "created_at"], properties: { id: str, name: str, created_at: time, recovery_codes: { ...recoveryCodes, description: "When it is the user's first factor: ten single-use codes, shown once." } } },
    ...errors(...BODY_FAILURES, "invalid_grant", ...WRITE_FAILURES, ...SERVER_FAILURES),
  },
} as const;

export const signInEnrolPasskeyOptionsSchema = {
  tags, summary: "Creation options for a passkey enrolled during a sign-in whose role requires a second factor (with the mfa_token of `mfa_enrollment_required`)",
  description: `No session yet: the enrolment \`mfa_token\` says who enrols; nothing is spent. The sign-in finishes at the token endpoint (mfa grant) or \`POST /session/mfa\` with the authenticator's creation response as \`webauthn\`, whose answer carries the recovery codes (docs/mfa.md). ${passkeysOff}`,
  security: CLIENT_AUTH, consumes: FORM_OR_JSON,
  body: {
    type: "object", required: ["mfa_token"], additionalProperties: false,
    properties: { mfa_token: { type: "string", maxLength: 256 }, client_id: { type: "string", maxLength: 256 }, client_secret: { type: "string", maxLength: 4096 } },
  },
  // No 429: options check nothing; the creation response they lead to is checked under the second-factor throttle.
  response: { 200: webauthnOptions, ...errors(...BODY_FAILURES, "invalid_grant", "invalid_client", ...SERVER_FAILURES) },
} as const;

export const passkeyLoginOptionsSchema = {
  tags, summary: "Options for a passwordless passkey sign-in (also for conditional UI)", security: PUBLIC, description: passkeysOff,
  body: noFields,
  response: {
    200: { type: "object", required: ["challenge_id", "options"], properties: { challenge_id: str, options: webauthnOptions } },
    ...errors(...BODY_FAILURES, ...SERVER_FAILURES),
  },
} as const;

export const passkeyMfaOptionsSchema = {
  tags, summary: "Options for a passkey as the second step of a sign-in", security: CLIENT_AUTH, consumes: FORM_OR_JSON,
  description: `The \`mfa_token\` names the user; nothing is spent. \`400 invalid_grant\` when the user has no passkey (\`mfa_required\` did not offer one), as the second step refuses a method the user does not have. ${passkeysOff}`,
  body: {
    type: "object", required: ["mfa_token"], additionalProperties: false,
    properties: { mfa_token: { type: "string", maxLength: 256 }, client_id: { type: "string", maxLength: 256 }, client_secret: { type: "string", maxLength: 4096 } },
  },
  response: { 200: webauthnOptions, ...errors(...BODY_FAILURES, "invalid_grant", "invalid_client", ...SERVER_FAILURES) },
} as const;
