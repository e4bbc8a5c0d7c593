import type { FastifyReply } from "fastify";

/** Token and account answers must never sit in a cache (RFC 6749 §5.1). */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header("cache-control", "no-store").header("pragma", "no-cache");
}
