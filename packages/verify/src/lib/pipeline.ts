/**
 * The verification pipeline, as a checklist: cache hit → session check; else
 * parse header → key → signature → claims → session → cache.
 *
 * It stays synchronous whenever it can (key already loaded, Node backend) and
 * creates exactly one promise per call: on Node, every await on the hot path
 * was a measurable share of a signature check.
 */
import { VerifyError } from "../errors.js";
import type { AccessTokenClaims } from "../types.js";
import { checkClaims, type ClaimsPolicy } from "./check-claims.js";
import type { CryptoBackend } from "./crypto-backend.js";
import type { KeySource } from "./key-source.js";
import type { KeyEntry } from "./key-set.js";
import { createTokenParser, decodeJson, type ParsedToken } from "./parse-token.js";
import type { RevokedSessions } from "./revoked-sessions.js";
import type { TokenCache } from "./token-cache.js";
import type { MaybePromise } from "./verify-now.js";

export interface PipelineDeps {
  algorithms: ReadonlySet<string>;
  backend: CryptoBackend;
  keys: KeySource;
  sessions: RevokedSessions;
  cache: TokenCache | undefined;
  clock: () => number;
  policy: ClaimsPolicy;
}

export interface Pipeline {
  /** Claims, or a promise of them when a key must be fetched or the backend is async. Throws VerifyError. */
  run(token: string): MaybePromise<AccessTokenClaims>;
  /** The same, always as a promise. */
  verify(token: string): Promise<AccessTokenClaims>;
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { algorithms, backend, keys, sessions, cache, clock, policy } = deps;
  const parseToken = createTokenParser(algorithms, backend);

  function refuseRevokedSession(claims: AccessTokenClaims, now: number): void {
    if (claims.sid !== undefined && sessions.has(claims.sid, now)) throw new VerifyError("ERR_TOKEN_REVOKED", { claim: "sid" });
  }

  function checkAfterSignature(valid: boolean, token: string, parsed: ParsedToken, key: KeyEntry): AccessTokenClaims {
    if (!valid) throw new VerifyError("ERR_SIGNATURE_INVALID");
    const now = clock();
    const claims = checkClaims(decodeJson(backend, parsed.payloadSegment, "payload"), policy, Math.floor(now / 1000));
    refuseRevokedSession(claims, now);
    // On the async path a JWKS refresh may have withdrawn the key meanwhile
    // (and emptied the cache): such a token must not be cached after the fact.
    if (cache !== undefined && keys.peek(parsed.kid) === key) cache.set(token, claims, now);
    return claims;
  }

  function checkSignature(token: string, parsed: ParsedToken, key: KeyEntry): MaybePromise<AccessTokenClaims> {
    // The key decides the algorithm; the header only has to agree with it.
    if (key.alg !== parsed.alg) throw new VerifyError("ERR_KEY_MISMATCH", { claim: "alg" });
    const valid = backend.verify(parsed.alg, key.key, token, parsed.signingInput, parsed.signature);
    return typeof valid === "boolean"
      ? checkAfterSignature(valid, token, parsed, key)
      : valid.then((v) => checkAfterSignature(v, token, parsed, key));
  }

  function cachedClaims(token: string): AccessTokenClaims | undefined {
    if (cache === undefined || typeof token !== "string") return undefined;
    const now = clock();
    // Before the lookup: a key source that knows at once that a key was
    // withdrawn (the server's key ring) empties the cache before this hit.
    keys.touch();
    const hit = cache.get(token, now);
    if (hit === undefined) return undefined;
    refuseRevokedSession(hit, now);
    return hit;
  }

  function run(token: string): MaybePromise<AccessTokenClaims> {
    const hit = cachedClaims(token);
    if (hit !== undefined) return hit;
    const parsed = parseToken(token);
    const key = keys.peek(parsed.kid);
    return key !== undefined ? checkSignature(token, parsed, key) : keys.get(parsed.kid).then((k) => checkSignature(token, parsed, k));
  }

  return {
    run,
    verify(token) {
      try {
        return Promise.resolve(run(token));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}
