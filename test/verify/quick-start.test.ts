/**
 * The verify quick starts, as written: a real Tessera server set up by the
 * docs' own `tessera apis add` command (read from docs/verify.md), a sign-in
 * with the docs' `resource`, and the Express, Fastify and Hono apps of
 * docs/verify/*.md with `audience: "https://orders.example"` and
 * `requireScope("orders:read")`. A user gets `orders:read` and not
 * `orders:write`; a token without `resource` is refused by the API.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { main } from "../../src/cli/main.js";
import { createVerifier, expressAuth, fastifyAuth, honoAuth, requireRole, requireScope, type Verifier } from "../../packages/verify/src/index.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const doc = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), "utf8");
const AUDIENCE = "https://orders.example";

/** The shell lines of a doc's ```sh blocks, continuation lines joined. */
function shellLines(text: string): string[] {
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.replace(/\s*\\\n\s*/g, " ").split("\n")).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

/** `-d name=value` pairs of a curl line (values quoted with '…' or bare). */
function curlFields(line: string): Record<string, string> {
  return Object.fromEntries([...line.matchAll(/-d ([a-z_]+)=('([^']*)'|\S+)/g)].map((m) => [m[1]!, m[3] ?? m[2]!]));
}

let server: TestServer;
let verifier: Verifier;
let alice: string;
let admin: string;
let ownAudience: string;

before(async () => {
  server = await startTestServer();
  // Step 1 of the docs: the command, as printed, against the server's own data.
  const command = shellLines(doc("verify.md")).find((l) => l.startsWith("npx tessera apis add"));
  assert.ok(command, "docs/verify.md shows the tessera apis add command");
  const c = server.tessera.config;
  const saved = { ...process.env };
  Object.assign(process.env, {
    TESSERA_DATA_DIR: c.dataDir, TESSERA_MASTER_KEY: c.masterKey, LOG_LEVEL: "silent", TESSERA_SWEEP_INTERVAL: "0",
    ...(c.databaseUrl ? { DATABASE_URL: c.databaseUrl, TESSERA_PG_SCHEMA: c.pgSchema } : {}),
  });
  const out: string[] = [];
  const code = await main(command.split(/\s+/).slice(2), { out: (s) => out.push(s), err: (s) => out.push(s) });
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  assert.equal(code, 0, out.join("\n"));

  // Step 2: the docs' sign-in, with alice as a plain user and an admin beside her.
  const curl = shellLines(doc("verify.md")).find((l) => l.startsWith("curl -s localhost:3000/oauth/token"));
  assert.ok(curl);
  const fields = curlFields(curl);
  assert.equal(fields.resource, AUDIENCE);
  assert.equal((await server.request("POST", "/auth/register", { json: { username: fields.username, password: fields.password } })).status, 201);
  const signedIn = await server.request<{ access_token: string; scope: string }>("POST", "/oauth/token", { form: fields });
  assert.equal(signedIn.status, 200, signedIn.text);
  assert.equal(signedIn.body.scope, "orders:read", "the answer the docs print");
  alice = signedIn.body.access_token;
  await server.tessera.parts.admin.users.create({ username: "boss", password: "a strong secret phrase", roles: ["user", "admin"] }, { id: "test" });
  admin = (await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { ...fields, username: "boss", password: "a strong secret phrase" } })).body.access_token;
  ownAudience = (await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username: fields.username!, password: fields.password! } })).body.access_token;

  // The docs name the issuer http://localhost:3000; this server runs elsewhere.
  verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
});
after(async () => {
  verifier.close();
  await server.close();
});

it("every quick start names the registered API as its audience", () => {
  for (const name of ["verify.md", "verify/express.md", "verify/fastify.md", "verify/hono.md", "verify/node-http.md"]) {
    const text = doc(name);
    assert.match(text, /createVerifier\(\{ issuer: "http:\/\/localhost:3000", audience: "https:\/\/orders\.example" \}\)/, name);
    assert.match(text, /requireScope\("orders:read"\)/, name);
    assert.ok(shellLines(text).some((l) => l.startsWith("npx tessera apis add https://orders.example --scope orders:read --scope orders:write --grant orders:read=user --grant orders:write=admin")), name);
  }
});

describe("Express (docs/verify/express.md)", () => {
  let base: string;
  let close: () => void;
  before(async () => {
    const app = express();
    app.use(expressAuth(verifier));
    app.get("/orders", requireScope("orders:read"), (req, res) => {
      res.json({ user: req.auth?.sub, roles: req.auth?.roles });
    });
    app.delete("/orders/:id", requireScope("orders:write"), requireRole("admin"), (_req, res) => { res.status(204).end(); });
    const listening = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => listening.once("listening", resolve));
    base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    close = () => listening.close();
  });
  after(() => close());
  const call = (method: string, path: string, token: string) => fetch(base + path, { method, headers: { authorization: `Bearer ${token}` } });

  it("a user reads orders but may not write them; an admin may", async () => {
    assert.equal((await call("GET", "/orders", alice)).status, 200);
    const write = await call("DELETE", "/orders/1", alice);
    assert.equal(write.status, 403);
    assert.match(write.headers.get("www-authenticate")!, /error="insufficient_scope", .*scope="orders:write"/);
    assert.equal((await call("DELETE", "/orders/1", admin)).status, 204);
  });

  it("a token of Tessera's own audience is refused (401)", async () => {
    const res = await call("GET", "/orders", ownAudience);
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate")!, /invalid_token/);
  });
});

describe("Fastify (docs/verify/fastify.md)", () => {
  const app = Fastify();
  before(async () => {
    app.get("/health", async () => ({ ok: true }));
    app.register(async (api) => {
      await api.register(fastifyAuth, { verifier });
      api.get("/orders", { preHandler: requireScope("orders:read").fastify }, async (request) => ({ user: request.auth?.sub }));
      api.delete("/orders/:id", { preHandler: requireScope("orders:write").fastify }, async (_request, reply) => reply.code(204).send());
    });
    await app.ready();
  });
  after(() => app.close());
  const call = (method: "GET" | "DELETE", url: string, token: string) => app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });

  it("a user reads orders but may not write them; the health route needs nothing", async () => {
    assert.equal((await call("GET", "/orders", alice)).statusCode, 200);
    assert.equal((await call("DELETE", "/orders/1", alice)).statusCode, 403);
    assert.equal((await call("DELETE", "/orders/1", admin)).statusCode, 204);
    assert.equal((await app.inject({ method: "GET", url: "/health" })).statusCode, 200);
    assert.equal((await call("GET", "/orders", ownAudience)).statusCode, 401);
  });
});

describe("Hono (docs/verify/hono.md)", () => {
  const app = new Hono();
  before(() => {
    app.use("/api/*", honoAuth(verifier));
    app.get("/api/orders", requireScope("orders:read").hono, (c) => c.json({ user: c.get("auth")?.sub }));
    app.delete("/api/orders/:id", requireScope("orders:write").hono, (c) => c.body(null, 204));
  });
  const call = (method: string, path: string, token: string) => app.request(path, { method, headers: { authorization: `Bearer ${token}` } });

  it("a user reads orders but may not write them", async () => {
    const read = await call("GET", "/api/orders", alice);
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as { user: string }).user, (await server.tessera.parts.users.find("alice"))!.id);
    assert.equal((await call("DELETE", "/api/orders/1", alice)).status, 403);
    assert.equal((await call("DELETE", "/api/orders/1", admin)).status, 204);
    assert.equal((await call("GET", "/api/orders", ownAudience)).status, 401);
  });
});
