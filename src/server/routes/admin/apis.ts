/**
 * `/admin/apis`: the APIs registered as resources (RFC 8707; docs/admin.md
 * "APIs"). The identifier is a URI: in a path it is percent-encoded
 * (`/admin/apis/https%3A%2F%2Forders.example`).
 */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../../core/api.js";
import { actorOf } from "../../shared/require-role.js";
import { readErrors, writeErrors } from "./schemas.js";

const tags = ["admin"];
const str = { type: "string" } as const;
const scopes = { type: "array", minItems: 1, maxItems: 100, items: { type: "string", maxLength: 128 } } as const;
const grants = {
  type: "object", maxProperties: 100, description: "Scope -> the roles whose holders are granted it.",
  additionalProperties: { type: "array", minItems: 1, maxItems: 32, items: { type: "string", maxLength: 64 } },
} as const;
export const apiSchema = {
  type: "object",
  properties: {
    identifier: { type: "string", description: "The `aud` of the API's tokens; what a token request names as `resource`." },
    name: str, scopes: { type: "array", items: str }, grants: { type: "object", additionalProperties: { type: "array", items: str } },
    created_at: { type: "string", format: "date-time" }, updated_at: { type: "string", format: "date-time" },
  },
} as const;
const params = { type: "object", required: ["identifier"], properties: { identifier: { type: "string", maxLength: 512 } } } as const;

type Body = { identifier: string; name?: string; scopes: string[]; grants?: Record<string, string[]> };
type Id = { Params: { identifier: string } };

export function adminApiRoutes(app: FastifyInstance, tessera: Tessera): void {
  const apis = tessera.admin.apis;

  app.get("/apis", { schema: { tags, summary: "List the registered APIs", response: { 200: { type: "object", properties: { apis: { type: "array", items: apiSchema } } }, ...readErrors() } } },
    async () => ({ apis: await apis.list() }));

  app.post<{ Body: Body }>("/apis", {
    schema: {
      tags, summary: "Register an API", description: "A token request with `resource=<identifier>` then gets `aud: <identifier>` and the scopes the user's roles grant.",
      body: { type: "object", required: ["identifier", "scopes"], additionalProperties: false, properties: { identifier: { type: "string", maxLength: 512 }, name: { type: "string", maxLength: 100 }, scopes, grants } },
      response: { 201: apiSchema, ...writeErrors("api_exists") },
    },
  }, async (request, reply) => {
    const created = await apis.create(request.body, actorOf(request));
    return reply.code(201).send(created);
  });

  app.get<Id>("/apis/:identifier", { schema: { tags, summary: "Show an API", params, response: { 200: apiSchema, ...readErrors("not_found") } } },
    async (request) => apis.get(request.params.identifier));

  app.patch<Id & { Body: Omit<Partial<Body>, "identifier"> }>("/apis/:identifier", {
    schema: {
      tags, summary: "Change an API", description: "Each field given replaces the old value; a scope removed takes its grants with it. Sessions lose a scope no longer granted at their next refresh.",
      params, body: { type: "object", additionalProperties: false, properties: { name: { type: "string", maxLength: 100 }, scopes, grants } },
      response: { 200: apiSchema, ...writeErrors("not_found") },
    },
  }, async (request) => apis.update(request.params.identifier, request.body, actorOf(request)));

  app.delete<Id>("/apis/:identifier", {
    schema: { tags, summary: "Remove an API", description: "New tokens for it are refused (`invalid_target`), refreshes of its sessions too; tokens already issued live until they expire.", params, response: { 204: { type: "null" }, ...writeErrors("not_found") } },
  }, async (request, reply) => {
    await apis.remove(request.params.identifier, actorOf(request));
    return reply.code(204).send();
  });
}
