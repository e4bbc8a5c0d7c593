/** `grant_type=urn:tessera:params:oauth:grant-type:email-otp`, `email`, `code`: a sign-in with an emailed code (docs/email.md). */
import { clientCredentials } from "../../shared/client-auth.js";
import { requestMeta } from "../../shared/request-meta.js";
import { requireField } from "./require-field.js";
import type { GrantHandler } from "./types.js";

export const emailOtpGrant: GrantHandler = (tessera, request, body) => {
  const email = requireField(body.email, "email");
  const code = requireField(body.code, "code");
  return tessera.tokens.emailCodeGrant(clientCredentials(request, body), { email, scope: body.scope }, () => tessera.mail.service.checkCode(email, code), requestMeta(request));
};
