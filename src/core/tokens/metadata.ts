/**
 * The RFC 8414 values the core decides. Endpoint URLs are not here: they are
 * HTTP paths, and the server's discovery route adds them under the issuer.
 */
import { EMAIL_OTP_GRANT, MFA_GRANT, PASSKEY_GRANT, type ServerMetadata } from "../api.js";
import type { Config } from "../config.js";

const CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"];

export function serverMetadata(config: Config): ServerMetadata {
  return {
    issuer: config.issuer,
    grant_types_supported: ["password", "refresh_token", "client_credentials", MFA_GRANT, PASSKEY_GRANT, EMAIL_OTP_GRANT],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    // Introspection needs a confidential client.
    introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    response_types_supported: [],
    scopes_supported: config.supportedScopes,
    token_endpoint_auth_signing_alg_values_supported: [],
    access_token_signing_alg_values_supported: [config.signingAlg],
  };
}
