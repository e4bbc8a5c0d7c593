/**
 * The demo page, served from `web/dist` (built by `npm run build`). Files are
 * read once at start; the page is plain static content under a strict CSP.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { htmlSecurityHeaders } from "../shared/security-headers.js";
import { demoPageSchema } from "../schemas/operations.js";

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon", ".map": "application/json",
};

/** `web/dist` relative to this module, in both src/ (tsx) and dist/ (built) layouts. */
export const defaultWebRoot = fileURLToPath(new URL("../../../web/dist", import.meta.url));

export function webRoutes(app: FastifyInstance, root = defaultWebRoot): void {
  const indexPath = join(root, "index.html");
  if (!existsSync(indexPath)) {
    app.get("/", { schema: demoPageSchema }, async (_request, reply) => {
      htmlSecurityHeaders(reply);
      return reply.type("text/html; charset=utf-8").send("<!doctype html><title>Tessera</title><p>The demo page is not built. Run <code>npm run build</code>.</p>");
    });
    return;
  }
  const index = readFileSync(indexPath);
  app.get("/", { schema: demoPageSchema }, async (_request, reply) => {
    htmlSecurityHeaders(reply);
    return reply.type(types[".html"]!).header("cache-control", "no-cache").send(index);
  });
  const assetsDir = join(root, "assets");
  const assets = new Map<string, Buffer>();
  if (existsSync(assetsDir)) for (const name of readdirSync(assetsDir)) assets.set(name, readFileSync(join(assetsDir, name)));
  app.get<{ Params: { file: string } }>("/assets/:file", async (request, reply) => {
    const body = assets.get(request.params.file);
    if (!body) return reply.callNotFound();
    reply.header("x-content-type-options", "nosniff");
    return reply.type(types[extname(request.params.file)] ?? "application/octet-stream").header("cache-control", "no-cache").send(body);
  });
}
