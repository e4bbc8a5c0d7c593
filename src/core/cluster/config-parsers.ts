/**
 * Parsers for the cluster settings in config.ts (PostgreSQL pool and schema,
 * Redis, the load balancer in front). Each throws an Error whose message
 * finishes the sentence "<VARIABLE>=<value>: ...", as every setting does.
 */

/** Fastify's `trustProxy`: false, true, a hop count, or the proxies' addresses / CIDR ranges. */
export type TrustProxy = boolean | number | string[];

const ADDRESS = /^[0-9A-Fa-f.:]+(\/\d{1,3})?$/;

export function parseTrustProxy(raw: string): TrustProxy {
  const value = raw.trim();
  if (value === "" || value === "false") return false;
  // `true` believes any X-Forwarded-For, so it is only right when nothing but the
  // load balancer can reach the port; a hop count or the proxies' addresses is safer.
  if (value === "true") return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops < 1 || hops > 10) throw new Error("a hop count must be between 1 and 10");
    return hops;
  }
  const list = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const entry of list) if (!ADDRESS.test(entry)) throw new Error(`"${entry}" is not an IP address or CIDR range (or use true, false, a hop count)`);
  return list;
}

export function parseRedisUrl(raw: string): string {
  if (raw === "") return "";
  if (!/^rediss?:\/\/[^\s]+$/.test(raw)) throw new Error("must be a redis:// or rediss:// URL, or empty");
  return raw;
}

/** A schema name we can splice into `search_path` and `CREATE SCHEMA` safely. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function parseSchemaName(raw: string): string {
  if (raw !== "" && !SCHEMA_NAME.test(raw)) throw new Error("must be empty or a lower-case SQL identifier (a-z, 0-9, _; at most 63)");
  return raw;
}
