/** `grant_type=urn:tessera:params:oauth:grant-type:passkey`: a passwordless sign-in (docs/mfa.md). */
import { TesseraError } from "../../../core/errors.js";
import { clientCredentials } from "../../shared/client-auth.js";
import { requestMeta } from "../../shared/request-meta.js";
import { webauthnField } from "./mfa.js";
import { requireField } from "./require-field.js";
import type { GrantHandler } from "./types.js";

export { PASSKEY_GRANT } from "../../../core/api.js";

export const passkeyGrant: GrantHandler = (tessera, request, body) => {
  const webauthn = webauthnField(body.webauthn);
  if (webauthn === undefined) throw new TesseraError("invalid_request", "webauthn: is required");
  return tessera.mfa.passkeyTokenGrant(clientCredentials(request, body), requireField(body.challenge_id, "challenge_id"), webauthn, requestMeta(request));
};
