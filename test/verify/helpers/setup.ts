/** Shared set-up: verifiers on local keys with a fixed clock, and error assertions. */
import assert from "node:assert/strict";
import { createVerifier, VerifyError, type Verifier, type VerifierOptions, type VerifyErrorCode } from "../../../packages/verify/src/index.js";
import type { TestKey } from "./tokens.js";

export const ISSUER = "http://issuer.test";
/** A fixed "now" so time checks are exact: 2030-01-01T00:00:00Z. */
export const NOW = Date.UTC(2030, 0, 1);
export const BACKENDS = ["node", "webcrypto"] as const;

export function localVerifier(keys: TestKey[], options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({ issuer: ISSUER, keys: keys.map((k) => k.jwk), revocation: false, clock: () => NOW, ...options });
}

export async function assertRefused(promise: Promise<unknown>, code: VerifyErrorCode, message?: string): Promise<VerifyError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof VerifyError, `expected a VerifyError, got ${String(error)}`);
    assert.equal(error.code, code, message);
    return error;
  }
  assert.fail(`expected ${code}, but the token was accepted${message ? ` (${message})` : ""}`);
}
