/** RFC 6749 §6: the renewal, with rotation and reuse detection (core/sessions/session-service.ts). */
import { clientCredentials } from "../../shared/client-auth.js";
import { requestMeta } from "../../shared/request-meta.js";
import { requireField } from "./require-field.js";
import type { GrantHandler } from "./types.js";

// Refused tokens count against the caller's address (core/abuse/throttle.ts); valid ones cost one counter read.
export const refreshTokenGrant: GrantHandler = (tessera, request, body) =>
  tessera.throttle.tokenRedemption(request.ip, () => tessera.tokens.refreshGrant(clientCredentials(request, body), {
    refreshToken: requireField(body.refresh_token, "refresh_token"),
    scope: body.scope,
    resource: body.resource,
  }, requestMeta(request)));
