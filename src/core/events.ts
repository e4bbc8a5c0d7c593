/**
 * What the core reports as it works, for metrics, logs and (later) the audit
 * log. Listeners must not throw; they run synchronously after the fact.
 */
import { EventEmitter } from "node:events";

export type SignInOutcome = "success" | "invalid_credentials" | "unknown_user" | "disabled";
export type RefreshOutcome = "rotated" | "grace" | "reuse" | "invalid" | "expired" | "revoked";
export type ReuseCause = "benign_race" | "suspected_theft";

export interface AuthEventMap {
  "sign-in": [{ outcome: SignInOutcome; userId?: string; sessionId?: string; clientId: string; ip?: string | undefined; userAgent?: string | undefined }];
  "refresh": [{ outcome: RefreshOutcome; sessionId?: string; userId?: string }];
  "refresh-reuse": [{ cause: ReuseCause; sessionId: string; userId: string }];
  "sessions-ended": [{ sessionIds: string[]; reason: string; userId?: string }];
  "password-changed": [{ userId: string }];
  "user-registered": [{ userId: string }];
  "password-rehashed": [{ userId: string }];
}

export class AuthEvents extends EventEmitter<AuthEventMap> {}
