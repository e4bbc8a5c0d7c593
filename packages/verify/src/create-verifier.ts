/**
 * `createVerifier`, the entry point of `tessera/verify`.
 *
 * @module tessera/verify
 */
import { buildVerifier } from "./lib/build-verifier.js";
import { builtinNodeModules } from "./lib/platform.js";
import type { Verifier, VerifierOptions } from "./types.js";

/**
 * Builds a verifier for one issuer's access tokens. With only `issuer`, it
 * discovers the JWKS from the issuer's metadata, caches verified tokens, and
 * follows the issuer's revocation feed. Nothing is fetched until the first
 * `verify` (or `ready()`).
 *
 * Throws a `TypeError` for bad options; `verify` rejects only with
 * {@link VerifyError}.
 *
 * Ships from `tessera/verify`.
 *
 * @example
 * ```ts
 * import { createVerifier } from "tessera/verify";
 *
 * const verifier = createVerifier({ issuer: "http://localhost:3000", audience: "my-api" });
 * const claims = await verifier.verify(token);   // { sub, scope, roles, sid, ... }
 * process.on("SIGTERM", () => verifier.close());
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  return buildVerifier(options, builtinNodeModules());
}
