/**
 * How each core event becomes audit rows. One place lists every audit type, so
 * the docs (docs/security.md) and the tests can check they are all recorded.
 * Only ids, reasons and request facts are copied: never a password, token,
 * secret or hash — the events carry none, and nothing here reads a request body.
 */
import type { NewAuditEvent } from "../../store/index.js";
import type { AuthEvents, EventOrigin } from "../events.js";

/** Email (docs/email.md): deliveries, verifications, and messages asked for. */
export const EMAIL_AUDIT_TYPES = ["email_delivery", "email_verified", "email_requested"] as const;

export const AUDIT_TYPES = [
  "sign_in", "refresh", "refresh_reuse", "logout", "session_revoked", "session_expired",
  "password_changed", "password_reset", "user_registered", "key_rotated", "key_revoked", "key_deleted", "admin_action",
  "factor", "second_factor",
  ...EMAIL_AUDIT_TYPES,
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

type Sink = (row: NewAuditEvent) => void;

const LOGOUT = new Set(["logout", "logout_all"]);
const EXPIRY = new Set(["idle_timeout", "absolute_lifetime"]);
const REFRESH_OK = new Set(["rotated", "grace"]);

function row(now: number, type: AuditType, outcome: string, fields: Partial<NewAuditEvent> & EventOrigin, detail?: Record<string, unknown>): NewAuditEvent {
  return {
    at: now, type, outcome,
    user_id: fields.user_id ?? null, session_id: fields.session_id ?? null, client_id: fields.client_id ?? null,
    actor: fields.actor ?? null,
    // Bounded like the session columns: a header is the caller's to fill.
    ip: fields.ip?.slice(0, 64) ?? null, user_agent: fields.userAgent?.slice(0, 512) ?? null,
    detail: detail === undefined ? null : JSON.stringify(detail),
  };
}

/** Subscribes `sink` to every event that matters for security. */
export function subscribeAudit(events: AuthEvents, sink: Sink, now: () => number): void {
  const on: AuthEvents["on"] = (event, listener) => events.on(event, listener);
  on("sign-in", (e) => sink(row(now(), "sign_in", e.outcome === "success" ? "success" : "failure",
    { user_id: e.userId ?? null, session_id: e.sessionId ?? null, client_id: e.clientId, ip: e.ip, userAgent: e.userAgent },
    e.outcome === "success" ? undefined : { reason: e.outcome })));
  on("refresh", (e) => sink(row(now(), "refresh", REFRESH_OK.has(e.outcome) ? "success" : "failure",
    { user_id: e.userId ?? null, session_id: e.sessionId ?? null, client_id: e.clientId ?? null, ip: e.ip, userAgent: e.userAgent },
    { result: e.outcome })));
  on("refresh-reuse", (e) => sink(row(now(), "refresh_reuse", e.cause, { user_id: e.userId, session_id: e.sessionId, ip: e.ip, userAgent: e.userAgent })));
  on("sessions-ended", (e) => {
    const type: AuditType = LOGOUT.has(e.reason) ? "logout" : EXPIRY.has(e.reason) ? "session_expired" : "session_revoked";
    for (const id of e.sessionIds) {
      sink(row(now(), type, "success", { user_id: e.userId ?? null, session_id: id, actor: e.actor ?? null, ip: e.ip, userAgent: e.userAgent }, { reason: e.reason }));
    }
  });
  on("password-changed", (e) => sink(row(now(), "password_changed", "success", { user_id: e.userId, ip: e.ip, userAgent: e.userAgent }, { via: e.via ?? "self" })));
  on("password-reset-refused", (e) => sink(row(now(), "password_reset", "failure", { ip: e.ip, userAgent: e.userAgent })));
  on("user-registered", (e) => sink(row(now(), "user_registered", "success", { user_id: e.userId, ip: e.ip, userAgent: e.userAgent })));
  on("key-rotated", (e) => sink(row(now(), "key_rotated", "success", { actor: e.actor }, { kid: e.kid, previous_kid: e.previousKid ?? null })));
  on("key-revoked", (e) => sink(row(now(), "key_revoked", "success", { actor: e.actor }, { kid: e.kid })));
  on("keys-deleted", (e) => sink(row(now(), "key_deleted", "success", { actor: "schedule" }, { kids: e.kids })));
  // Second factors (docs/mfa.md): what changed and which factor, never a secret or a code.
  on("factor-changed", (e) => sink(row(now(), "factor", e.action, { user_id: e.userId, actor: e.actor ?? null, ip: e.ip, userAgent: e.userAgent },
    { ...(e.type === undefined ? {} : { type: e.type }), ...(e.factorId === undefined ? {} : { factor_id: e.factorId }) })));
  on("second-factor", (e) => sink(row(now(), "second_factor", e.outcome, { user_id: e.userId ?? null, client_id: e.clientId ?? null, ip: e.ip, userAgent: e.userAgent },
    { method: e.method, ...(e.passwordless ? { passwordless: true } : {}), ...(e.factorId === undefined ? {} : { factor_id: e.factorId }) })));
  on("mail-delivery", (e) => sink(row(now(), "email_delivery", e.outcome, { user_id: e.userId ?? null },
    { message_id: e.messageId, kind: e.kind, attempts: e.attempts, ...(e.error === undefined ? {} : { error: e.error }) })));
  on("email-verified", (e) => sink(row(now(), "email_verified", "success", { user_id: e.userId, actor: e.actor ?? null, ip: e.ip, userAgent: e.userAgent }, { via: e.via })));
  on("email-requested", (e) => sink(row(now(), "email_requested", e.userId === undefined ? "no_account" : "success", { user_id: e.userId ?? null, ip: e.ip, userAgent: e.userAgent }, { kind: e.kind })));
  on("admin-action", (e) => sink(row(now(), "admin_action", "success",
    { user_id: e.userId ?? null, actor: e.actor.id, ip: e.actor.ip, userAgent: e.actor.userAgent },
    { action: e.action, ...(e.target === undefined ? {} : { target: e.target }), ...e.detail })));
}
