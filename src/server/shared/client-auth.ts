/**
 * Extracts client credentials from a request (RFC 6749 §2.3.1): HTTP Basic
 * (`client_secret_basic`, id and secret form-urlencoded inside), or
 * `client_id`/`client_secret` in the body (`client_secret_post`), never both.
 */
import type { FastifyRequest } from "fastify";
import type { ClientCredentials } from "../../core/api.js";
import { TesseraError } from "../../core/errors.js";

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    throw new TesseraError("invalid_client", "Client authentication failed.", { detail: "bad Basic encoding" });
  }
}

export function clientCredentials(request: FastifyRequest, body: { client_id?: string | undefined; client_secret?: string | undefined }): ClientCredentials {
  const header = request.headers.authorization;
  if (header !== undefined && /^basic /i.test(header)) {
    if (body.client_secret !== undefined) throw new TesseraError("invalid_request", "Use one client authentication method, not two.");
    const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new TesseraError("invalid_client", "Client authentication failed.", { detail: "Basic without colon" });
    const clientId = decodeComponent(decoded.slice(0, colon));
    if (body.client_id !== undefined && body.client_id !== clientId) throw new TesseraError("invalid_request", "client_id: differs from the authenticated client");
    return { clientId, clientSecret: decodeComponent(decoded.slice(colon + 1)) };
  }
  return { clientId: body.client_id, clientSecret: body.client_secret };
}
