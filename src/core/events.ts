/**
 * What the core reports as it works, for metrics, logs and the audit log
 * (audit-log.ts records every event that matters for security). Listeners
 * must not throw; they run synchronously after the fact.
 */
import { EventEmitter } from "node:events";

export type SignInOutcome = "success" | "invalid_credentials" | "unknown_user" | "disabled";
export type RefreshOutcome = "rotated" | "grace" | "reuse" | "invalid" | "expired" | "revoked";
export type ReuseCause = "benign_race" | "suspected_theft";

/** Where a request came from, carried by the events the audit log records. */
export interface EventOrigin {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** Who did an administrative act: an admin's user id, `cli`, or `schedule`. */
export interface Actor extends EventOrigin {
  id: string;
}

export interface AuthEventMap {
  "sign-in": [{ outcome: SignInOutcome; userId?: string | undefined; sessionId?: string; clientId: string; ip?: string | undefined; userAgent?: string | undefined }];
  "refresh": [{ outcome: RefreshOutcome; sessionId?: string; userId?: string; clientId?: string } & EventOrigin];
  "refresh-reuse": [{ cause: ReuseCause; sessionId: string; userId: string } & EventOrigin];
  "sessions-ended": [{ sessionIds: string[]; reason: string; userId?: string | undefined; actor?: string | undefined } & EventOrigin];
  "password-changed": [{ userId: string; via?: "self" | "reset" } & EventOrigin];
  "user-registered": [{ userId: string } & EventOrigin];
  "password-rehashed": [{ userId: string }];
  /** A one-time reset token was presented and refused (unknown, spent or expired). */
  "password-reset-refused": [EventOrigin];
  "key-rotated": [{ kid: string; previousKid?: string | undefined; actor: string }];
  "key-revoked": [{ kid: string; actor: string }];
  "keys-deleted": [{ kids: string[] }];
  /** An administrative act (admin API or CLI); `target` names what it acted on, never a secret. */
  "admin-action": [{ action: string; actor: Actor; userId?: string | undefined; target?: string | undefined; detail?: Record<string, unknown> }];
  /** Email (docs/email.md). Messages were written to the outbox (the sender looks at once). */
  "mail-queued": [{ kinds: string[] }];
  /** One delivery attempt of an outbox message: never its content. */
  "mail-delivery": [{ messageId: string; kind: string; outcome: "sent" | "retry" | "failed"; attempts: number; userId?: string | null | undefined; error?: string | undefined }];
  "email-verified": [{ userId: string; via: "link" | "admin"; actor?: string | undefined } & EventOrigin];
  /** A message was asked for (verification, reset, code, address change); `userId` absent when no account matched. */
  "email-requested": [{ kind: string; userId?: string | undefined } & EventOrigin];
}

/** The second-factor methods a sign-in's second step can use. */
export type SecondFactorMethod = "totp" | "recovery_code" | "passkey";

/** Enrolment and removal of factors (docs/mfa.md); never carries a secret. */
export interface FactorEventMap {
  "factor-changed": [{ action: "enrolled" | "confirmed" | "removed" | "reset" | "recovery_codes_created"; type?: "totp" | "passkey" | undefined; factorId?: string | undefined; userId: string; actor?: string | undefined } & EventOrigin];
  /**
   * A second step asked for (`required`, `enrollment_required`: method `unknown`), or tried
   * (or a passwordless passkey sign-in): its method and outcome.
   */
  "second-factor": [{ outcome: "required" | "enrollment_required" | "success" | "failure" | "throttled"; method: SecondFactorMethod | "unknown"; passwordless?: boolean; userId?: string | undefined; clientId?: string | undefined; factorId?: string | undefined } & EventOrigin];
}

export class AuthEvents extends EventEmitter<AuthEventMap & FactorEventMap> {}
