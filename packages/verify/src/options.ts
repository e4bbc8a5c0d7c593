/**
 * Defaults in one place, and validation when the verifier is built: a
 * mistake in the options is a TypeError at start-up, never a quiet fallback
 * and never a 401 storm later.
 */
import type { Algorithm, JwksOptions, RevocationOptions, VerifierOptions } from "./types.js";

export const DEFAULT_ALGORITHMS: readonly Algorithm[] = ["ES256", "RS256", "EdDSA"];

export const defaults = {
  clockTolerance: 30,
  cache: { maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 },
  jwks: { cooldown: 30, timeout: 5, defaultMaxAge: 300, minMaxAge: 30, maxMaxAge: 86_400 },
  revocation: { wait: 25, minBackoff: 0.5, maxBackoff: 30, startTimeout: 5 },
} as const;

export interface ResolvedOptions {
  issuer: string;
  audiences: ReadonlySet<string>;
  algorithms: ReadonlySet<string>;
  clockTolerance: number;
  cache: { maxEntries: number; maxBytes: number } | false;
  jwks: Required<JwksOptions>;
  revocation: (Required<Omit<RevocationOptions, "endpoint">> & { endpoint: string | undefined }) | false;
  allowInsecureHttp: boolean;
}

function fail(name: string, expected: string): never {
  throw new TypeError(`createVerifier: ${name} must be ${expected}`);
}

function url(name: string, value: unknown): string {
  let protocol = "";
  try {
    protocol = new URL(String(value)).protocol;
  } catch {
    // not a URL at all: refused below
  }
  if (typeof value !== "string" || (protocol !== "http:" && protocol !== "https:")) fail(name, "an absolute http(s) URL");
  return value;
}

/** Plain http is safe only where no network sits between: the loopback interface. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * A URL the verifier fetches keys or revocations from must be https: over
 * plain http anyone on the path can swap the JWKS for their own keys and mint
 * tokens this verifier accepts. Loopback http stays allowed (development, a
 * sidecar); anything else needs `allowInsecureHttp: true`.
 */
function fetchedFrom(name: string, value: string, allowInsecureHttp: boolean): void {
  const parsed = new URL(value);
  if (parsed.protocol === "http:" && !allowInsecureHttp && !isLoopbackHost(parsed.hostname)) {
    fail(name, `an https URL (plain http only on loopback: localhost, 127.0.0.1, [::1]), since keys fetched over http can be swapped by anyone on the path; got ${parsed.origin}. Set allowInsecureHttp: true only on a network you trust end to end`);
  }
}

function seconds(name: string, value: unknown, fallback: number, max = Number.POSITIVE_INFINITY): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max) fail(name, `a number of seconds in [0, ${max}]`);
  return value;
}

function count(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) fail(name, "a positive integer");
  return value;
}

function algorithms(value: unknown): ReadonlySet<string> {
  if (value === undefined) return new Set(DEFAULT_ALGORITHMS);
  if (!Array.isArray(value) || value.length === 0 || !value.every((a) => DEFAULT_ALGORITHMS.includes(a as Algorithm))) {
    fail("algorithms", `a non-empty list of ${DEFAULT_ALGORITHMS.join(", ")} (HS* and none are never accepted)`);
  }
  return new Set(value as string[]);
}

function audiences(value: unknown, issuer: string): ReadonlySet<string> {
  if (value === undefined) return new Set([issuer]);
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === "string" && a.length > 0)) {
    fail("audience", "a non-empty string or list of strings");
  }
  return new Set(list as string[]);
}

function revocation(value: VerifierOptions["revocation"]): ResolvedOptions["revocation"] {
  if (value === false) return false;
  const o = value === undefined || value === true ? {} : value;
  const d = defaults.revocation;
  return {
    endpoint: o.endpoint === undefined ? undefined : url("revocation.endpoint", o.endpoint),
    wait: seconds("revocation.wait", o.wait, d.wait, 30),
    minBackoff: seconds("revocation.minBackoff", o.minBackoff, d.minBackoff),
    maxBackoff: seconds("revocation.maxBackoff", o.maxBackoff, d.maxBackoff),
    startTimeout: seconds("revocation.startTimeout", o.startTimeout, d.startTimeout),
  };
}

export function resolveOptions(options: VerifierOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) fail("options", "an object");
  const issuer = url("issuer", options.issuer);
  const j = options.jwks ?? {};
  const d = defaults.jwks;
  if (options.jwksUri !== undefined) url("jwksUri", options.jwksUri);
  if (options.keys !== undefined && options.jwksUri !== undefined) fail("keys", "left out when jwksUri is given");
  if (options.keys !== undefined && !Array.isArray(options.keys) && !Array.isArray(options.keys?.keys)) fail("keys", "a list of JWKs or a JWKS {keys: [...]}");
  if (options.clock !== undefined && typeof options.clock !== "function") fail("clock", "a function returning ms");
  if (options.fetch !== undefined && typeof options.fetch !== "function") fail("fetch", "a function");
  if (options.cache !== undefined && options.cache !== false && typeof options.cache !== "object") fail("cache", "false or an object");
  if (options.allowInsecureHttp !== undefined && typeof options.allowInsecureHttp !== "boolean") fail("allowInsecureHttp", "true or false");
  const allowInsecureHttp = options.allowInsecureHttp === true;
  const feed = revocation(options.revocation);
  // Every URL this verifier will fetch: the issuer's (discovery, the default feed), jwksUri, the feed's endpoint.
  const discovers = options.keys === undefined && options.jwksUri === undefined;
  if (discovers || (feed !== false && feed.endpoint === undefined)) fetchedFrom("issuer", issuer, allowInsecureHttp);
  if (options.jwksUri !== undefined) fetchedFrom("jwksUri", options.jwksUri, allowInsecureHttp);
  if (feed !== false && feed.endpoint !== undefined) fetchedFrom("revocation.endpoint", feed.endpoint, allowInsecureHttp);
  return {
    issuer,
    audiences: audiences(options.audience, issuer),
    algorithms: algorithms(options.algorithms),
    clockTolerance: seconds("clockTolerance", options.clockTolerance, defaults.clockTolerance, 300),
    cache: options.cache === false ? false : {
      maxEntries: count("cache.maxEntries", options.cache?.maxEntries, defaults.cache.maxEntries),
      maxBytes: count("cache.maxBytes", options.cache?.maxBytes, defaults.cache.maxBytes),
    },
    jwks: {
      cooldown: seconds("jwks.cooldown", j.cooldown, d.cooldown),
      timeout: seconds("jwks.timeout", j.timeout, d.timeout),
      defaultMaxAge: seconds("jwks.defaultMaxAge", j.defaultMaxAge, d.defaultMaxAge),
      minMaxAge: seconds("jwks.minMaxAge", j.minMaxAge, d.minMaxAge),
      maxMaxAge: seconds("jwks.maxMaxAge", j.maxMaxAge, d.maxMaxAge),
    },
    revocation: feed,
    allowInsecureHttp,
  };
}
