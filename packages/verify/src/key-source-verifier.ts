/**
 * The verification pipeline over keys the caller already holds, for a
 * process that has the issuer's keys in hand instead of a JWKS URL: the
 * Tessera server checks its own tokens with it, so that the server and every
 * API behind it apply one set of rules (docs/verify.md, "Threat model").
 *
 * Not exported from `tessera/verify`'s entry (API developers want
 * `createVerifier`); the server imports this module directly. Node only: the
 * keys a source hands out are `node:crypto` KeyObjects, checked synchronously.
 *
 * @module tessera/verify
 */
import * as crypto from "node:crypto";
import type { AudienceFilter, ClaimsPolicy } from "./lib/check-claims.js";
import { createNodeBackend } from "./lib/crypto-node.js";
import type { KeySource } from "./lib/key-source.js";
import { createPipeline, type Pipeline } from "./lib/pipeline.js";
import { RevokedSessions } from "./lib/revoked-sessions.js";
import { TokenCache } from "./lib/token-cache.js";
import { DEFAULT_ALGORITHMS, defaults } from "./options.js";
import type { Algorithm, TokenCacheOptions } from "./types.js";

export type { AccessTokenClaims } from "./claims.js";
export { VerifyError } from "./errors.js";
export type { AudienceFilter } from "./lib/check-claims.js";
export type { KeyEntry } from "./lib/key-set.js";
export type { KeySource } from "./lib/key-source.js";

/**
 * Options of {@link createKeySourceVerifier}. `issuer` is read at every
 * check, so a getter may follow a setting that changes after start.
 *
 * @example
 * ```ts
 * const options: KeySourceVerifierOptions = { issuer: "http://localhost:3000", audiences: new Set(["http://localhost:3000"]), keys };
 * ```
 */
export interface KeySourceVerifierOptions {
  issuer: string;
  /** Accepted audiences: a Set, or any `has(audience)`. */
  audiences: AudienceFilter;
  /** Where keys come from; its entries' `key` must be node:crypto public KeyObjects. */
  keys: KeySource;
  /** Default ["ES256", "RS256", "EdDSA"]; a key's own algorithm must also match the token's. */
  algorithms?: readonly Algorithm[];
  /** Seconds of skew allowed on `nbf` and `iat`, and on `exp` unless `expiryTolerance` is given. Default 30. */
  clockTolerance?: number;
  /** Seconds past `exp` a token still passes. Default `clockTolerance`. */
  expiryTolerance?: number;
  /** Verified-token cache; `false` turns it off. On by default (10,000 tokens, 16 MiB). */
  cache?: false | TokenCacheOptions;
  /** Current time in milliseconds. Default `Date.now`. */
  clock?: () => number;
}

/**
 * What {@link createKeySourceVerifier} returns: `run` answers synchronously
 * when it can (a cache hit, a key at hand) and throws a `VerifyError`;
 * `verify` is the same as a promise.
 *
 * @example
 * ```ts
 * const claims = await verifier.run(token);
 * ```
 */
export interface KeySourceVerifier extends Pipeline {
  /** Drops every cached token; call it when the key source withdraws a key. */
  clearCache(): void;
}

/**
 * Builds the pipeline `createVerifier` uses, over a key source of the
 * caller's instead of a remote JWKS, with no revocation feed (the caller
 * checks sessions itself).
 *
 * @example
 * ```ts
 * // inside this repository (the module is no package subpath): the server's core does this
 * import { createKeySourceVerifier } from "../verify/key-source-verifier.js";
 * const verifier = createKeySourceVerifier({ issuer, audiences: new Set([issuer]), keys: myKeySource });
 * const claims = await verifier.run(token); // or throws VerifyError
 * ```
 */
export function createKeySourceVerifier(options: KeySourceVerifierOptions): KeySourceVerifier {
  const cacheOptions = options.cache;
  const cache = cacheOptions === false ? undefined
    : new TokenCache(cacheOptions?.maxEntries ?? defaults.cache.maxEntries, cacheOptions?.maxBytes ?? defaults.cache.maxBytes);
  const clockTolerance = options.clockTolerance ?? defaults.clockTolerance;
  const policy: ClaimsPolicy = {
    get issuer() { return options.issuer; },
    audiences: options.audiences,
    clockTolerance,
    expiryTolerance: options.expiryTolerance ?? clockTolerance,
  };
  const pipeline = createPipeline({
    algorithms: new Set(options.algorithms ?? DEFAULT_ALGORITHMS),
    backend: createNodeBackend(crypto),
    keys: options.keys,
    sessions: new RevokedSessions(clockTolerance),
    cache,
    clock: options.clock ?? Date.now,
    policy,
  });
  return { ...pipeline, clearCache: () => cache?.clear() };
}
