/** Discovery, health, metrics, the demo page and the `/bff` proxy. */
import { GRANT_TYPES } from "./oauth.js";
import { AUTH_FAILURES, COOKIE_UNSAFE, METRICS_TOKEN, PUBLIC, SERVER_FAILURES, errors, str, strings } from "./common.js";

const url = { type: "string", format: "uri" } as const;

export const discoverySchema = {
  tags: ["discovery"], summary: "Authorization server metadata (RFC 8414)", security: PUBLIC,
  response: {
    200: {
      description: "Every URL is built from the issuer. `Cache-Control: public, max-age=3600`.",
      type: "object", additionalProperties: true,
      required: ["issuer", "token_endpoint", "jwks_uri", "grant_types_supported", "response_types_supported"],
      properties: {
        issuer: url, token_endpoint: url, revocation_endpoint: url, introspection_endpoint: url, jwks_uri: url, userinfo_endpoint: url,
        registration_endpoint: url, revocation_feed_endpoint: url,
        grant_types_supported: { type: "array", items: { type: "string", enum: GRANT_TYPES } },
        token_endpoint_auth_methods_supported: strings, revocation_endpoint_auth_methods_supported: strings,
        introspection_endpoint_auth_methods_supported: strings, response_types_supported: strings, scopes_supported: strings,
        token_endpoint_auth_signing_alg_values_supported: strings, access_token_signing_alg_values_supported: strings,
      },
    },
  },
} as const;

export const jwksSchema = {
  tags: ["discovery"], summary: "Public signing keys (RFC 7517)", security: PUBLIC, produces: ["application/jwk-set+json"],
  response: {
    200: {
      description: "`Cache-Control: public, max-age=<TESSERA_JWKS_MAX_AGE>`; keys about to sign are published before they do.",
      type: "object", required: ["keys"],
      properties: {
        keys: {
          type: "array",
          items: { type: "object", required: ["kid", "alg", "use", "kty"], additionalProperties: true, properties: { kid: str, alg: str, use: { type: "string", enum: ["sig"] }, kty: str } },
        },
      },
    },
  },
} as const;

export const healthzSchema = {
  tags: ["operations"], summary: "The process answers (liveness)", security: PUBLIC,
  response: { 200: { type: "object", properties: { status: { type: "string", enum: ["ok"] } } } },
} as const;

const check = { type: "string", enum: ["ok", "unreachable", "disabled"] } as const;
const readiness = (description: string) => ({
  description, type: "object",
  properties: {
    status: { type: "string", enum: ["ok", "degraded", "unavailable"] },
    checks: { type: "object", properties: { store: check, redis: check } },
  },
}) as const;

export const readyzSchema = {
  tags: ["operations"], summary: "The store answers too (readiness)", security: PUBLIC,
  response: {
    200: readiness("Ready; `degraded` when Redis alone is down. `Cache-Control: no-store`."),
    503: readiness("The store does not answer: take the instance out of rotation."),
  },
} as const;

export const metricsSchema = {
  tags: ["operations"], summary: "Prometheus metrics (docs/metrics.md)", produces: ["text/plain"],
  description: "With TESSERA_METRICS_TOKEN set, it needs `Authorization: Bearer <that token>`.",
  security: METRICS_TOKEN,
  response: {
    200: { description: "Prometheus text format 0.0.4.", type: "string" },
    ...errors("unauthorized", ...SERVER_FAILURES),
  },
} as const;

export const demoPageSchema = {
  tags: ["pages"], summary: "The demo page (TESSERA_DEMO_PAGE)", security: PUBLIC, produces: ["text/html"],
  description: "Static HTML under a strict CSP; the sign-in demo of docs/demo.md.",
  response: { 200: { description: "HTML.", type: "string" } },
} as const;

export const bffSchema = {
  tags: ["cookie sessions"], summary: "Forward a cookie session's request to the API behind `/bff` (TESSERA_BFF_UPSTREAM)",
  security: COOKIE_UNSAFE,
  description: "Cookie sessions only. The path and query after `/bff` go to the API byte for byte, with a Bearer token of the session; the body as received (up to 16 KiB). "
    + "Reads need `Sec-Fetch-Site: same-origin` or the `X-CSRF-Token`; writes the CSRF token and an allowed `Origin`. Every answer has `Content-Security-Policy: default-src 'none'; sandbox` and a private or no-store `Cache-Control`.",
  response: {
    default: { description: "The API's answer (status, body, and the headers listed in docs/api.md), up to 1 MiB." },
    ...errors("invalid_request", "payload_too_large", ...AUTH_FAILURES, "forbidden", "csrf_failed", "bad_gateway", ...SERVER_FAILURES),
  },
} as const;
