/** The audit log: append-only rows, read newest first, pruned by age (docs/security.md). */
import type { AuditEventsTable } from "../schema.js";

/** An audit row as read back (with its sequence number). */
export type AuditEventRow = Omit<AuditEventsTable, "id"> & { id: number };
export type NewAuditEvent = Omit<AuditEventsTable, "id">;

export interface AuditQuery {
  types?: string[];
  userId?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** Only rows with id below this (keyset paging, newest first). */
  before?: number;
  limit: number;
}

export interface AuditStore {
  /** Appends audit rows (one statement per chunk, all in one transaction). */
  insertAuditEvents(rows: NewAuditEvent[]): Promise<void>;
  /** Newest first. */
  queryAuditEvents(query: AuditQuery): Promise<AuditEventRow[]>;
  /** Deletes audit rows older than `before` (epoch ms); returns how many. */
  pruneAuditEvents(before: number): Promise<number>;
}
