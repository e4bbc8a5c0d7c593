/** `POST /oauth/token`: picks the grant, and answers per RFC 6749 §5. */
import type { FastifyInstance } from "fastify";
import { TesseraError } from "../../core/errors.js";
import type { Tessera } from "../../core/api.js";
import { noStore } from "../shared/no-store.js";
import { clientCredentialsGrant } from "./grants/client-credentials.js";
import { passwordGrant } from "./grants/password.js";
import { refreshTokenGrant } from "./grants/refresh-token.js";
import { emailOtpGrant } from "./grants/email-otp.js";
import { EMAIL_OTP_GRANT } from "../../core/api.js";
import type { GrantHandler, TokenBody } from "./grants/types.js";
import { MFA_GRANT, mfaGrant } from "./grants/mfa.js";
import { PASSKEY_GRANT, passkeyGrant } from "./grants/passkey.js";
import { tokenSchema as schema } from "../schemas/oauth.js";

const grants: Record<string, GrantHandler> = {
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  [MFA_GRANT]: mfaGrant,
  [PASSKEY_GRANT]: passkeyGrant,
  [EMAIL_OTP_GRANT]: emailOtpGrant,
};


export function tokenRoute(app: FastifyInstance, tessera: Tessera): void {
  app.post<{ Body: TokenBody }>("/oauth/token", { schema }, async (request, reply) => {
    noStore(reply);
    const grant = Object.hasOwn(grants, request.body.grant_type) ? grants[request.body.grant_type] : undefined;
    if (!grant) throw new TesseraError("unsupported_grant_type", `Supported grant types: ${Object.keys(grants).join(", ")}.`);
    // A failed Basic authentication gets its challenge in the error handler (shared/errors.ts), as on every /oauth/ route.
    return grant(tessera, request, request.body, reply);
  });
}
