/** The audit log in Kysely. */
import type { StoreContext } from "../kysely-context.js";
import type { AuditEventRow, AuditQuery, AuditStore, NewAuditEvent } from "./audit-store.js";

/** Rows per INSERT: 11 columns × 500 stays far below SQLite's 32,766 parameters. */
const ROWS_PER_INSERT = 500;

export function kyselyAuditStore({ db }: StoreContext): AuditStore {
  return {
    async insertAuditEvents(rows: NewAuditEvent[]): Promise<void> {
      if (rows.length === 0) return;
      await db.transaction().execute(async (tx) => {
        for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await tx.insertInto("audit_events").values(rows.slice(i, i + ROWS_PER_INSERT)).execute();
      });
    },

    async queryAuditEvents(query: AuditQuery): Promise<AuditEventRow[]> {
      let q = db.selectFrom("audit_events").selectAll().orderBy("id", "desc").limit(query.limit);
      if (query.types && query.types.length > 0) q = q.where("type", "in", query.types);
      if (query.userId !== undefined) q = q.where("user_id", "=", query.userId);
      if (query.from !== undefined) q = q.where("at", ">=", query.from);
      if (query.to !== undefined) q = q.where("at", "<", query.to);
      if (query.before !== undefined) q = q.where("id", "<", query.before);
      const rows = await q.execute();
      return rows.map((r) => ({ ...r, id: Number(r.id) }));
    },

    async pruneAuditEvents(before: number): Promise<number> {
      const result = await db.deleteFrom("audit_events").where("at", "<", before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
