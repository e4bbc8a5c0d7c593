export type { Store, UserRow, ClientRow, SessionRow, SessionView, UserView, SigningKeyRow, Revocation, SessionEnd, AuditEventRow, NewAuditEvent, AuditQuery, PasswordResetRow, ApiResourceRow } from "./store.js";
export { KyselyStore } from "./kysely-store.js";
export { openSqliteStore } from "./sqlite/sqlite-store.js";
export type { EmailTokenRow, EmailWrites, OutboxQuery, OutboxRow, SpentEmailToken } from "./email-queries.js";
