/**
 * Steps for the routes a cross-site page could reach with a plain HTML form
 * (a CORS "simple" request: no preflight, the browser's cookies attached).
 *
 * - `jsonBodyOnly`: the body must be `application/json`. A form cannot send
 *   that content type, and a script on another origin cannot either without
 *   a CORS preflight, which only allowed origins pass.
 * - `fromTrustedPage`: the browser says where the request comes from. Either
 *   `Sec-Fetch-Site: same-origin` (Fetch Metadata; a header no page can set)
 *   or an `Origin` (failing that, a `Referer`) on the allow-list of
 *   `origins.ts` (the issuer's origin and TESSERA_ALLOWED_ORIGINS). Browsers
 *   send `Origin` on every POST, same-origin ones included, so a page of ours
 *   always passes; a request that names no origin at all is refused.
 *
 * Both run as the route's `onRequest` step, before the body is read: a refused
 * request costs no parsing and touches no session.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../../core/config.js";
import { TesseraError } from "../../core/errors.js";
import { csrfFailed } from "./cookie-auth.js";
import { allowedOrigins, requestOrigin } from "./origins.js";

type Step = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

function mediaType(request: FastifyRequest): string | undefined {
  const header = request.headers["content-type"];
  return header === undefined ? undefined : header.split(";")[0]!.trim().toLowerCase();
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers["content-length"];
  return request.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * 415 `unsupported_media_type` unless the body is JSON. A request with no body
 * at all (no Content-Type, no length) goes on to the route, whose schema says
 * whether it needs one: a logout has nothing to send.
 */
export function jsonBodyOnly(): Step {
  return async function jsonBodyOnlyCheck(request) {
    const type = mediaType(request);
    if (type === "application/json" || (type === undefined && !hasBody(request))) return;
    throw new TesseraError("unsupported_media_type", "Send the body as application/json.", { detail: `content type ${String(type).slice(0, 100)}` });
  };
}

/** True when the browser says the request comes from this origin or an allowed one. */
export function isFromTrustedPage(request: FastifyRequest, trusted: Set<string>): boolean {
  if (request.headers["sec-fetch-site"] === "same-origin") return true;
  const origin = requestOrigin(request);
  return origin !== undefined && trusted.has(origin);
}

/** 403 `csrf_failed` unless `isFromTrustedPage`. */
export function fromTrustedPage(config: Config): Step {
  const trusted = allowedOrigins(config);
  return async function fromTrustedPageCheck(request) {
    if (isFromTrustedPage(request, trusted)) return;
    const origin = requestOrigin(request);
    throw csrfFailed(origin === undefined ? "no Origin, Referer or Sec-Fetch-Site" : `origin ${origin.slice(0, 100)} not allowed`);
  };
}
