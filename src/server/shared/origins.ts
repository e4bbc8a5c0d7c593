/**
 * The browser origins Tessera trusts: its issuer's and TESSERA_ALLOWED_ORIGINS.
 * Used by the CSRF check of cookie sessions and by CORS.
 */
import type { FastifyRequest } from "fastify";
import type { Config } from "../../core/config.js";

/** The trusted origins, read live: with PORT=0 the issuer and port are known only after listen. */
export interface TrustedOrigins {
  has(origin: string): boolean;
}

export function allowedOrigins(config: Config): TrustedOrigins {
  let seen = "";
  let origins = new Set<string>();
  return {
    has(origin) {
      const key = `${config.issuer} ${config.port}`;
      if (key !== seen) { seen = key; origins = originsOf(config); }
      return origins.has(origin);
    },
  };
}

function originsOf(config: Config): Set<string> {
  const origins = new Set([new URL(config.issuer).origin, ...config.allowedOrigins]);
  // On a loopback listener the page is opened as localhost or 127.0.0.1
  // interchangeably (the server prints the latter); both are this server.
  if (["127.0.0.1", "localhost", "::1"].includes(config.host) && config.port !== 0) {
    for (const host of ["localhost", "127.0.0.1", "[::1]"]) origins.add(`http://${host}:${config.port}`);
  }
  return origins;
}

/** The origin a request says it comes from: `Origin`, or failing that the `Referer`'s origin. */
export function requestOrigin(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  if (typeof origin === "string" && origin !== "null") return origin;
  const referer = request.headers.referer;
  if (typeof referer !== "string") return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}
