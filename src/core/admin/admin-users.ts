/**
 * Administration: what the /admin API and the CLI do, in one place, each act
 * recorded in the audit log with who did it (an admin's user id, or `cli`).
 * Users, sessions and password resets here; clients, keys and the audit log
 * in admin-resources.ts.
 */
import type { SessionRow, UserRow } from "../../store/index.js";
import { randomToken } from "../crypto-utils.js";
import { TesseraError } from "../errors.js";
import type { Actor, AuthEvents } from "../events.js";
import type { IssuedReset, PasswordResets } from "../accounts/password-resets.js";
import { sessionDeadline, type SessionService } from "../sessions/session-service.js";
import { parseRoles, type UserService } from "../accounts/users.js";
import type { Store } from "../../store/index.js";

export interface AdminUserView {
  id: string; username: string; email: string | null; email_verified: boolean; roles: string[]; disabled: boolean;
  created_at: string; updated_at: string; password_changed_at: string;
}

export function userView(u: UserRow): AdminUserView {
  return {
    id: u.id, username: u.username, email: u.email, email_verified: Boolean(u.email_verified_at), roles: parseRoles(u), disabled: u.disabled_at !== null,
    created_at: iso(u.created_at), updated_at: iso(u.updated_at), password_changed_at: iso(u.password_changed_at),
  };
}

export function sessionView(s: SessionRow, idleTimeoutMs: number) {
  return {
    id: s.id, user_id: s.user_id, kind: s.kind, client_id: s.client_id, scope: s.scope, created_at: iso(s.created_at),
    last_used_at: iso(s.last_used_at), expires_at: iso(sessionDeadline(s, idleTimeoutMs)), ip: s.ip, user_agent: s.user_agent,
  };
}

/** A session as the admin API shows it. */
export type AdminSessionView = ReturnType<typeof sessionView>;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Opaque paging cursors: callers pass back what they were given. */
export const cursor = {
  encode: (value: string | number): string => Buffer.from(String(value)).toString("base64url"),
  decode(raw: string | undefined): string | undefined {
    if (raw === undefined || raw === "") return undefined;
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(raw)) throw new TesseraError("invalid_request", "cursor: is not one this server gave");
    return Buffer.from(raw, "base64url").toString("utf8");
  },
};

export interface AdminUserDeps {
  store: Store;
  users: UserService;
  sessions: SessionService;
  resets: PasswordResets;
  events: AuthEvents;
}

export class AdminUsers {
  readonly #o: AdminUserDeps;

  constructor(deps: AdminUserDeps) {
    this.#o = deps;
  }

  async list(query: { search?: string | undefined; limit: number; cursor?: string | undefined }): Promise<{ users: AdminUserView[]; next_cursor: string | null }> {
    const after = cursor.decode(query.cursor);
    const rows = await this.#o.store.listUsers({ limit: query.limit + 1, ...(query.search ? { search: query.search } : {}), ...(after === undefined ? {} : { after }) });
    const page = rows.slice(0, query.limit);
    return { users: page.map(userView), next_cursor: rows.length > query.limit ? cursor.encode(page.at(-1)!.username_key) : null };
  }

  /** By selector (a user id, `id:<id>`, `username:<name>` or a username; see UserService.find); 404 otherwise. */
  async get(who: string): Promise<UserRow> {
    const user = who.length <= 256 ? await this.#o.users.find(who) : undefined;
    if (!user) throw new TesseraError("not_found", "No such user.");
    return user;
  }

  /** Creates a user; without a password, one is generated and returned (the only copy). */
  async create(input: { username: string; password?: string | undefined; email?: string | null | undefined; roles?: string[] | undefined }, actor: Actor) {
    const generated = input.password === undefined ? randomToken(18) : undefined;
    const user = await this.#o.users.register({ username: input.username, password: input.password ?? generated!, email: input.email ?? null, roles: input.roles ?? ["user"] });
    this.#audit("user.create", actor, user, { roles: parseRoles(user) });
    return { user, ...(generated === undefined ? {} : { password: generated }) };
  }

  async setDisabled(who: string, disabled: boolean, actor: Actor): Promise<UserRow> {
    const target = await this.get(who);
    if (disabled && target.id === actor.id) throw new TesseraError("forbidden", "An admin cannot disable their own account.");
    const user = await this.#o.users.setDisabled(target.id, disabled);
    if (disabled) await this.#o.sessions.endAll(user.id, "user_disabled", { actor: actor.id, ip: actor.ip, userAgent: actor.userAgent });
    this.#audit(disabled ? "user.disable" : "user.enable", actor, user);
    return user;
  }

  async setRoles(who: string, roles: string[], actor: Actor): Promise<UserRow> {
    const target = await this.get(who);
    // Keeps at least the acting admin able to administer: removing one's own admin role is refused.
    if (target.id === actor.id && !roles.includes("admin")) throw new TesseraError("forbidden", "An admin cannot remove their own admin role.");
    const before = parseRoles(target);
    const user = await this.#o.users.setRoles(target.id, roles);
    this.#audit("user.roles", actor, user, { before, after: parseRoles(user) });
    return user;
  }

  async forcePasswordReset(who: string, actor: Actor): Promise<IssuedReset> {
    const user = await this.get(who);
    const issued = await this.#o.resets.force(user, actor);
    this.#audit("user.reset_password", actor, user, { ended_sessions: issued.endedSessions });
    return issued;
  }

  async sessions(who: string): Promise<SessionRow[]> {
    return this.#o.sessions.list((await this.get(who)).id);
  }

  async revokeSession(sessionId: string, actor: Actor): Promise<void> {
    const session = sessionId.length <= 64 ? await this.#o.store.findSession(sessionId) : undefined;
    if (!session || session.revoked_at !== null) throw new TesseraError("not_found", "No such live session.");
    await this.#o.sessions.end(sessionId, "admin", { userId: session.user_id, actor: actor.id, ip: actor.ip, userAgent: actor.userAgent });
    this.#o.events.emit("admin-action", { action: "session.revoke", actor, userId: session.user_id, target: sessionId });
  }

  #audit(action: string, actor: Actor, user: UserRow, detail?: Record<string, unknown>): void {
    this.#o.events.emit("admin-action", { action, actor, userId: user.id, target: user.username, ...(detail ? { detail } : {}) });
  }
}
