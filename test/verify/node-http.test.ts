/** The node:http adapter, over real HTTP on loopback. */
import { createServer } from "node:http";
import { nodeAuth, requireRole, requireScope } from "../../packages/verify/src/index.js";
import { adapterSuite, meBody, overHttp } from "./helpers/adapter-suite.js";

adapterSuite("node:http", async (verifier, options) => {
  const auth = nodeAuth(verifier, options);
  const guards = { "/orders": requireScope("orders:read"), "/write": requireScope("orders:write"), "/admin": requireRole("admin") };
  const server = createServer(async (req, res) => {
    if (!(await auth(req, res))) return;
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const guard = guards[path as keyof typeof guards];
    if (guard && !guard(req, res)) return;
    res.writeHead(200, { "content-type": "application/json" }).end(path === "/me" ? meBody(req.auth?.sub) : "{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return overHttp(server);

});
