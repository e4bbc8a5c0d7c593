/**
 * RFC 9470 step-up on Tessera's own sensitive routes: the sign-in behind the
 * request must be recent (and, where asked, have used certain methods), or
 * the answer is 401 `insufficient_user_authentication` with `max_age` (and
 * `acr_values`) in the challenge, so a client signs in again and retries.
 * A stolen access token then cannot remove the factors it would need to get
 * past, nor mint new recovery codes, once its sign-in is old.
 */
import { TesseraError } from "../errors.js";

export interface SignInFacts {
  amr: string[];
  /** Epoch seconds. */
  authTime: number;
}

/** Throws unless the sign-in happened within `maxAgeSeconds` of `nowMs`. */
export function assertRecentSignIn(facts: SignInFacts, maxAgeSeconds: number, nowMs: number): void {
  if (maxAgeSeconds <= 0) return;
  const age = Math.floor(nowMs / 1000) - facts.authTime;
  if (age > maxAgeSeconds) {
    throw new TesseraError("insufficient_user_authentication", `This needs a sign-in within the last ${maxAgeSeconds} seconds; sign in again.`, {
      detail: `sign-in ${age} s old`, challenge: { maxAge: maxAgeSeconds },
    });
  }
}
