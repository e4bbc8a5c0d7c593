/** `/admin/sessions`, `/admin/clients`, `/admin/keys`: list and act. */
import type { FastifyInstance } from "fastify";
import type { GrantType, Tessera } from "../../../core/api.js";
import { actorOf } from "../../shared/require-role.js";
import { clientSchema, keySchema, readErrors, sessionSchema, writeErrors } from "./schemas.js";

const tags = ["admin"];
const list = (items: object, key: string) => ({ type: "object", properties: { [key]: { type: "array", items } } });

export function adminResourceRoutes(app: FastifyInstance, tessera: Tessera): void {
  const { users, resources } = tessera.admin;
  const clientView = tessera.admin.views.client;

  app.get<{ Querystring: { user: string } }>("/sessions", {
    schema: {
      tags, summary: "List a user's live sessions", querystring: { type: "object", required: ["user"], additionalProperties: false, properties: { user: { type: "string", maxLength: 256, description: "User id or username." } } },
      response: { 200: list(sessionSchema, "sessions"), ...readErrors("invalid_request", "not_found") },
    },
  }, async (request) => ({ sessions: await users.sessionViews(request.query.user) }));

  app.delete<{ Params: { id: string } }>("/sessions/:id", {
    schema: { tags, summary: "End a session (its tokens are refused at once; verifiers following the feed learn it within seconds)", params: { type: "object", properties: { id: { type: "string", maxLength: 64 } } }, response: { 204: { type: "null" }, ...writeErrors("not_found") } },
  }, async (request, reply) => {
    await users.revokeSession(request.params.id, actorOf(request));
    return reply.code(204).send();
  });

  app.get("/clients", { schema: { tags, summary: "List OAuth clients", response: { 200: list(clientSchema, "clients"), ...readErrors() } } },
    async () => ({ clients: (await tessera.clients.list()).map(clientView) }));

  app.post<{ Body: { name: string; client_id?: string; grant_types?: GrantType[]; scopes?: string[]; first_party?: boolean; public?: boolean } }>("/clients", {
    schema: {
      tags, summary: "Register a client", description: "A confidential client's `client_secret` is in this answer only; it is stored as a SHA-256 hash.",
      body: {
        type: "object", required: ["name"], additionalProperties: false,
        properties: {
          name: { type: "string", maxLength: 100 }, client_id: { type: "string", maxLength: 64 },
          grant_types: { type: "array", maxItems: 3, items: { type: "string", enum: ["password", "refresh_token", "client_credentials"] } },
          scopes: { type: "array", maxItems: 64, items: { type: "string", maxLength: 128 } }, first_party: { type: "boolean" }, public: { type: "boolean" },
        },
      },
      response: { 201: clientSchema, ...writeErrors("client_exists") },
    },
  }, async (request, reply) => {
    const b = request.body;
    const { client, secret } = await resources.createClient({
      name: b.name, ...(b.client_id === undefined ? {} : { id: b.client_id }), ...(b.grant_types ? { grantTypes: b.grant_types } : {}),
      ...(b.scopes ? { scopes: b.scopes } : {}), firstParty: b.first_party === true, public: b.public === true,
    }, actorOf(request));
    reply.code(201).header("cache-control", "no-store");
    return secret === undefined ? clientView(client) : { ...clientView(client), client_secret: secret };
  });

  const clientParams = { type: "object", properties: { id: { type: "string", maxLength: 64 } } } as const;
  for (const [action, disabled] of [["disable", true], ["enable", false]] as const) {
    app.post<{ Params: { id: string } }>(`/clients/:id/${action}`, {
      schema: { tags, summary: disabled ? "Disable a client: it cannot authenticate, Tessera refuses its tokens and its refresh tokens stop working" : "Enable a disabled client", params: clientParams, response: { 200: clientSchema, ...writeErrors("not_found") } },
    }, async (request) => clientView(await resources.setClientDisabled(request.params.id, disabled, actorOf(request))));
  }

  app.delete<{ Params: { id: string } }>("/clients/:id", {
    schema: { tags, summary: "Remove a client (built-in clients cannot be removed)", params: clientParams, response: { 204: { type: "null" }, ...writeErrors("not_found") } },
  }, async (request, reply) => {
    await resources.removeClient(request.params.id, actorOf(request));
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>("/clients/:id/secret", {
    schema: { tags, summary: "Give a confidential client a new secret (shown once); the old one stops working", params: clientParams, response: { 201: { type: "object", properties: { client_id: { type: "string" }, client_secret: { type: "string" } } }, ...writeErrors("not_found") } },
  }, async (request, reply) => {
    const secret = await resources.rotateClientSecret(request.params.id, actorOf(request));
    return reply.code(201).header("cache-control", "no-store").send({ client_id: request.params.id, client_secret: secret });
  });

  app.get("/keys", { schema: { tags, summary: "List signing keys and their state", response: { 200: list(keySchema, "keys"), ...readErrors() } } },
    async () => ({ keys: resources.listKeys() }));

  app.post("/keys/rotate", {
    schema: { tags, summary: "Rotate the signing key", description: "The new key is published now and signs after the JWKS cache lifetime; the old one retires then and is deleted once its last token has expired.", response: { 201: keySchema, ...writeErrors() } },
  }, async (request, reply) => {
    const key = await resources.rotateKey(actorOf(request));
    return reply.code(201).send(key);
  });

  app.post<{ Params: { kid: string } }>("/keys/:kid/revoke", {
    schema: { tags, summary: "Revoke a compromised key at once", description: "Every token it signed is refused from now on; if it was signing, a new key signs at once.", params: { type: "object", properties: { kid: { type: "string", maxLength: 128 } } }, response: { 200: list(keySchema, "keys"), ...writeErrors("not_found") } },
  }, async (request) => {
    await resources.revokeKey(request.params.kid, actorOf(request));
    return { keys: resources.listKeys() };
  });
}
