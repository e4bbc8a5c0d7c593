/** The Express adapter on Express 5 and Express 4, over real HTTP on loopback. */
import express from "express";
import express4 from "express4";
import { expressAuth, requireRole, requireScope } from "../../packages/verify/src/index.js";
import { adapterSuite, meBody, overHttp } from "./helpers/adapter-suite.js";

for (const [name, make] of [["Express 5", express], ["Express 4", express4]] as const) {
  adapterSuite(name, async (verifier, options) => {
    const app = make();
    app.use(expressAuth(verifier, options));
    // req.auth is typed by the adapter's augmentation: no cast here.
    app.get("/me", (req, res) => { res.type("json").send(meBody(req.auth?.sub)); });
    app.get("/orders", requireScope("orders:read"), (_req, res) => { res.json({ ok: true }); });
    app.get("/write", requireScope("orders:write"), (_req, res) => { res.json({ ok: true }); });
    app.get("/admin", requireRole("admin"), (_req, res) => { res.json({ ok: true }); });
    return overHttp(app.listen(0, "127.0.0.1"));
  });
}
