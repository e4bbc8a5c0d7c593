/** The Hono middleware, through app.request() (and so on any runtime Hono runs on). */
import { Hono } from "hono";
import { honoAuth, requireRole, requireScope } from "../../packages/verify/src/index.js";
import { adapterSuite, meBody } from "./helpers/adapter-suite.js";

adapterSuite("Hono", async (verifier, options) => {
  const app = new Hono();
  app.use("*", honoAuth(verifier, options));
  // c.get("auth") is typed by the adapter's ContextVariableMap augmentation.
  app.get("/me", (c) => c.body(meBody(c.get("auth")?.sub), 200, { "content-type": "application/json" }));
  app.get("/orders", requireScope("orders:read").hono, (c) => c.json({ ok: true }));
  app.get("/write", requireScope("orders:write").hono, (c) => c.json({ ok: true }));
  app.get("/admin", requireRole("admin").hono, (c) => c.json({ ok: true }));
  return {
    async request(path, headers = {}) {
      const response = await app.request(path, { headers });
      return { status: response.status, headers: response.headers, body: await response.text() };
    },
    close: async () => undefined,
  };
});
