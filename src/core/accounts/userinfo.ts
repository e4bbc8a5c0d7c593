/** `GET /userinfo`: who the principal is and how they signed in. */
import type { AccountOperations, Principal } from "../api.js";
import { principalAuth } from "../mfa/use-cases.js";
import { parseRoles } from "./users.js";

export function userinfo(p: Principal): ReturnType<AccountOperations["userinfo"]> {
  const { amr, authTime } = principalAuth(p);
  return { sub: p.user.id, username: p.user.username, email: p.user.email, email_verified: Boolean(p.user.email_verified_at), roles: parseRoles(p.user), auth: p.auth, amr, auth_time: authTime };
}
