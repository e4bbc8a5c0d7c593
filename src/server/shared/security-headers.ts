import type { FastifyReply } from "fastify";

/** Headers for every HTML answer: no inline script, no framing, no sniffing, no referrer leaks. */
export function htmlSecurityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("x-frame-options", "DENY")
    .header("cross-origin-opener-policy", "same-origin");
}
