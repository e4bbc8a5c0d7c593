/**
 * The password check shared by every sign-in path (the password grant and the
 * cookie login), so that both report the same events and fail the same way.
 */
import type { ClientRow, UserRow } from "../store/index.js";
import { TesseraError } from "./errors.js";
import type { AuthEvents, SignInOutcome } from "./events.js";
import type { RequestMeta } from "./sessions.js";
import type { Throttle } from "./throttle.js";
import type { UserService } from "./users.js";

export async function checkSignIn(
  deps: { users: UserService; events: AuthEvents; throttle?: Throttle | undefined },
  client: ClientRow,
  username: string,
  password: string,
  meta: RequestMeta,
): Promise<UserRow> {
  const attempt = () => deps.users.authenticate(username, password, { signal: meta.signal });
  try {
    // The throttle reserves its slots before the password is hashed, and keeps them only for credential failures.
    return await (deps.throttle ? deps.throttle.signIn(username, meta.ip, attempt) : attempt());
  } catch (error) {
    if (error instanceof TesseraError && error.code === "invalid_grant") {
      const outcome: SignInOutcome = error.detail === "unknown user" ? "unknown_user" : error.detail === "disabled user" ? "disabled" : "invalid_credentials";
      // For the audit log: whose account was tried, when it exists (looked up on every failure, so the
      // answer takes the same time whether or not it does).
      const userId = (await deps.users.find(`username:${username.slice(0, 256)}`).catch(() => undefined))?.id;
      deps.events.emit("sign-in", { outcome, userId: outcome === "unknown_user" ? undefined : userId, clientId: client.id, ip: meta.ip, userAgent: meta.userAgent });
    }
    throw error;
  }
}
