/**
 * The OAuth endpoints (RFC 6749, 7009, 7662) and the revocation feed. The
 * token endpoint validates one flat body — an unknown `grant_type` must reach
 * the route, which answers `unsupported_grant_type` as RFC 6749 §5.2 says —
 * and documents it per grant (`documentedBody`, read by openapi.ts only).
 */
import { EMAIL_OTP_GRANT, MFA_GRANT, PASSKEY_GRANT } from "../../core/api.js";
import { OAUTH_BODY_FAILURES, CLIENT_AUTH, FORM_OR_JSON, NO_BODY, PUBLIC, SERVER_FAILURES, errors, str, strings } from "./common.js";

const field = { type: "string", maxLength: 4096 } as const;
const webauthn = { anyOf: [{ type: "string", maxLength: 12288 }, { type: "object" }] } as const;
const resource = { type: "string", maxLength: 512, description: "RFC 8707: the identifier of a registered API; the token's `aud`." } as const;

/** Every grant the token endpoint offers, as discovery lists them. */
export const GRANT_TYPES = ["password", "refresh_token", "client_credentials", MFA_GRANT, PASSKEY_GRANT, EMAIL_OTP_GRANT] as const;

const tokenBody = {
  type: "object",
  required: ["grant_type"],
  properties: {
    grant_type: { type: "string", maxLength: 64 },
    username: field, password: field, refresh_token: field, scope: field, client_id: field, client_secret: field,
    mfa_token: field, otp: { type: "string", maxLength: 64 }, recovery_code: { type: "string", maxLength: 64 }, challenge_id: field,
    // A WebAuthn assertion: an object in a JSON body, its JSON text in a form (anyOf, not a type union: Ajv strict mode).
    webauthn,
    resource,
    email: { type: "string", maxLength: 320 }, code: { type: "string", maxLength: 16 },
  },
} as const;

const clientFields = {
  client_id: { ...field, description: "Optional for the built-in `tessera-web`; a confidential client may send it with `client_secret` (client_secret_post) instead of Basic." },
  client_secret: { ...field, description: "client_secret_post; never together with Basic." },
};
const scope = { ...field, description: "Space-separated scopes (default: the client's defaults)." };

function grant(name: string, description: string, required: string[], properties: Record<string, object>) {
  return {
    title: name, description, type: "object", required: ["grant_type", ...required],
    properties: { grant_type: { type: "string", const: name }, ...properties, ...clientFields },
  };
}

/** The token request as documented: one schema per grant, told apart by `grant_type`. */
const documentedTokenBody = {
  description: `One of the grants below, told apart by \`grant_type\` (${GRANT_TYPES.join(", ")}). Any other value is \`400 unsupported_grant_type\`.`,
  oneOf: [
    grant("password", "The sign-in (RFC 6749 §4.3); first-party clients only. A user with a second factor gets `403 mfa_required`.", ["username", "password"], { username: field, password: field, scope, resource }),
    grant("refresh_token", "The renewal (RFC 6749 §6): a new refresh token, the old one spent (grace window for retries).", ["refresh_token"], { refresh_token: field, scope: { ...scope, description: "Narrowing only." }, resource }),
    grant("client_credentials", "Service tokens (RFC 6749 §4.4): confidential clients; no refresh token.", [], { scope, resource }),
    grant(MFA_GRANT, "The second step of a sign-in: the `mfa_token` of the `mfa_required` answer and one of `otp`, `recovery_code`, `webauthn`.", ["mfa_token"], {
      mfa_token: field, otp: { type: "string", maxLength: 64 }, recovery_code: { type: "string", maxLength: 64 },
      webauthn: { ...webauthn, description: "The WebAuthn assertion (with an enrolment mfa_token: the new passkey's creation response): an object in JSON, its JSON text in a form." },
    }),
    grant(PASSKEY_GRANT, "A passwordless sign-in with a discoverable passkey (`POST /auth/passkeys/login-options` gives `challenge_id`).", ["challenge_id", "webauthn"], { challenge_id: field, webauthn }),
    grant(EMAIL_OTP_GRANT, "A sign-in with the 6-digit code sent by `POST /auth/otp/send`.", ["email", "code"], { email: tokenBody.properties.email, code: tokenBody.properties.code, scope }),
  ],
  discriminator: { propertyName: "grant_type" },
};

export const tokenResponse = {
  description: "RFC 6749 §5.1; `Cache-Control: no-store`.",
  type: "object",
  required: ["access_token", "token_type", "expires_in"],
  properties: {
    access_token: { type: "string", description: "A JWT (RFC 9068, `typ: at+jwt`)." },
    token_type: { type: "string", enum: ["Bearer"] },
    expires_in: { type: "integer", description: "Seconds." },
    refresh_token: { type: "string", description: "Opaque; not for client_credentials." },
    scope: str,
    recovery_codes: { type: "array", items: { type: "string" }, description: "Only when this sign-in enrolled the user's first factor (a required one, docs/mfa.md): ten codes, shown once." },
  },
} as const;

export const tokenSchema = {
  tags: ["oauth"], summary: "Token endpoint: every grant (RFC 6749)", consumes: FORM_OR_JSON, security: CLIENT_AUTH,
  body: tokenBody,
  documentedBody: documentedTokenBody,
  response: {
    200: tokenResponse,
    ...errors(...OAUTH_BODY_FAILURES, "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_target",
      "invalid_client", "mfa_required", "mfa_enrollment_required", "email_not_verified", "too_many_requests", ...SERVER_FAILURES),
  },
} as const;

const tokenOnlyBody = {
  type: "object",
  required: ["token"],
  properties: { token: field, token_type_hint: { ...field, description: "`access_token` or `refresh_token` (a hint only)." }, client_id: field, client_secret: field },
} as const;

export const revokeSchema = {
  tags: ["oauth"], summary: "Revoke a token (RFC 7009)", consumes: FORM_OR_JSON, security: CLIENT_AUTH,
  description: "200 for every well-formed request, known token or not; revoking either token ends its session. Public clients name themselves with `client_id`.",
  body: tokenOnlyBody,
  response: { 200: { ...NO_BODY, description: "Revoked, or nothing to revoke." }, ...errors(...OAUTH_BODY_FAILURES, "invalid_client", ...SERVER_FAILURES) },
} as const;

export const introspectSchema = {
  tags: ["oauth"], summary: "Introspect a token (RFC 7662), confidential clients", consumes: FORM_OR_JSON, security: CLIENT_AUTH,
  description: "Confidential clients only (Basic, or `client_id` and `client_secret` in the body).",
  body: tokenOnlyBody,
  response: {
    200: {
      description: "`{active: false}` for any token that is not usable now.",
      type: "object", required: ["active"],
      properties: {
        active: { type: "boolean" }, sub: str, client_id: str, scope: str, exp: { type: "integer" }, iat: { type: "integer" }, sid: str,
        token_type: { type: "string", enum: ["access_token", "refresh_token"] }, username: str, roles: strings, iss: str,
        aud: { description: "The access token's audience." },
      },
    },
    ...errors(...OAUTH_BODY_FAILURES, "invalid_client", ...SERVER_FAILURES),
  },
} as const;

export const revocationsSchema = {
  tags: ["oauth"], summary: "Feed of ended sessions (long-poll) for resource servers", security: PUBLIC,
  description: "Without `since`: every entry still relevant and the current cursor. With `since`: entries after it, held up to `wait` seconds when there are none.",
  querystring: {
    type: "object",
    properties: {
      since: { type: "string", maxLength: 32, description: "A cursor of an earlier answer." },
      // Strings: request bodies are validated without type coercion, so queries are too.
      wait: { type: "string", pattern: "^(\\d|[12]\\d|30)$", description: "Seconds to hold the request when nothing is new (0 to 30)." },
    },
  },
  response: {
    200: {
      description: "`Cache-Control: no-store`.",
      type: "object", required: ["cursor", "revoked"],
      properties: {
        cursor: str,
        revoked: { type: "array", items: { type: "object", required: ["sid", "exp"], properties: { sid: str, exp: { type: "integer", description: "Epoch seconds: after it the entry may be forgotten." } } } },
      },
    },
    ...errors("invalid_request", "too_many_requests", ...SERVER_FAILURES),
  },
} as const;
