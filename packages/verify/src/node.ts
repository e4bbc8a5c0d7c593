/**
 * The Node entry of `tessera/verify`: the same API, with node:crypto and
 * node:http imported statically. Use it on Node 20.11–20.15, which lack
 * `process.getBuiltinModule` (the universal entry would fall back to
 * WebCrypto there); on newer Node both entries behave the same.
 *
 * @example
 * ```ts
 * import { createVerifier } from "tessera/verify/node";
 * const verifier = createVerifier({ issuer: "http://localhost:3000" });
 * ```
 *
 * @module tessera/verify/node
 */
import * as crypto from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import { buildVerifier } from "./lib/build-verifier.js";
import type { Verifier, VerifierOptions } from "./types.js";

export * from "./index.js";

/**
 * {@link createVerifier} of the universal entry, with Node's modules passed in
 * explicitly. Ships from `tessera/verify/node`.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ issuer: "http://localhost:3000", crypto: "node" });
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  return buildVerifier(options, { crypto, http, https });
}
