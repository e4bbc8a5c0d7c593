/**
 * The first admin, from TESSERA_ADMIN_USERNAME and TESSERA_ADMIN_PASSWORD at
 * start: created only when no user has that name, so restarting with the
 * variables still set changes nothing (not even a password changed since).
 * The password goes through the normal policy and is never logged.
 */
import type { UserRow } from "../../store/index.js";
import type { AuthEvents } from "../events.js";
import type { UserService } from "./users.js";

export async function ensureFirstAdmin(
  deps: { users: UserService; events: AuthEvents },
  username: string,
  password: string | undefined,
): Promise<UserRow | undefined> {
  if (!username || password === undefined) return undefined;
  if (await deps.users.find(`username:${username}`)) return undefined;
  const user = await deps.users.register({ username, password, roles: ["user", "admin"] });
  deps.events.emit("admin-action", { action: "user.create", actor: { id: "environment" }, userId: user.id, target: user.username, detail: { roles: ["user", "admin"] } });
  return user;
}
