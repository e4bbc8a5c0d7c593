/**
 * A signed-in user changes their own password: the new one must pass the
 * policy, the current one is checked under the sign-in throttle (a stolen
 * access token must not become an unlimited password oracle), and every other
 * session of the user ends.
 */
import type { Store } from "../../store/index.js";
import type { Principal } from "../api.js";
import { invalidField, invalidToken, TesseraError } from "../errors.js";
import type { AuthEvents } from "../events.js";
import type { Throttle } from "../abuse/throttle.js";
import type { RequestMeta, SessionService } from "../sessions/session-service.js";
import { passwordProblem, type PasswordHasher } from "./passwords.js";

export interface ChangePasswordDeps {
  store: Store;
  hasher: PasswordHasher;
  throttle: Throttle;
  sessions: SessionService;
  events: AuthEvents;
}

export async function changePassword(d: ChangePasswordDeps, p: Principal, current: string, next: string, meta: RequestMeta & { signal?: AbortSignal | undefined } = {}): Promise<void> {
  const problem = passwordProblem(next, { username: p.user.username });
  if (problem) throw invalidField("new_password", problem);
  await d.throttle.signIn(p.user.username, meta.ip, async () => {
    // The stored hash is read here, not carried by the principal: protected routes never load it.
    const stored = await d.store.findUserById(p.user.id);
    if (!stored) throw invalidToken("user deleted", "The user of this session no longer exists.");
    const check = await d.hasher.verify(stored.password_hash, current, { signal: meta.signal });
    if (!check.ok) throw new TesseraError("invalid_credentials", "The current password is incorrect.");
  }, "invalid_credentials");
  const hash = await d.hasher.hash(next, { signal: meta.signal });
  const ended = await d.store.changePassword(p.user.id, hash, p.session.id, d.sessions.endRecord("password_changed"));
  d.events.emit("password-changed", { userId: p.user.id, via: "self", ip: meta.ip, userAgent: meta.userAgent });
  if (ended.length > 0) d.events.emit("sessions-ended", { sessionIds: ended, reason: "password_changed", userId: p.user.id, ip: meta.ip, userAgent: meta.userAgent });
}
