/**
 * The part every adapter shares: Authorization header in, claims or a ready
 * RFC 6750 refusal out. Adapters only translate this to their framework.
 */
import { VerifyError } from "../errors.js";
import type { AccessTokenClaims, Verifier } from "../types.js";
import { bearerToken, checkRealm, refusal, type Refusal } from "./bearer.js";
import { describeRefusal, logOnceOf } from "./log-once.js";
import { isPromise, verifyNowOf, type MaybePromise } from "./verify-now.js";

/**
 * Options every adapter takes.
 *
 * @example
 * ```ts
 * const options: AuthOptions = { realm: "orders", optional: false, onRefused: (err) => log.info(err?.code) };
 * ```
 */
export interface AuthOptions {
  /** `realm` of the WWW-Authenticate challenge. Default "tessera". */
  realm?: string;
  /** Let requests without credentials through with no `auth` (a bad token is still refused). Default false. */
  optional?: boolean;
  /** Called with each refusal's error (null: no credentials) before answering: for logs and metrics. */
  onRefused?: (error: VerifyError | null) => void;
}

export type AuthResult = { ok: true; claims: AccessTokenClaims | undefined } | { ok: false; refusal: Refusal };

export interface Authenticator {
  readonly realm: string;
  /**
   * Synchronous when it can be (no credentials, a cache hit): adapters then
   * answer without a promise. Throws (or rejects) only for errors that are
   * not a VerifyError, which are bugs for the framework's error handling.
   */
  authenticate(authorization: string | string[] | null | undefined): MaybePromise<AuthResult>;
}

export function makeAuthenticator(verifier: Verifier, options: AuthOptions = {}): Authenticator {
  if (typeof verifier?.verify !== "function") throw new TypeError("the adapter needs a verifier from createVerifier()");
  const verify = verifyNowOf(verifier);
  const realm = checkRealm(options.realm);
  const optional = options.optional === true;
  const logging = logOnceOf(verifier);
  const refuse = (error: VerifyError | null): AuthResult => {
    options.onRefused?.(error);
    // No credentials is ordinary traffic; every other refusal says why, once per cause.
    if (error && logging) logging.log(describeRefusal(error, logging.audiences));
    return { ok: false, refusal: refusal(realm, error) };
  };
  const accept = (claims: AccessTokenClaims): AuthResult => ({ ok: true, claims });
  const refuseOrRethrow = (error: unknown): AuthResult => {
    if (error instanceof VerifyError) return refuse(error);
    throw error;
  };
  return {
    realm,
    authenticate(authorization) {
      const token = bearerToken(authorization);
      if (token === null) return optional ? { ok: true, claims: undefined } : refuse(null);
      if (token instanceof VerifyError) return refuse(token);
      let claims: MaybePromise<AccessTokenClaims>;
      try {
        claims = verify(token);
      } catch (error) {
        return refuseOrRethrow(error);
      }
      return isPromise(claims) ? claims.then(accept, refuseOrRethrow) : accept(claims);
    },
  };
}
