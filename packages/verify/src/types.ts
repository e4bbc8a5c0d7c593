/**
 * Public types of `tessera/verify`: the claims a verified access token yields
 * (RFC 9068 plus Tessera's `sid` and `roles`), the options, and the verifier.
 *
 * @module tessera/verify
 */
import type { JWK } from "jose";
import type { AccessTokenClaims } from "./claims.js";

export type { AccessTokenClaims } from "./claims.js";

/**
 * The signature algorithms a Tessera server can sign with. HS* and `none` are never accepted.
 *
 * @example
 * ```ts
 * const algorithms: Algorithm[] = ["ES256"]; // accept only what your issuer signs with
 * ```
 */
export type Algorithm = "ES256" | "RS256" | "EdDSA";

/**
 * A JSON Web Key Set document, as served at `jwks_uri`.
 *
 * @example
 * ```ts
 * const jwks: JsonWebKeySet = await (await fetch("http://localhost:3000/.well-known/jwks.json")).json();
 * const verifier = createVerifier({ issuer: "http://localhost:3000", keys: jwks });
 * ```
 */
export interface JsonWebKeySet {
  keys: readonly JWK[];
}

/**
 * Options of the verified-token cache.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, cache: { maxEntries: 50_000, maxBytes: 64 * 1024 * 1024 } });
 * ```
 */
export interface TokenCacheOptions {
  /** Most tokens kept. Default 10,000. */
  maxEntries?: number;
  /** Most bytes kept, estimated from token length. Default 16 MiB. */
  maxBytes?: number;
}

/**
 * Options of the remote JWKS. All durations in seconds.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, jwks: { cooldown: 10, timeout: 2 } });
 * ```
 */
export interface JwksOptions {
  /** Least time between two fetches caused by unknown kids or failures. Default 30. */
  cooldown?: number;
  /** Give up on one fetch after this long. Default 5. */
  timeout?: number;
  /** Cache lifetime when the response has no usable `Cache-Control`. Default 300. */
  defaultMaxAge?: number;
  /** `Cache-Control: max-age` is clamped into [minMaxAge, maxMaxAge]. Defaults 30 and 86,400. */
  minMaxAge?: number;
  maxMaxAge?: number;
}

/**
 * Options of the revocation-feed follower. All durations in seconds.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, revocation: { wait: 20, maxBackoff: 10 } });
 * ```
 */
export interface RevocationOptions {
  /** Feed URL. Default: the metadata's `revocation_feed_endpoint`, else `{issuer}/oauth/revocations`. */
  endpoint?: string;
  /** Long-poll hold the server is asked for (0–30). Default 25. */
  wait?: number;
  /** First retry delay after a failure, doubled up to maxBackoff. Default 0.5. */
  minBackoff?: number;
  /** Default 30. */
  maxBackoff?: number;
  /** How long the first `verify` waits for the initial snapshot before going on without it. Default 5. */
  startTimeout?: number;
}

/**
 * The smallest response shape used, so `fetch` and the Node transport both fit.
 *
 * @example
 * ```ts
 * const response: HttpResponseLike = await fetch(url);
 * ```
 */
export interface HttpResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

/**
 * An injectable HTTP GET; `globalThis.fetch` fits. `background` marks a
 * request nobody awaits (the feed's long poll): the default Node transport
 * unrefs its socket so it never holds a process open.
 *
 * @example
 * ```ts
 * const logged: FetchLike = (url, init) => { console.log("GET", url); return fetch(url, init); };
 * createVerifier({ issuer, fetch: logged });
 * ```
 */
export type FetchLike = (
  url: string, init: { signal: AbortSignal; headers: Record<string, string>; background?: boolean },
) => Promise<HttpResponseLike>;

/**
 * Options of {@link createVerifier}. Only `issuer` is required.
 *
 * @example
 * ```ts
 * const options: VerifierOptions = { issuer: "https://auth.example.com", audience: "orders-api" };
 * ```
 */
export interface VerifierOptions {
  /** The issuer URL, exactly as in the `iss` claim (e.g. "http://localhost:3000"). */
  issuer: string;
  /** Accepted audiences; the token's `aud` must contain one. Default: the issuer (Tessera's default audience). */
  audience?: string | readonly string[];
  /** Accepted algorithms. Default ["ES256", "RS256", "EdDSA"]. HS* and none are refused whatever this says. */
  algorithms?: readonly Algorithm[];
  /** Allowed clock skew for exp/nbf/iat, seconds. Default 30. */
  clockTolerance?: number;
  /** Local public keys: no key fetching at all. */
  keys?: readonly JWK[] | JsonWebKeySet;
  /** JWKS URL; skips discovery. Default: the metadata's `jwks_uri`. */
  jwksUri?: string;
  jwks?: JwksOptions;
  /** Verified-token cache; `false` turns it off. On by default. */
  cache?: false | TokenCacheOptions;
  /** Follow the issuer's revocation feed; `false` turns it off. On by default. */
  revocation?: boolean | RevocationOptions;
  /** HTTP client for discovery, JWKS and the feed. Default: Node's http module with unref'd sockets, else `fetch`. */
  fetch?: FetchLike;
  /**
   * Accept plain `http:` URLs off loopback for the issuer, `jwksUri` and the
   * feed (and in the issuer's metadata). Default false: such a URL is a
   * TypeError, since anyone on the path could swap the keys. `http://localhost`,
   * `127.0.0.1` and `[::1]` are always allowed.
   */
  allowInsecureHttp?: boolean;
  /** Current time in milliseconds. Default `Date.now`. */
  clock?: () => number;
  /** Signature path: "node" (sync node:crypto), "webcrypto" (jose), or "auto" (node when available). Default "auto". */
  crypto?: "auto" | "node" | "webcrypto";
  /** Background failures (JWKS refresh, feed) that do not fail a request, each one (the logger sees them too). */
  onError?: (error: Error) => void;
  /**
   * Where background failures and the adapters' refusal reasons are logged,
   * each distinct cause once. Default `console`; `false` silences.
   */
  logger?: VerifierLogger | false;
}

/**
 * What the verifier logs to (`console` satisfies it, as do pino and winston loggers).
 *
 * @example
 * ```ts
 * const logger: VerifierLogger = { warn: (message) => log.warn(message) };
 * const verifier = createVerifier({ issuer: "http://localhost:3000", logger });
 * ```
 */
export interface VerifierLogger {
  warn(message: string): void;
}

/**
 * What {@link createVerifier} returns.
 *
 * @example
 * ```ts
 * const verifier: Verifier = createVerifier({ issuer: "http://localhost:3000" });
 * await verifier.ready();   // optional warm-up: keys and revocation snapshot
 * ```
 */
export interface Verifier {
  /** Resolves with the frozen claims, or rejects with a {@link VerifyError}. Never anything else. */
  verify(token: string): Promise<AccessTokenClaims>;
  /** Loads keys and the first revocation snapshot; rejects with ERR_JWKS_UNAVAILABLE if no key can be had. */
  ready(): Promise<void>;
  /** Counters for health checks and tests. */
  status(): VerifierStatus;
  /** Stops the feed follower and drops cached tokens. Idempotent. */
  close(): void;
  readonly issuer: string;
}

/**
 * A snapshot of a verifier's state.
 *
 * @example
 * ```ts
 * app.get("/readyz", (_req, res) => {
 *   const s: VerifierStatus = verifier.status();
 *   res.status(s.keys > 0 ? 200 : 503).json(s);
 * });
 * ```
 */
export interface VerifierStatus {
  /** The signature path in use: "node" is the fast synchronous one. */
  crypto: "node" | "webcrypto";
  keys: number;
  /** ms epoch of the last successful key load, or null. */
  keysLoadedAt: number | null;
  cachedTokens: number;
  cachedBytes: number;
  revokedSessions: number;
  /** ms epoch of the last successful feed response, or null (also when the feed is off). */
  revocationSyncedAt: number | null;
}
