/**
 * The cookie-session cookies. `__Host-` forces Secure, Path=/ and no Domain, so
 * no sibling subdomain can set or overwrite them (cookie tossing). The session
 * cookie is HttpOnly: no script can read it. The CSRF cookie is readable on
 * purpose: the page copies it into the X-CSRF-Token header (double submit), and
 * it is worth nothing without the session it is bound to.
 */
import type { FastifyReply } from "fastify";

export const SESSION_COOKIE = "__Host-tessera_session";
export const CSRF_COOKIE = "__Host-tessera_csrf";

const base = { path: "/", secure: true, sameSite: "lax" } as const;

export function setSessionCookies(reply: FastifyReply, secret: string, csrfToken: string, maxAgeSeconds: number): void {
  reply.setCookie(SESSION_COOKIE, secret, { ...base, httpOnly: true, maxAge: maxAgeSeconds });
  reply.setCookie(CSRF_COOKIE, csrfToken, { ...base, httpOnly: false, maxAge: maxAgeSeconds });
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.setCookie(SESSION_COOKIE, "", { ...base, httpOnly: true, maxAge: 0, expires: new Date(0) });
  reply.setCookie(CSRF_COOKIE, "", { ...base, httpOnly: false, maxAge: 0, expires: new Date(0) });
}
