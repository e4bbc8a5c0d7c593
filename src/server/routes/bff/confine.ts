/**
 * What keeps the API's content, served on Tessera's origin, from acting there:
 *
 * - `Content-Security-Policy: default-src 'none'; sandbox` on every answer: an
 *   HTML or SVG answer (or an error page) of the API renders in an opaque
 *   origin with no script, so it can neither read `__Host-tessera_csrf` nor
 *   call Tessera with the user's cookie.
 * - A private cache policy: every answer is one user's, fetched with that
 *   user's cookie, so no shared cache may keep it (`public` and `s-maxage`
 *   are dropped) and `Vary: Cookie` keeps the browser's own cache from handing
 *   it to the next user of the browser.
 * - Reads need `Sec-Fetch-Site: same-origin` or the CSRF token: `SameSite=Lax`
 *   sends the cookie on a top-level navigation from any site, and a read
 *   through /bff is the API acting for the user.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Tessera } from "../../../core/api.js";
import { principalOf } from "../../shared/authenticate.js";
import { csrfFailed } from "../../shared/cookie-auth.js";

export const BFF_CSP = "default-src 'none'; sandbox";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** `a, b` and `B, c` → `a, b, c`: the tokens of every value, first spelling kept, no repeats. */
export function mergeVary(...values: Array<string | string[] | number | undefined>): string {
  const seen = new Map<string, string>();
  for (const value of values.flat()) {
    for (const token of String(value ?? "").split(",")) {
      const name = token.trim();
      if (name && !seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
    }
  }
  return seen.has("*") ? "*" : [...seen.values()].join(", ");
}

/**
 * The browser-only policy for an API answer: `no-store` when the API said so;
 * `private, no-cache` when it said `no-cache` or nothing (no heuristic
 * freshness); else `private, max-age=N` with the API's own max-age.
 */
export function privateCacheControl(upstream: string | string[] | undefined): string {
  const directives = [upstream ?? ""].flat().join(",").toLowerCase().split(",").map((d) => d.trim());
  if (directives.includes("no-store")) return "no-store";
  const maxAge = directives.map((d) => /^max-age=(\d{1,10})$/.exec(d)?.[1]).find((n) => n !== undefined);
  return directives.includes("no-cache") || maxAge === undefined ? "private, no-cache" : `private, max-age=${maxAge}`;
}

/** onRequest: the confining headers on every /bff answer, errors included (a success rewrites the cache policy). */
export async function confineAnswer(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply
    .header("content-security-policy", BFF_CSP)
    .header("cache-control", "no-store")
    .header("vary", mergeVary(reply.getHeader("vary"), "Cookie"));
}

/** preHandler, after authentication: a read must come from Tessera's own pages (Fetch Metadata) or carry the CSRF token. */
export function sameOriginReads(tessera: Tessera) {
  return async function sameOriginReadCheck(request: FastifyRequest): Promise<void> {
    if (!SAFE_METHODS.has(request.method) || request.headers["sec-fetch-site"] === "same-origin") return;
    const p = principalOf(request);
    const token = request.headers["x-csrf-token"];
    if (p.auth === "cookie" && typeof token === "string" && tessera.cookieSessions.verifyCsrf(p.session.id, token)) return;
    const site = request.headers["sec-fetch-site"];
    throw csrfFailed(`a /bff read with Sec-Fetch-Site ${typeof site === "string" ? site.slice(0, 20) : "absent"} and no CSRF token`);
  };
}
