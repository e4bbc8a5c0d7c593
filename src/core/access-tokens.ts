/**
 * RFC 9068 access tokens: issued with the ring's signing key, verified with
 * exactly the checks DESIGN.md names (configured algorithm, `typ: at+jwt`,
 * issuer, audience, expiry). A bounded cache of verified tokens makes repeat
 * requests with the same token skip the signature check; entries die at `exp`.
 */
import { randomUUID } from "node:crypto";
import { invalidToken } from "./errors.js";
import { decodeJws, signJws } from "./jws.js";
import { verifyJwsSignature } from "./jws.js";
import type { KeyRing } from "./key-ring.js";

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  /** Absent on client_credentials tokens (no session). */
  sid?: string;
  scope: string;
  roles: string[];
  /** How the user signed in (RFC 8176), when the sign-in said. */
  amr?: string[];
}

export interface AccessTokenOptions {
  keys: KeyRing;
  issuer: string;
  audience: string;
  now: () => number;
  /** Verified tokens remembered (0 turns the cache off). */
  cacheSize?: number;
}

export interface IssueRequest {
  sub: string;
  clientId: string;
  sid?: string;
  scope: string;
  roles: string[];
  /** Seconds. */
  ttl: number;
  amr?: string[];
}

const ALLOWED_CLOCK_SKEW = 0; // issuer and verifier share this clock

export class AccessTokens {
  readonly #options: AccessTokenOptions;
  /** Verified tokens with the kid that signed them: a revoked key must stop its cached tokens too. */
  readonly #cache = new Map<string, { claims: AccessTokenClaims; kid: string }>();
  readonly #cacheSize: number;

  constructor(options: AccessTokenOptions) {
    this.#options = options;
    this.#cacheSize = options.cacheSize ?? 10_000;
  }

  issue(request: IssueRequest): { token: string; claims: AccessTokenClaims } {
    const iat = Math.floor(this.#options.now() / 1000);
    const claims: AccessTokenClaims = {
      iss: this.#options.issuer,
      sub: request.sub,
      aud: this.#options.audience,
      exp: iat + request.ttl,
      iat,
      jti: randomUUID(),
      client_id: request.clientId,
      ...(request.sid === undefined ? {} : { sid: request.sid }),
      scope: request.scope,
      roles: request.roles,
      ...(request.amr === undefined ? {} : { amr: request.amr }),
    };
    const { kid, alg, key } = this.#options.keys.signingKey();
    return { token: signJws({ alg, kid, typ: "at+jwt" }, claims, key), claims };
  }

  /** Verifies signature and claims; throws invalid_token with the reason kept server-side. */
  verify(token: string): AccessTokenClaims {
    const nowSeconds = this.#options.now() / 1000;
    const cached = this.#cache.get(token);
    if (cached) {
      if (cached.claims.exp > nowSeconds - ALLOWED_CLOCK_SKEW && this.#options.keys.verificationKey(cached.kid)) return cached.claims;
      this.#cache.delete(token);
    }
    const { claims, kid } = this.#verifyUncached(token, nowSeconds);
    if (this.#cacheSize > 0) {
      // Map keeps insertion order: dropping the oldest entry is FIFO eviction, enough here.
      if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value as string);
      this.#cache.set(token, { claims, kid });
    }
    return claims;
  }

  /**
   * The one check every server path uses (`/userinfo` and every protected
   * route, `/oauth/introspect`, `/oauth/revoke`): verify, and when the token
   * names a kid this instance does not know yet (another instance created it a
   * moment ago), reload the ring once and retry. The ring rate-limits those
   * reloads, so forged kids cannot turn requests into store reads.
   */
  async verifyReloadingKeys(token: string): Promise<AccessTokenClaims> {
    try {
      return this.verify(token);
    } catch (error) {
      const kid = decodeJws(token)?.header.kid;
      if (typeof kid === "string" && (await this.#options.keys.reloadForUnknownKid(kid))) return this.verify(token);
      throw error;
    }
  }

  #verifyUncached(token: string, nowSeconds: number): { claims: AccessTokenClaims; kid: string } {
    const jws = decodeJws(token);
    if (!jws) throw invalidToken("not a compact JWS");
    const { header, payload } = jws;
    if (header.typ !== "at+jwt" && header.typ !== "application/at+jwt") throw invalidToken(`typ ${JSON.stringify(header.typ)?.slice(0, 40)}`); // String() of {"toString":null} throws
    if (header.crit !== undefined) throw invalidToken("crit header present");
    if (typeof header.kid !== "string") throw invalidToken("no kid");
    const key = this.#options.keys.verificationKey(header.kid);
    if (!key) throw invalidToken("unknown or revoked kid");
    // The key decides the algorithm; the header must agree. This is what stops
    // `none` and HS256-with-the-public-key (algorithm confusion).
    if (header.alg !== key.alg) throw invalidToken(`alg ${header.alg} does not match the key`);
    if (!verifyJwsSignature(jws, key.alg, key.key)) throw invalidToken("bad signature");
    const c = payload;
    if (c.iss !== this.#options.issuer) throw invalidToken("wrong iss");
    if (c.aud !== this.#options.audience && !(Array.isArray(c.aud) && c.aud.includes(this.#options.audience))) throw invalidToken("wrong aud");
    if (typeof c.exp !== "number" || c.exp <= nowSeconds - ALLOWED_CLOCK_SKEW) throw invalidToken("expired", "The access token has expired.");
    if (typeof c.nbf === "number" && c.nbf > nowSeconds + ALLOWED_CLOCK_SKEW) throw invalidToken("not yet valid");
    if (typeof c.iat !== "number" || typeof c.sub !== "string" || typeof c.client_id !== "string") throw invalidToken("missing claims");
    if (c.sid !== undefined && typeof c.sid !== "string") throw invalidToken("bad sid");
    const claims: AccessTokenClaims = {
      iss: c.iss, sub: c.sub, aud: this.#options.audience, exp: c.exp, iat: c.iat,
      jti: typeof c.jti === "string" ? c.jti : "",
      client_id: c.client_id,
      ...(typeof c.sid === "string" ? { sid: c.sid } : {}),
      scope: typeof c.scope === "string" ? c.scope : "",
      roles: Array.isArray(c.roles) ? c.roles.filter((r): r is string => typeof r === "string") : [],
      ...(Array.isArray(c.amr) ? { amr: c.amr.filter((r): r is string => typeof r === "string") } : {}),
    };
    return { claims, kid: header.kid };
  }
}
