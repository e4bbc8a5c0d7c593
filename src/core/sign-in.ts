/**
 * The password check shared by every sign-in path (the password grant and the
 * cookie login), so that both report the same events and fail the same way.
 */
import type { ClientRow, UserRow } from "../store/index.js";
import { TesseraError } from "./errors.js";
import type { AuthEvents, SignInOutcome } from "./events.js";
import type { RequestMeta } from "./sessions.js";
import type { UserService } from "./users.js";

export async function checkSignIn(
  deps: { users: UserService; events: AuthEvents },
  client: ClientRow,
  username: string,
  password: string,
  meta: RequestMeta,
): Promise<UserRow> {
  try {
    return await deps.users.authenticate(username, password);
  } catch (error) {
    if (error instanceof TesseraError) {
      const outcome: SignInOutcome = error.detail === "unknown user" ? "unknown_user" : error.detail === "disabled user" ? "disabled" : "invalid_credentials";
      deps.events.emit("sign-in", { outcome, clientId: client.id, ip: meta.ip, userAgent: meta.userAgent });
    }
    throw error;
  }
}
