/**
 * An admin's view of a user's second factors, and the reset for a user who
 * lost them: every factor, recovery code and pending mfa_token goes, and every
 * session ends (whoever held one may have been the reason), in one
 * transaction; audited as an admin action and a factor reset.
 */
import type { Store, UserRow } from "../../store/index.js";
import type { AuthEvents, Actor } from "../events.js";
import type { SessionService } from "../sessions/session-service.js";
import type { FactorService } from "./factors.js";

export class AdminFactors {
  constructor(private readonly o: { store: Store; factors: FactorService; sessions: SessionService; events: AuthEvents; find: (who: string) => Promise<UserRow> }) {}

  async list(who: string) {
    const user = await this.o.find(who);
    return { user_id: user.id, username: user.username, ...(await this.o.factors.list(user.id)) };
  }

  async reset(who: string, actor: Actor): Promise<{ factors: number; endedSessions: number }> {
    const user = await this.o.find(who);
    const { factors, ended } = await this.o.store.factors.resetFactors(user.id, this.o.sessions.endRecord("admin"));
    this.o.events.emit("factor-changed", { action: "reset", userId: user.id, actor: actor.id, ip: actor.ip, userAgent: actor.userAgent });
    this.o.events.emit("admin-action", { action: "user.reset_factors", actor, userId: user.id, target: user.username, detail: { factors, ended_sessions: ended.length } });
    if (ended.length > 0) this.o.events.emit("sessions-ended", { sessionIds: ended, reason: "admin", userId: user.id, actor: actor.id });
    return { factors, endedSessions: ended.length };
  }
}
