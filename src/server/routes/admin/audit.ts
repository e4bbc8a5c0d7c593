/** `GET /admin/audit`: the audit log, newest first, with filters and keyset paging. */
import type { FastifyInstance } from "fastify";
import { AUDIT_TYPES } from "../../../core/api.js";
import type { Tessera } from "../../../core/api.js";
import { auditEventSchema, pageLimit, pageQuery, readErrors } from "./schemas.js";

interface AuditQuery {
  type?: string;
  user?: string;
  from?: string;
  to?: string;
  limit?: string;
  cursor?: string;
}

const str = (description: string) => ({ type: "string", maxLength: 256, description });

export function adminAuditRoute(app: FastifyInstance, tessera: Tessera): void {
  app.get<{ Querystring: AuditQuery }>("/audit", {
    schema: {
      tags: ["admin"], summary: "Query the audit log",
      description: `Newest first. Types: ${AUDIT_TYPES.join(", ")}.`,
      querystring: {
        type: "object", additionalProperties: false,
        properties: {
          type: str("One type, or several separated by commas."), user: str("User id or username."),
          from: str("ISO 8601 time or epoch ms, inclusive."), to: str("ISO 8601 time or epoch ms, exclusive."), ...pageQuery,
        },
      },
      response: { 200: { type: "object", properties: { events: { type: "array", items: auditEventSchema }, next_cursor: { type: ["string", "null"] } } }, ...readErrors("invalid_request") },
    },
  }, async (request) => {
    const q = request.query;
    // An unknown user filters by the raw value (the user may have been deleted since).
    const userId = async (who: string) => (who.length <= 256 ? (await tessera.users.find(who))?.id : undefined) ?? who;
    return tessera.admin.resources.audit({ type: q.type, user: q.user, from: q.from, to: q.to, limit: pageLimit(q.limit), cursor: q.cursor }, userId);
  });
}
