/** `/admin/users/:id/factors`: a user's second factors, and their reset (docs/mfa.md). */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../../core/api.js";
import { actorOf } from "../../shared/require-role.js";
import { idParams, readErrors, writeErrors } from "./schemas.js";
import { factorSchema } from "../../schemas/mfa.js";

type Id = { Params: { id: string } };
const tags = ["admin"];
const factorsOfUser = {
  type: "object",
  properties: { user_id: { type: "string" }, username: { type: "string" }, factors: { type: "array", items: factorSchema }, recovery_codes_left: { type: "integer" } },
} as const;

export function adminFactorRoutes(app: FastifyInstance, tessera: Tessera): void {
  app.get<Id>("/users/:id/factors", { schema: { tags, summary: "List a user's second factors", params: idParams, response: { 200: factorsOfUser, ...readErrors("not_found") } } },
    async (request) => tessera.admin.factors.list(request.params.id));

  app.post<Id>("/users/:id/reset-factors", {
    schema: { tags, summary: "Remove every second factor and recovery code of a user, and end every session of theirs (needs a recent sign-in)", params: idParams, response: { 200: { type: "object", properties: { removed_factors: { type: "integer" }, ended_sessions: { type: "integer" } } }, ...writeErrors("not_found") } },
  }, async (request) => {
    const done = await tessera.admin.factors.reset(request.params.id, actorOf(request));
    return { removed_factors: done.factors, ended_sessions: done.endedSessions };
  });
}
