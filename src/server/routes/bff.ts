/**
 * Combined mode, "cookies that carry tokens" (a backend-for-frontend): the SPA
 * talks only to its own origin with the session cookie; `/bff/<path>` forwards
 * the request to the configured API with a Bearer access token minted for the
 * cookie session. The browser never holds a token, so XSS cannot steal one;
 * the API still verifies a standard JWT statelessly. CSRF rules apply to the
 * forwarded unsafe requests exactly as to Tessera's own routes, and reads need
 * Fetch Metadata or the CSRF token (bff/confine.ts).
 *
 * The request line goes on byte for byte: `/bff/a%3Fb` reaches the API as
 * `/a%3Fb`, never `/a?b`, and `%2e%2e` stays encoded; a literal `.` or `..`
 * segment is refused. Bodies go on as received (no re-serialising), up to
 * 16 KiB; the answer comes back up to 1 MiB, else 502 `bad_gateway`.
 */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import { TesseraError } from "../../core/errors.js";
import type { Tessera } from "../../core/api.js";
import { principalOf } from "../shared/authenticate.js";
import { confineAnswer, mergeVary, privateCacheControl, sameOriginReads } from "./bff/confine.js";
import { callUpstream, UpstreamTooLarge } from "./bff/upstream.js";
import { bffSchema } from "../schemas/operations.js";

/** Request bodies forwarded, at most (the same cap as every other route). */
export const BFF_BODY_LIMIT = 16 * 1024;
/** Upstream answers passed on, at most; they are read whole before the first byte goes back. */
export const BFF_RESPONSE_LIMIT = 1024 * 1024;
const UPSTREAM_TIMEOUT_MS = 10_000;

const FORWARDED_REQUEST_HEADERS = ["accept", "content-type", "accept-language", "x-request-id", "if-none-match", "if-modified-since"];
/** Cache-Control and Vary are rewritten (bff/confine.ts); Set-Cookie and the rest never pass. */
const FORWARDED_RESPONSE_HEADERS = ["content-type", "etag", "last-modified", "www-authenticate", "retry-after"];

/** The path and query after `/bff`, exactly as they arrived. */
function rawTarget(request: FastifyRequest): string {
  const raw = request.raw.url ?? "";
  if (!raw.startsWith("/bff/")) throw new TesseraError("not_found", "No such resource.");
  const target = raw.slice("/bff".length);
  const path = target.split("?")[0]!;
  if (path.split("/").some((segment) => segment === "." || segment === "..")) {
    throw new TesseraError("invalid_request", "A /bff path may not contain . or .. segments.");
  }
  return target;
}

const bearerRefused = () => new TesseraError("forbidden", "The /bff routes are for cookie sessions; call the API directly with your token.");

async function cookieSessionOnly(request: FastifyRequest): Promise<void> {
  if (principalOf(request).auth !== "cookie") throw bearerRefused();
}

export function bffRoutes(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): void {
  const upstream = tessera.config.bffUpstream;
  if (!upstream) return;
  // Its own scope: one parser that keeps every body as the bytes that came.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: BFF_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.all("/bff/*", { schema: bffSchema, onRequest: confineAnswer, preHandler: [authenticate, cookieSessionOnly, sameOriginReads(tessera)] }, async (request, reply) => {
      const p = principalOf(request);
      if (p.auth !== "cookie") throw bearerRefused();
      const target = rawTarget(request);
      // Minted per session and reused until shortly before it expires (core/sessions/bff-tokens.ts).
      const token = await tessera.cookieSessions.accessToken(p);
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const value = request.headers[name];
        if (typeof value === "string") headers[name] = value;
      }
      const body = Buffer.isBuffer(request.body) && request.method !== "GET" && request.method !== "HEAD" ? request.body : undefined;
      let answer;
      try {
        answer = await callUpstream({ origin: upstream, path: target, method: request.method, headers, body, maxBytes: BFF_RESPONSE_LIMIT, timeoutMs: UPSTREAM_TIMEOUT_MS });
      } catch (error) {
        if (error instanceof UpstreamTooLarge) {
          throw new TesseraError("bad_gateway", "The API behind /bff answered with more than 1 MiB.", { detail: error.message });
        }
        if ((error as { code?: string }).code === "ERR_UNESCAPED_CHARACTERS") throw new TesseraError("invalid_request", "The URL is not validly percent-encoded.");
        request.log.warn({ err: error }, "bff upstream unreachable");
        throw new TesseraError("temporarily_unavailable", "The API behind /bff is unreachable.");
      }
      reply.code(answer.status);
      for (const name of FORWARDED_RESPONSE_HEADERS) {
        const value = answer.headers[name];
        if (typeof value === "string") reply.header(name, value);
      }
      reply
        .header("cache-control", privateCacheControl(answer.headers["cache-control"]))
        .header("vary", mergeVary(reply.getHeader("vary"), answer.headers.vary, "Cookie"));
      return reply.send(answer.body);
    });
  });
}
