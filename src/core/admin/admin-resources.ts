/** Administration of clients, signing keys and the audit log (users are in admin.ts). */
import type { AuditEventRow, ClientRow, SigningKeyRow } from "../../store/index.js";
import { AUDIT_TYPES } from "../audit/audit-events.js";
import type { AuditLog } from "../audit/audit-log.js";
import { cursor, iso } from "./admin-users.js";
import { grantTypesOf, scopesOf, type ClientService, type NewClient } from "../clients/clients.js";
import { invalidField } from "../errors.js";
import type { Actor, AuthEvents } from "../events.js";
import type { KeyRotation } from "../keys/key-rotation.js";
import type { KeyRing } from "../keys/key-ring.js";

export function clientView(c: ClientRow) {
  return {
    client_id: c.id, name: c.name, type: c.type, first_party: c.first_party === 1, grant_types: grantTypesOf(c), scopes: scopesOf(c),
    access_token_ttl: c.access_token_ttl, created_at: iso(c.created_at), disabled: c.disabled_at !== null,
  };
}

/** A client as the admin API shows it. */
export type AdminClientView = ReturnType<typeof clientView>;

export function keyView(k: SigningKeyRow, signingKid: string) {
  const t = (ms: number | null) => (ms === null ? null : iso(ms));
  return {
    kid: k.kid, alg: k.alg, signing: k.kid === signingKid, created_at: iso(k.created_at), activates_at: iso(k.activates_at),
    retires_at: t(k.retires_at), expires_at: t(k.expires_at), revoked_at: t(k.revoked_at),
  };
}

export function auditView(e: AuditEventRow) {
  return {
    id: e.id, at: iso(e.at), type: e.type, outcome: e.outcome, user_id: e.user_id, session_id: e.session_id, client_id: e.client_id,
    actor: e.actor, ip: e.ip, user_agent: e.user_agent, detail: e.detail === null ? null : (JSON.parse(e.detail) as Record<string, unknown>),
  };
}

export interface AuditFilters {
  type?: string | undefined;
  user?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

function time(raw: string | undefined, field: string): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const ms = /^\d{1,16}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw invalidField(field, "must be an ISO 8601 time or epoch milliseconds");
  return ms;
}

export class AdminResources {
  readonly #o: { clients: ClientService; keys: KeyRing; rotation: KeyRotation; audit: AuditLog; events: AuthEvents };

  constructor(deps: { clients: ClientService; keys: KeyRing; rotation: KeyRotation; audit: AuditLog; events: AuthEvents }) {
    this.#o = deps;
  }

  async createClient(input: NewClient, actor: Actor) {
    const created = await this.#o.clients.register(input);
    // The secret is the caller's to show once; the audit row names the client only.
    this.#o.events.emit("admin-action", { action: "client.create", actor, target: created.client.id, detail: { type: created.client.type } });
    return created;
  }

  async setClientDisabled(id: string, disabled: boolean, actor: Actor) {
    const client = await this.#o.clients.setDisabled(id, disabled);
    this.#o.events.emit("admin-action", { action: disabled ? "client.disable" : "client.enable", actor, target: id });
    return client;
  }

  async removeClient(id: string, actor: Actor): Promise<void> {
    await this.#o.clients.remove(id);
    this.#o.events.emit("admin-action", { action: "client.remove", actor, target: id });
  }

  /** The new secret is the caller's to show once; the audit row names the client only. */
  async rotateClientSecret(id: string, actor: Actor): Promise<string> {
    const secret = await this.#o.clients.rotateSecret(id);
    this.#o.events.emit("admin-action", { action: "client.rotate_secret", actor, target: id });
    return secret;
  }

  listKeys() {
    const signing = this.#o.keys.signingKey().kid;
    return this.#o.keys.rows().map((k) => keyView(k, signing));
  }

  async rotateKey(actor: Actor) {
    const row = await this.#o.rotation.rotate(actor.id);
    this.#o.events.emit("admin-action", { action: "key.rotate", actor, target: row.kid });
    return keyView(row, this.#o.keys.signingKey().kid);
  }

  async revokeKey(kid: string, actor: Actor) {
    await this.#o.rotation.revoke(kid, actor.id);
    this.#o.events.emit("admin-action", { action: "key.revoke", actor, target: kid });
  }

  async audit(filters: AuditFilters, userId: (who: string) => Promise<string>) {
    const types = filters.type ? filters.type.split(",").map((t) => t.trim()).filter(Boolean) : [];
    const unknown = types.find((t) => !(AUDIT_TYPES as readonly string[]).includes(t));
    if (unknown !== undefined) throw invalidField("type", `unknown event type (known: ${AUDIT_TYPES.join(", ")})`);
    const before = cursor.decode(filters.cursor);
    if (before !== undefined && !/^\d{1,16}$/.test(before)) throw invalidField("cursor", "is not one this server gave");
    const from = time(filters.from, "from");
    const to = time(filters.to, "to");
    const rows = await this.#o.audit.query({
      limit: filters.limit + 1, types,
      ...(filters.user ? { userId: await userId(filters.user) } : {}),
      ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }),
      ...(before === undefined ? {} : { before: Number(before) }),
    });
    const page = rows.slice(0, filters.limit);
    return { events: page.map(auditView), next_cursor: rows.length > filters.limit ? cursor.encode(page.at(-1)!.id) : null };
  }
}
