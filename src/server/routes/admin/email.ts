/** Admin email: the outbox (failed deliveries above all), resending a verification, marking an address verified. */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../../core/api.js";
import { actorOf } from "../../shared/require-role.js";
import { NO_BODY } from "../../schemas/common.js";
import { idParams, pageLimit, readErrors, userSchema, writeErrors } from "./schemas.js";

const tags = ["admin"];
const messageSchema = {
  type: "object",
  properties: {
    id: { type: "string" }, kind: { type: "string" }, recipient: { type: "string" }, user_id: { type: ["string", "null"] },
    status: { type: "string" }, attempts: { type: "integer" }, last_error: { type: ["string", "null"] },
    created_at: { type: "string" }, next_attempt_at: { type: "string" }, sent_at: { type: ["string", "null"] }, failed_at: { type: ["string", "null"] },
  },
} as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function adminEmailRoutes(app: FastifyInstance, tessera: Tessera): void {
  app.get<{ Querystring: { status?: string; limit?: string } }>("/outbox", {
    schema: {
      tags, summary: "List outbox messages, newest first", description: "`status=failed` lists the messages whose delivery gave up. Never the content (it may hold a token).",
      querystring: { type: "object", additionalProperties: false, properties: { status: { type: "string", enum: ["pending", "sent", "failed"] }, limit: { type: "string", maxLength: 4 } } },
      response: { 200: { type: "object", properties: { messages: { type: "array", items: messageSchema } } }, ...readErrors("invalid_request") },
    },
  }, async (request) => {
    const rows = await tessera.admin.outbox.list({ limit: pageLimit(request.query.limit), ...(request.query.status ? { status: request.query.status } : {}) });
    return { messages: rows.map((r) => ({ ...r, created_at: iso(r.created_at), next_attempt_at: iso(r.next_attempt_at), sent_at: iso(r.sent_at), failed_at: iso(r.failed_at) })) };
  });

  app.post<{ Params: { id: string } }>("/users/:id/email/resend", {
    schema: { tags, summary: "Send the user's verification message again", params: idParams, response: { 202: { ...NO_BODY, description: "Queued: a new verification message to the user's unverified address." }, ...writeErrors("not_found") } },
  }, async (request, reply) => {
    const user = await tessera.admin.users.get(request.params.id);
    await tessera.mail.service.adminResend(user, actorOf(request));
    return reply.code(202).send();
  });

  app.post<{ Params: { id: string } }>("/users/:id/email/verify", {
    schema: { tags, summary: "Mark the user's address verified (no message)", params: idParams, response: { 200: userSchema, ...writeErrors("not_found", "email_taken") } },
  }, async (request) => {
    const user = await tessera.admin.users.get(request.params.id);
    await tessera.mail.service.adminMarkVerified(user, actorOf(request));
    return tessera.admin.views.user(await tessera.admin.users.get(user.id));
  });
}
