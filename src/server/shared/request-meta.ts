import type { FastifyRequest } from "fastify";
import type { RequestMeta } from "../../core/api.js";

/** The client facts a session records (shown to the user in their session list). */
export function requestMeta(request: FastifyRequest): RequestMeta {
  return { ip: request.ip, userAgent: request.headers["user-agent"] };
}
