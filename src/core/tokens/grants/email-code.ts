/** The email-code grant: a mailed sign-in code is the first step (email/email-service.ts checks it). */
import type { UserRow } from "../../../store/index.js";
import type { ClientCredentials } from "../../clients/clients.js";
import { checkCodeSignIn } from "../../accounts/sign-in.js";
import type { RequestMeta } from "../../sessions/session-service.js";
import { completeSignIn, type GrantContext, type TokenResponse } from "./issue.js";

export async function emailCodeGrant(c: GrantContext, credentials: ClientCredentials, input: { email: string; scope?: string | undefined }, check: () => Promise<UserRow>, meta: RequestMeta): Promise<TokenResponse> {
  const client = await c.clients.authenticate(credentials);
  c.clients.assertGrant(client, "password");
  const scope = c.clients.resolveScope(client, input.scope, c.defaultScopes);
  const user = await checkCodeSignIn(c, client, input.email, check, meta);
  return completeSignIn(c, user, client, scope, meta, "otp");
}
