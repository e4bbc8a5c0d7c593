/**
 * Combined mode, "cookies that carry tokens" (a backend-for-frontend): the SPA
 * talks only to its own origin with the session cookie; `/bff/<path>` forwards
 * the request to the configured API with a Bearer access token minted for the
 * cookie session. The browser never holds a token, so XSS cannot steal one;
 * the API still verifies a standard JWT statelessly. CSRF rules apply to the
 * forwarded unsafe requests exactly as to Tessera's own routes.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import { TesseraError } from "../../core/errors.js";
import type { Tessera } from "../../core/tessera.js";
import { principalOf } from "../shared/authenticate.js";

const FORWARDED_REQUEST_HEADERS = ["accept", "content-type", "accept-language", "x-request-id"];
const FORWARDED_RESPONSE_HEADERS = ["content-type", "cache-control", "etag", "last-modified", "www-authenticate", "retry-after"];

/** Access tokens minted per session, reused until 30 s before they expire. */
class TokenCache {
  readonly #entries = new Map<string, { token: string; exp: number }>();
  get(sessionId: string, nowSeconds: number): string | undefined {
    const hit = this.#entries.get(sessionId);
    return hit && hit.exp - 30 > nowSeconds ? hit.token : undefined;
  }
  set(sessionId: string, token: string, exp: number): void {
    if (this.#entries.size > 10_000) this.#entries.clear();
    this.#entries.set(sessionId, { token, exp });
  }
}

export function bffRoutes(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): void {
  const upstream = tessera.config.bffUpstream;
  if (!upstream) return;
  const cache = new TokenCache();
  app.all<{ Params: { "*": string } }>("/bff/*", { preHandler: authenticate }, async (request, reply) => {
    const p = principalOf(request);
    if (p.auth !== "cookie") throw new TesseraError("forbidden", "The /bff routes are for cookie sessions; call the API directly with your token.");
    const nowSeconds = Math.floor(tessera.now() / 1000);
    let token = cache.get(p.session.id, nowSeconds);
    if (!token) {
      const client = await tessera.clients.authenticate({ clientId: p.session.client_id });
      const minted = tessera.tokens.sessionAccessToken(p.session, p.user, client);
      cache.set(p.session.id, minted.token, minted.claims.exp);
      token = minted.token;
    }
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const query = request.url.includes("?") ? request.url.slice(request.url.indexOf("?")) : "";
    const body = request.body === undefined || request.method === "GET" || request.method === "HEAD" ? undefined
      : typeof request.body === "string" ? request.body
        : headers["content-type"]?.startsWith("application/x-www-form-urlencoded") ? new URLSearchParams(request.body as Record<string, string>).toString()
          : JSON.stringify(request.body);
    let answer: Response;
    try {
      answer = await fetch(`${upstream}/${request.params["*"]}${query}`, { method: request.method, headers, body, redirect: "manual", signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      request.log.warn({ err: error }, "bff upstream unreachable");
      throw new TesseraError("temporarily_unavailable", "The API behind /bff is unreachable.");
    }
    reply.code(answer.status);
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = answer.headers.get(name);
      if (value !== null) reply.header(name, value);
    }
    return reply.send(Buffer.from(await answer.arrayBuffer()));
  });
}
