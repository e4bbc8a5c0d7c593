/** `GET /sessions`: the signed-in user's sessions, the current one marked. */
import type { OwnSessionView, Principal } from "../api.js";
import { iso } from "../admin/admin-users.js";
import type { SessionService } from "./session-service.js";

export async function listOwnSessions(sessions: SessionService, p: Principal): Promise<OwnSessionView[]> {
  const rows = await sessions.list(p.user.id);
  return rows.map((s) => ({
    id: s.id, created_at: iso(s.created_at), last_used_at: iso(s.last_used_at), expires_at: iso(sessions.deadline(s)),
    user_agent: s.user_agent, ip: s.ip, kind: s.kind, client_id: s.client_id, current: s.id === p.session.id,
  }));
}
