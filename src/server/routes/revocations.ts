/**
 * `GET /oauth/revocations?since=<cursor>&wait=<seconds>`: the feed of ended
 * sessions that `tessera/verify` follows (long-poll; docs/verify.md).
 */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../../core/api.js";
import { noStore } from "../shared/no-store.js";
import { revocationsSchema as schema } from "../schemas/oauth.js";


export function revocationsRoute(app: FastifyInstance, tessera: Tessera): void {
  app.get<{ Querystring: { since?: string; wait?: string } }>("/oauth/revocations", { schema }, async (request, reply) => {
    noStore(reply);
    const closed = new AbortController();
    reply.raw.once("close", () => closed.abort()); // the reader hung up
    return tessera.feed.read(request.query.since, Number(request.query.wait ?? 0) * 1000, closed.signal, request.ip);
  });
}
