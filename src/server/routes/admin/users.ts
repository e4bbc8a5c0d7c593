/** `/admin/users`: list (paging, search), create, show, disable/enable, roles, forced password reset. */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../../core/api.js";
import { actorOf } from "../../shared/require-role.js";
import { idParams, pageLimit, pageQuery, readErrors, userSchema, writeErrors } from "./schemas.js";

type Id = { Params: { id: string } };
const roles = { type: "array", maxItems: 32, items: { type: "string", maxLength: 64 } } as const;
const tags = ["admin"];

export function adminUserRoutes(app: FastifyInstance, tessera: Tessera): void {
  const admin = tessera.admin.users;
  const userView = tessera.admin.views.user;

  app.get<{ Querystring: { search?: string; limit?: string; cursor?: string } }>("/users", {
    schema: {
      tags, summary: "List users", description: "Sorted by username; `search` matches part of a username or email.",
      querystring: { type: "object", additionalProperties: false, properties: { search: { type: "string", maxLength: 256 }, ...pageQuery } },
      response: { 200: { type: "object", properties: { users: { type: "array", items: userSchema }, next_cursor: { type: ["string", "null"] } } }, ...readErrors("invalid_request") },
    },
  }, async (request) => admin.list({ search: request.query.search, limit: pageLimit(request.query.limit), cursor: request.query.cursor }));

  app.post<{ Body: { username: string; password?: string; email?: string | null; roles?: string[] } }>("/users", {
    schema: {
      tags, summary: "Create a user", description: "Without `password`, one is generated and returned once as `password`.",
      body: {
        type: "object", required: ["username"], additionalProperties: false,
        properties: { username: { type: "string", maxLength: 256 }, password: { type: "string", maxLength: 1024 }, email: { type: ["string", "null"], maxLength: 320 }, roles },
      },
      response: { 201: { type: "object", properties: { user: userSchema, password: { type: "string" } } }, ...writeErrors("username_taken", "email_taken") },
    },
  }, async (request, reply) => {
    const { user, password } = await admin.create(request.body, actorOf(request));
    reply.code(201);
    return password === undefined ? { user: userView(user) } : { user: userView(user), password };
  });

  app.get<Id>("/users/:id", { schema: { tags, summary: "Show a user (by selector: a user id, `id:<id>`, `username:<name>`, or a username)", params: idParams, response: { 200: userSchema, ...readErrors("not_found") } } },
    async (request) => userView(await admin.get(request.params.id)));

  app.patch<Id & { Body: { disabled?: boolean; roles?: string[] } }>("/users/:id", {
    schema: {
      tags, summary: "Change a user: `disabled` and/or `roles`", params: idParams,
      body: { type: "object", additionalProperties: false, minProperties: 1, properties: { disabled: { type: "boolean" }, roles } },
      response: { 200: userSchema, ...writeErrors("not_found") },
    },
  }, async (request) => {
    const actor = actorOf(request);
    let user = await admin.get(request.params.id);
    if (request.body.roles !== undefined) user = await admin.setRoles(user.id, request.body.roles, actor);
    if (request.body.disabled !== undefined) user = await admin.setDisabled(user.id, request.body.disabled, actor);
    return userView(user);
  });

  for (const [action, disabled] of [["disable", true], ["enable", false]] as const) {
    app.post<Id>(`/users/:id/${action}`, {
      schema: { tags, summary: disabled ? "Disable a user (sign-in refused, every session ended)" : "Enable a disabled user", params: idParams, response: { 200: userSchema, ...writeErrors("not_found") } },
    }, async (request) => userView(await admin.setDisabled(request.params.id, disabled, actorOf(request))));
  }

  app.put<Id & { Body: { roles: string[] } }>("/users/:id/roles", {
    schema: {
      tags, summary: "Replace a user's roles", description: "Takes effect at once on admin routes; new access tokens carry the new roles.",
      params: idParams, body: { type: "object", required: ["roles"], additionalProperties: false, properties: { roles } },
      response: { 200: userSchema, ...writeErrors("not_found") },
    },
  }, async (request) => userView(await admin.setRoles(request.params.id, request.body.roles, actorOf(request))));

  app.post<Id>("/users/:id/reset-password", {
    schema: {
      tags, summary: "Force a password reset",
      description: "Sets an unusable random password, ends every session, and returns a one-time `reset_token` (shown once) for the user to spend at `POST /auth/password/reset`.",
      params: idParams,
      response: { 200: { type: "object", properties: { reset_token: { type: "string" }, expires_at: { type: "string", format: "date-time" }, ended_sessions: { type: "integer" } } }, ...writeErrors("not_found") },
    },
  }, async (request, reply) => {
    const issued = await admin.forcePasswordReset(request.params.id, actorOf(request));
    reply.header("cache-control", "no-store");
    return { reset_token: issued.token, expires_at: new Date(issued.expiresAt).toISOString(), ended_sessions: issued.endedSessions };
  });
}
