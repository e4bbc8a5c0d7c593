/** RFC 6749 §4.4: service tokens for confidential clients; no refresh token, no session. */
import { clientCredentials } from "../../shared/client-auth.js";
import type { GrantHandler } from "./types.js";

export const clientCredentialsGrant: GrantHandler = (tessera, request, body) =>
  tessera.tokens.clientCredentialsGrant(clientCredentials(request, body), { scope: body.scope, resource: body.resource });
