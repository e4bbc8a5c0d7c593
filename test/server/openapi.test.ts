// The API description and the HTTP hardening: an OpenAPI 3.1
// document listing every route, a reference page at /docs that works under
// its own CSP, security headers on HTML, no version banners, request timeouts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { signInAdmin } from "../helpers/admin.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

interface OpenApi { openapi: string; info: { title: string }; paths: Record<string, Record<string, { tags?: string[]; summary?: string; requestBody?: { content: Record<string, unknown> }; responses?: Record<string, unknown> }>> }
let server: TestServer;
let doc: OpenApi;

before(async () => {
  server = await startTestServer();
  doc = (await server.request<OpenApi>("GET", "/openapi.json")).body;
});
after(() => server.close());

describe("/openapi.json", () => {
  test("is OpenAPI 3.1.0 with every API route, and each operation has a tag and a summary", () => {
    assert.equal(doc.openapi, "3.1.0");
    assert.equal(doc.info.title, "Tessera");
    const api = server.app.printRoutes({ commonPrefix: false });
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const expected = [
      "GET /.well-known/oauth-authorization-server", "GET /.well-known/jwks.json", "GET /healthz", "GET /readyz", "POST /auth/register",
      "POST /oauth/token", "POST /oauth/revoke", "POST /oauth/introspect", "GET /oauth/revocations", "GET /userinfo", "GET /auth/sessions",
      "DELETE /auth/sessions/{id}", "POST /auth/logout", "POST /auth/logout-all", "POST /auth/password", "POST /auth/password/reset",
      "POST /session/login", "POST /session/logout", "GET /admin/users", "POST /admin/users", "GET /admin/users/{id}", "PATCH /admin/users/{id}",
      "POST /admin/users/{id}/disable", "POST /admin/users/{id}/enable", "PUT /admin/users/{id}/roles", "POST /admin/users/{id}/reset-password",
      "GET /admin/sessions", "DELETE /admin/sessions/{id}", "GET /admin/clients", "POST /admin/clients", "GET /admin/keys", "POST /admin/keys/rotate",
      "POST /admin/keys/{kid}/revoke", "GET /admin/audit",
    ];
    for (const op of expected) assert.ok(operations.includes(op), `${op} missing from the document`);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) assert.ok(op.tags?.length && op.summary, `${method} ${path} lacks a tag or summary`);
    }
    assert.ok(!operations.some((op) => op.includes("/docs") || op.includes("/openapi.json")), "the reference page is not API");
    assert.ok(operations.includes("GET /") && operations.includes("GET /metrics"), "the demo page and the metrics are documented");
    assert.ok(api.includes("admin"));
  });

  test("documents both body encodings of the OAuth endpoints, and the admin answers", () => {
    assert.deepEqual(Object.keys(doc.paths["/oauth/token"]!.post!.requestBody!.content).sort(), ["application/json", "application/x-www-form-urlencoded"]);
    assert.ok(doc.paths["/admin/users"]!.get!.responses!["200"]);
    assert.ok(doc.paths["/admin/users"]!.get!.responses!["403"]);
  });

  test("the admin response schemas shape the answers: no stored field leaks", async () => {
    const admin = await signInAdmin(server);
    const res = await server.request<{ users: Array<Record<string, unknown>> }>("GET", "/admin/users", { token: admin.access_token });
    assert.deepEqual(Object.keys(res.body.users[0]!).sort(), ["created_at", "disabled", "email", "email_verified", "id", "password_changed_at", "roles", "updated_at", "username"]);
    assert.ok(!res.text.includes("argon2"));
  });
});

/**
 * What the validator does not check: operationIds unique (it only checks them
 * when there are some), and every answer described by a schema or empty (204).
 */
function shapeProblems(document: OpenApi): string[] {
  const problems: string[] = [];
  const ids = new Map<string, string>();
  for (const [path, ops] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(ops) as Array<[string, OpenApi["paths"][string][string] & { operationId?: string }]>) {
      const where = `${method.toUpperCase()} ${path}`;
      if (op.operationId !== undefined) {
        if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} is also ${ids.get(op.operationId)}'s`);
        ids.set(op.operationId, where);
      }
      const responses = Object.entries(op.responses ?? {});
      if (responses.length === 0) problems.push(`${where}: no responses`);
      if (!responses.some(([status]) => status.startsWith("2"))) problems.push(`${where}: no success answer`);
      for (const [status, response] of responses as Array<[string, { description?: string; content?: Record<string, { schema?: unknown }> }]>) {
        if (status === "204") continue;
        const schemas = Object.values(response.content ?? {}).map((media) => media.schema);
        // A bodyless answer (`type: "null"`: revoke's 200, the 202s) has no content but its own description;
        // "Default Response" is what the generator writes for a status given no schema at all.
        if (schemas.length === 0 && response.description !== "Default Response") continue;
        if (schemas.length === 0 || schemas.some((schema) => schema === undefined)) problems.push(`${where} ${status}: no schema`);
      }
    }
  }
  return problems;
}

describe("the document is valid OpenAPI 3.1", () => {
  const validate = (document: unknown) => SwaggerParser.validate(structuredClone(document) as never, { resolve: { external: false } });

  test("the validator accepts it: the OpenAPI 3.1 schema, every $ref resolves", async () => {
    await validate(doc);
  });

  test("every answer has a schema (or is 204), every operation a success answer, operationIds are unique", () => {
    assert.deepEqual(shapeProblems(doc), []);
  });

  test("controls: a dangling $ref, a document without its info and an answer without a schema are caught", async () => {
    const dangling = structuredClone(doc) as OpenApi & { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    dangling.paths["/healthz"]!.get!.responses["200"] = { $ref: "#/components/responses/Nowhere" };
    await assert.rejects(validate(dangling), /Nowhere|resolve|pointer/i);
    const untitled = structuredClone(doc) as Partial<OpenApi>;
    delete untitled.info;
    await assert.rejects(validate(untitled), /info/);
    const noSchema = structuredClone(doc) as OpenApi & { paths: Record<string, Record<string, { responses: Record<string, unknown>; operationId?: string }>> };
    noSchema.paths["/healthz"]!.get!.responses["200"] = { description: "Default Response" };
    noSchema.paths["/healthz"]!.get!.operationId = "same";
    noSchema.paths["/readyz"]!.get!.operationId = "same";
    assert.deepEqual(shapeProblems(noSchema), ["GET /healthz 200: no schema", "GET /readyz: operationId same is also GET /healthz's"]);
  });
});

describe("/docs", () => {
  test("serves HTML under its own CSP: scripts from 'self' only, no framing", async () => {
    const res = await server.request("GET", "/docs");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(res.text, /<div id="swagger-ui">/);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.ok(!/script-src[^;]*unsafe/.test(csp), "no unsafe script sources");
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.ok(!/<script>[^<]/.test(res.text), "no inline script");
    const init = await server.request("GET", "/docs/static/swagger-initializer.js");
    assert.equal(init.status, 200);
  });
});

describe("headers and limits", () => {
  test("no version banners: no Server or X-Powered-By header on any kind of answer", async () => {
    for (const path of ["/healthz", "/nope", "/docs", "/openapi.json", "/.well-known/jwks.json"]) {
      const res = await server.request("GET", path);
      assert.equal(res.headers.get("server"), null, path);
      assert.equal(res.headers.get("x-powered-by"), null, path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    }
  });

  test("request timeouts are set: the whole request within TESSERA_REQUEST_TIMEOUT; idle sockets close", () => {
    assert.equal(server.app.server.requestTimeout, 30_000);
    assert.equal(server.app.server.timeout, 65_000);
  });

  test("the HTML page carries the strict CSP and framing protection", async () => {
    const res = await server.request("GET", "/");
    assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'; script-src 'self'/);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
  });
});
