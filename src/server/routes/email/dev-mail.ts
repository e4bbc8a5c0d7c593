/**
 * Development without SMTP: `GET /dev/mail` lists the messages written as .eml
 * files in the data folder, `GET /dev/mail/:id` shows one. Registered only
 * when no SMTP server is configured and NODE_ENV is not `production`, and
 * answered only to loopback peers (the socket's address, never a forwarded one).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { TesseraError } from "../../../core/errors.js";
import type { Tessera } from "../../../core/api.js";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function loopbackOnly(request: FastifyRequest): Promise<void> {
  if (!LOOPBACK.test(request.socket.remoteAddress ?? "")) throw new TesseraError("not_found", "No such resource.", { detail: "dev mail page off loopback" });
}

const header = (raw: string, name: string) => new RegExp(`^${name}: (.*)$`, "mi").exec(raw)?.[1] ?? "";

export function devMailRoutes(app: FastifyInstance, tessera: Tessera): void {
  const folder = tessera.mail.mailDir;
  if (!folder || !tessera.mail.devPage) return;
  const headers = { "content-security-policy": "default-src 'none'; frame-ancestors 'none'", "cache-control": "no-store", "referrer-policy": "no-referrer" };
  app.get("/dev/mail", { preHandler: loopbackOnly, schema: { hide: true } }, async (_request, reply) => {
    const rows = tessera.mail.storedMessages().map((m) => `<tr><td>${new Date(m.at).toISOString()}</td><td>${esc(header(m.raw, "To"))}</td><td><a href="/dev/mail/${esc(m.id)}">${esc(header(m.raw, "Subject"))}</a></td></tr>`);
    return reply.headers(headers).type("text/html; charset=utf-8")
      .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Messages · Tessera</title></head><body><h1>Messages written to ${esc(folder)}</h1><table><thead><tr><th>When</th><th>To</th><th>Subject</th></tr></thead><tbody>${rows.join("")}</tbody></table></body></html>`);
  });
  app.get<{ Params: { id: string } }>("/dev/mail/:id", { preHandler: loopbackOnly, schema: { hide: true, params: { type: "object", properties: { id: { type: "string", pattern: "^[\\w-]{1,80}$" } } } } }, async (request, reply) => {
    const found = tessera.mail.storedMessages(10_000).find((m) => m.id === request.params.id);
    if (!found) throw new TesseraError("not_found", "No such message.");
    return reply.headers(headers).type("text/plain; charset=utf-8").send(found.raw);
  });
}
