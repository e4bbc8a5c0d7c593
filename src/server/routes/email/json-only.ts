/**
 * Unauthenticated email routes take JSON only: a cross-site HTML form can send
 * `application/x-www-form-urlencoded` without a CORS preflight, and would let any
 * page make browsers ask for messages (mail bombing through the victim's IP).
 */
import type { FastifyRequest } from "fastify";
import { TesseraError } from "../../../core/errors.js";

export async function jsonOnly(request: FastifyRequest): Promise<void> {
  const type = request.headers["content-type"] ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new TesseraError("unsupported_media_type", "This route takes application/json only.");
}
