/**
 * RFC 9068 access tokens: issued here with the ring's signing key, checked by
 * the verification library's pipeline over the key ring, so the server
 * applies exactly the rules every API behind it applies with `tessera/verify`
 * (docs/verify.md, "Threat model"): allowed algorithm that the key agrees
 * with, `typ: at+jwt`, issuer, audience, time window, and claims of the right
 * types. A bounded cache of verified tokens makes repeat requests with the
 * same token skip the signature check; entries die at `exp`.
 */
import { randomUUID, sign, type KeyObject } from "node:crypto";
import {
  createKeySourceVerifier, VerifyError, type AccessTokenClaims, type AudienceFilter, type KeySourceVerifier,
} from "@tessera/verify/key-source";
import type { SigningAlgorithm } from "../config.js";
import { invalidToken, type TesseraError } from "../errors.js";
import type { KeyRing } from "../keys/key-ring.js";
import { RingKeySource } from "./ring-key-source.js";

export type { AccessTokenClaims };

export interface AccessTokenOptions {
  keys: KeyRing;
  /** Read at every check: set after listen with PORT=0. */
  issuer: string;
  /** Read at every check, like `issuer`. */
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
  ttlSeconds: number;
  amr?: string[];
  /** Epoch seconds. */
  authTime?: number;
  /** The API the token is for (a registered RFC 8707 resource); default: Tessera's own audience. */
  aud?: string;
}

/**
 * Seconds a token may be dated ahead of this instance's clock (`iat`, `nbf`):
 * another instance issued it on a clock a little ahead, and `iat` is that
 * clock's second, so even a few milliseconds of skew put it in our future.
 */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Seconds past `exp` a token still passes: none, the server's own clocks set `exp`; dying a moment early costs a refresh. */
const EXPIRY_TOLERANCE_SECONDS = 0;

/** Every audience: revocation and introspection take the tokens Tessera issued for registered APIs too. */
const ANY_AUDIENCE: AudienceFilter = { has: () => true };

/** Signs a compact JWS with synchronous node:crypto (DESIGN.md, "Hot paths"); ES256 as raw r||s, as JWS wants it. */
export function signJws(header: { alg: SigningAlgorithm; [name: string]: unknown }, payload: object, key: KeyObject): string {
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  const data = Buffer.from(signingInput);
  const signature = header.alg === "ES256"
    ? sign("sha256", data, { key, dsaEncoding: "ieee-p1363" })
    : sign(header.alg === "RS256" ? "sha256" : null, data, key);
  return `${signingInput}.${signature.toString("base64url")}`;
}

/** A refusal of the pipeline as the core's invalid_token; the code and reason stay in the server log. */
function refusal(error: VerifyError): TesseraError {
  const detail = `${error.code}${error.claim === undefined ? "" : ` (${error.claim})`}${error.reason === undefined ? "" : `: ${error.reason}`}`;
  return error.code === "ERR_TOKEN_EXPIRED" ? invalidToken(detail, "The access token has expired.") : invalidToken(detail);
}

export class AccessTokens {
  readonly #options: AccessTokenOptions;
  /** Tessera's own routes: its own audience only, with the cache. */
  readonly #ownAudience: KeySourceVerifier;
  /** Revocation and introspection: rare, so uncached (a cache shared with the other would let an API's token pass as ours). */
  readonly #anyAudience: KeySourceVerifier;

  constructor(options: AccessTokenOptions) {
    this.#options = options;
    const keys = new RingKeySource(options.keys, () => this.#ownAudience.clearCache());
    const checker = (audiences: AudienceFilter, cacheSize: number): KeySourceVerifier => createKeySourceVerifier({
      get issuer() { return options.issuer; },
      audiences,
      keys,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      expiryTolerance: EXPIRY_TOLERANCE_SECONDS,
      cache: cacheSize > 0 ? { maxEntries: cacheSize } : false,
      clock: options.now,
    });
    this.#ownAudience = checker({ has: (aud) => aud === options.audience }, options.cacheSize ?? 10_000);
    this.#anyAudience = checker(ANY_AUDIENCE, 0);
  }

  issue(request: IssueRequest): { token: string; claims: AccessTokenClaims } {
    const iat = Math.floor(this.#options.now() / 1000);
    const claims: AccessTokenClaims = {
      iss: this.#options.issuer,
      sub: request.sub,
      aud: request.aud ?? this.#options.audience,
      exp: iat + request.ttlSeconds,
      iat,
      jti: randomUUID(),
      client_id: request.clientId,
      ...(request.sid === undefined ? {} : { sid: request.sid }),
      scope: request.scope,
      roles: request.roles,
      ...(request.amr === undefined ? {} : { amr: request.amr }),
      ...(request.authTime === undefined ? {} : { auth_time: request.authTime }),
    };
    const { kid, alg, key } = this.#options.keys.signingKey();
    return { token: signJws({ alg, kid, typ: "at+jwt" }, claims, key), claims };
  }

  /**
   * The one check every server path uses (`/userinfo` and every protected
   * route, `/oauth/introspect`, `/oauth/revoke`); throws invalid_token with
   * the reason kept server-side. Tessera's own routes accept only its own
   * audience; revocation and introspection (`anyAudience`) also take the
   * tokens it issued for APIs. A kid this instance does not know yet reloads
   * the ring once (ring-key-source.ts).
   */
  async verifyReloadingKeys(token: string, options: { anyAudience?: boolean } = {}): Promise<AccessTokenClaims> {
    try {
      return await (options.anyAudience ? this.#anyAudience : this.#ownAudience).run(token);
    } catch (error) {
      throw error instanceof VerifyError ? refusal(error) : error;
    }
  }
}
