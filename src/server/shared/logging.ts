/**
 * The server's pino options: JSON lines at the configured level, with every
 * place a credential could appear redacted. Fastify's request serializer logs
 * the URL, so query-string values with a credential-like name are masked too:
 * Tessera never reads a token from the query string, but a careless client
 * may still send one, and log files outlive tokens. (Also: the load balancer
 * setting, which decides the client address every log line carries.)
 */
import type { FastifyServerOptions } from "fastify";
import type { TrustProxy } from "../../core/cluster/config-parsers.js";

/** Where log lines go (pino's DestinationStream, as far as we use it). */
export interface LogStream {
  write(line: string): void;
}

const SECRET_PARAM = /token|secret|password|passwd|code|assertion|jwt|key|session|csrf/i;

/** Masks the values of credential-like query parameters; keeps the names so the log still says what was sent. */
export function redactUrl(url: string): string {
  const mark = url.indexOf("?");
  if (mark < 0) return url;
  const query = url.slice(mark + 1).split("&").map((pair) => {
    const name = pair.split("=", 1)[0]!;
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // keep it encoded: the pattern still applies to its ASCII parts
    }
    return SECRET_PARAM.test(decoded) && pair.includes("=") ? `${name}=[redacted]` : pair;
  });
  return `${url.slice(0, mark)}?${query.join("&")}`;
}

const REDACT = [
  "req.headers.authorization", "req.headers.cookie", 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]',
  // Anything a handler might log by mistake: a body, a token response, a form.
  "*.password", "*.current_password", "*.new_password", "*.refresh_token", "*.access_token", "*.client_secret", "*.token",
];

export function loggerOptions(level: string, stream?: LogStream): NonNullable<FastifyServerOptions["logger"]> {
  return {
    level,
    redact: { paths: REDACT, censor: "[redacted]" },
    serializers: {
      req(request: { method: string; url: string; hostname?: string; ip?: string; socket?: { remoteAddress?: string } }) {
        return { method: request.method, url: redactUrl(request.url), host: request.hostname, remoteAddress: request.ip ?? request.socket?.remoteAddress };
      },
    },
    ...(stream === undefined ? {} : { stream }),
  };
}

/**
 * Fastify's trustProxy from TESSERA_TRUST_PROXY. A hop count becomes the
 * function Fastify itself would build (its types accept no number).
 */
export function trustProxyOption(value: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === "number" ? (_address, hop) => hop < value : value;
}
