/**
 * Settings that are valid but dangerous in the wrong place: said once at
 * start, in the log, so an operator reads it where they look first
 * (docs/deploy.md, "Client addresses").
 */
import type { FastifyBaseLogger } from "fastify";
import type { Config } from "../core/config.js";

export const TRUST_PROXY_WARNING =
  "TESSERA_TRUST_PROXY=true believes every X-Forwarded-For entry: behind a proxy that appends to the header a client sends, "
  + "clients choose their own address (throttle buckets, session and audit records). "
  + "Set the number of proxy hops or the proxies' addresses instead (docs/deploy.md)";

export function warnAboutConfig(log: FastifyBaseLogger, config: Config): void {
  if (config.trustProxy === true) log.warn({ setting: "TESSERA_TRUST_PROXY" }, TRUST_PROXY_WARNING);
}
