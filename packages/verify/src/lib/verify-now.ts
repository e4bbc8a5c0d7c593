/**
 * An internal, symbol-keyed twin of `verify` that answers synchronously when
 * it can (a cache hit, or a loaded key on the Node path) and throws instead
 * of rejecting. Adapters use it so a cache hit costs no promise at all; the
 * public API stays `verify(): Promise`. A verifier from elsewhere (a test
 * double, another version) without it still works through `verify`.
 */
import type { AccessTokenClaims, Verifier } from "../types.js";

export type MaybePromise<T> = T | Promise<T>;

export const verifyNow: unique symbol = Symbol("tessera.verifyNow");

export interface VerifierInternals extends Verifier {
  [verifyNow]?: (token: string) => MaybePromise<AccessTokenClaims>;
}

export function verifyNowOf(verifier: Verifier): (token: string) => MaybePromise<AccessTokenClaims> {
  const fast = (verifier as VerifierInternals)[verifyNow];
  return fast ?? ((token) => verifier.verify(token));
}

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
