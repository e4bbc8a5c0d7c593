/** The Fastify plugin, through app.inject(). */
import assert from "node:assert/strict";
import { it } from "node:test";
import Fastify from "fastify";
import { createVerifier, fastifyAuth, requireRole, requireScope } from "../../packages/verify/src/index.js";
import { adapterSuite, meBody } from "./helpers/adapter-suite.js";

adapterSuite("Fastify", async (verifier, options) => {
  const app = Fastify();
  await app.register(async (api) => {
    await api.register(fastifyAuth, { verifier, ...options });
    // request.auth is typed by the plugin's augmentation of FastifyRequest.
    api.get("/me", async (req, reply) => reply.type("application/json").send(meBody(req.auth?.sub)));
    api.get("/orders", { preHandler: requireScope("orders:read").fastify }, async () => ({ ok: true }));
    api.get("/write", { preHandler: requireScope("orders:write").fastify }, async () => ({ ok: true }));
    api.get("/admin", { preHandler: requireRole("admin").fastify }, async () => ({ ok: true }));
  });
  await app.ready();
  return {
    async request(path, headers = {}) {
      const res = await app.inject({ method: "GET", url: path, headers });
      const h = new Headers();
      for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) h.set(name, String(value));
      return { status: res.statusCode, headers: h, body: res.body };
    },
    close: () => app.close(),
  };
});

it("Fastify: protects only the scope the plugin is registered in", async () => {
  const verifier = createVerifier({ issuer: "http://issuer.test", keys: [], revocation: false });
  const app = Fastify();
  app.get("/public", async () => ({ ok: true }));
  await app.register(async (api) => {
    await api.register(fastifyAuth, { verifier });
    api.get("/private", async () => ({ ok: true }));
  });
  assert.equal((await app.inject("/public")).statusCode, 200);
  assert.equal((await app.inject("/private")).statusCode, 401);
  await app.close();
});
