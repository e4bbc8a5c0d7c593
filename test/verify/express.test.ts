/** The Express adapter on Express 5 and Express 4, over real HTTP on loopback. */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import express4 from "express4";
import { expressAuth, requireRole, requireScope } from "../../src/verify/index.js";
import { adapterSuite, meBody, type AppUnderTest } from "./helpers/adapter-suite.js";

async function listen(server: Server): Promise<AppUnderTest> {
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async request(path, headers = {}) {
      const response = await fetch(base + path, { headers });
      return { status: response.status, headers: response.headers, body: await response.text() };
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

for (const [name, make] of [["Express 5", express], ["Express 4", express4]] as const) {
  adapterSuite(name, async (verifier, options) => {
    const app = make();
    app.use(expressAuth(verifier, options));
    // req.auth is typed by the adapter's augmentation: no cast here.
    app.get("/me", (req, res) => { res.type("json").send(meBody(req.auth?.sub)); });
    app.get("/orders", requireScope("orders:read"), (_req, res) => { res.json({ ok: true }); });
    app.get("/write", requireScope("orders:write"), (_req, res) => { res.json({ ok: true }); });
    app.get("/admin", requireRole("admin"), (_req, res) => { res.json({ ok: true }); });
    return listen(app.listen(0, "127.0.0.1"));
  });
}
