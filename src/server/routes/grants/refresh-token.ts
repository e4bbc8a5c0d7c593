/** RFC 6749 §6: the renewal, with rotation and reuse detection (core/sessions/refresh.ts) and the redemption throttle (core/abuse/throttle.ts). */
import { clientCredentials } from "../../shared/client-auth.js";
import { requestMeta } from "../../shared/request-meta.js";
import { requireField } from "./require-field.js";
import type { GrantHandler } from "./types.js";

export const refreshTokenGrant: GrantHandler = (tessera, request, body) =>
  tessera.tokens.refreshGrant(clientCredentials(request, body), {
    refreshToken: requireField(body.refresh_token, "refresh_token"),
    scope: body.scope,
    resource: body.resource,
  }, requestMeta(request));
