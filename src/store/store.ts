/**
 * The written contract between the core and the database: one interface per
 * aggregate (each in its folder, its Kysely implementation beside it), and
 * `Store`, their composition plus the store's lifecycle. The core calls only
 * these methods; every SQL statement lives behind them. Transactions never
 * leave the store: writes that belong together are one method and one
 * transaction, and a write that reaches into another aggregate (a password
 * change ends sessions) uses that aggregate's in-transaction step.
 */
import type { ApiResourceStore } from "./api-resources/api-resource-store.js";
import type { AuditStore } from "./audit/audit-store.js";
import type { ClientStore } from "./clients/client-store.js";
import type { EmailStore } from "./email/email-store.js";
import type { FactorStore } from "./factors/factor-store.js";
import type { KeyStore } from "./keys/key-store.js";
import type { HighWaterMarkStore } from "./marks/high-water-mark-store.js";
import type { ResetStore } from "./resets/reset-store.js";
import type { SessionStore } from "./sessions/session-store.js";
import type { UserStore } from "./users/user-store.js";

export type { ApiResourceRow, ApiResourceStore } from "./api-resources/api-resource-store.js";
export type { AuditEventRow, AuditQuery, AuditStore, NewAuditEvent } from "./audit/audit-store.js";
export type { ClientRow, ClientStore } from "./clients/client-store.js";
export type { EmailStore, EmailTokenRow, EmailWrites, OutboxOutcome, OutboxQuery, OutboxRow, SpentEmailToken } from "./email/email-store.js";
export type { ChallengeRow, FactorRow, FactorStore, MfaTokenRow, RecoveryCodeRow } from "./factors/factor-store.js";
export type { KeyStore, SigningKeyRow } from "./keys/key-store.js";
export type { HighWaterMarkStore } from "./marks/high-water-mark-store.js";
export type { PasswordResetRow, ResetStore } from "./resets/reset-store.js";
export type { Revocation, SessionEnd, SessionRow, SessionStore, SessionView, UserView } from "./sessions/session-store.js";
export type { UserListQuery, UserRow, UserStore } from "./users/user-store.js";

/** Opening is the dialect's (sqlite/, postgres/); the rest of a store's life is here. */
export interface StoreLifecycle {
  /** Which database answers (the HTTP suite and the metrics name it). */
  readonly dialect: "sqlite" | "postgres";
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** True when `error` means the database cannot answer now (the server answers 503, not 500). */
  isUnavailable(error: unknown): boolean;
}

export interface Store extends
  UserStore, ClientStore, ApiResourceStore, KeyStore, SessionStore, HighWaterMarkStore, AuditStore, ResetStore, EmailStore, StoreLifecycle {
  /** Second factors, recovery codes, mfa tokens and WebAuthn challenges (factors/). */
  readonly factors: FactorStore;
}
