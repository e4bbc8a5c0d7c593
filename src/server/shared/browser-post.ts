/**
 * The rule for the cookie-session sign-in routes under `/session/`: a JSON
 * body (415 otherwise) from an allowed `Origin` (403 csrf_failed otherwise),
 * so that no cross-site form — which can send neither — can sign a browser in.
 */
import type { FastifyRequest } from "fastify";
import { TesseraError } from "../../core/errors.js";
import { requestOrigin } from "./origins.js";

export function assertBrowserJsonPost(request: FastifyRequest, trusted: Set<string>): void {
  const type = request.headers["content-type"];
  if (typeof type !== "string" || !/^application\/json\s*(;|$)/i.test(type)) {
    throw new TesseraError("unsupported_media_type", "Send application/json.");
  }
  const origin = requestOrigin(request);
  if (origin === undefined || !trusted.has(origin)) {
    throw new TesseraError("csrf_failed", "The request lacks a valid CSRF token or comes from an origin that is not allowed.", { detail: `sign-in from origin ${String(origin).slice(0, 100)}` });
  }
}
