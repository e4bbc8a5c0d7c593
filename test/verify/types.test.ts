/**
 * Type tests of the public API: checked by `tsc --noEmit` (npm run lint); the
 * runtime part only proves the file loads. Each `@ts-expect-error` fails the
 * type check if the error it expects ever goes away.
 */
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { it } from "node:test";
import type { FastifyRequest } from "fastify";
import type { Context } from "hono";
import {
  createVerifier, requireScope, VerifyError, type AccessTokenClaims, type Guard, type Verifier, type VerifyErrorCode,
} from "../../packages/verify/src/index.js";

function exhaustive(code: VerifyErrorCode): string {
  switch (code) {
    case "ERR_TOKEN_MALFORMED": case "ERR_ALG_NOT_ALLOWED": case "ERR_TYP_INVALID": case "ERR_CRIT_UNSUPPORTED":
    case "ERR_KEY_NOT_FOUND": case "ERR_KEY_MISMATCH": case "ERR_SIGNATURE_INVALID": case "ERR_CLAIM_INVALID":
    case "ERR_TOKEN_EXPIRED": case "ERR_TOKEN_NOT_YET_VALID": case "ERR_TOKEN_REVOKED": case "ERR_AMR_INSUFFICIENT": case "ERR_AUTH_TOO_OLD":
      return "401";
    case "ERR_INSUFFICIENT_SCOPE": case "ERR_INSUFFICIENT_ROLE":
      return "403";
    case "ERR_JWKS_UNAVAILABLE":
      return "503";
  }
}

// Never called: these lines are for the type checker.
export function typeChecks(verifier: Verifier, claims: AccessTokenClaims, req: IncomingMessage, freq: FastifyRequest, c: Context): void {
  // @ts-expect-error claims are read-only
  claims.sub = "someone-else";
  // @ts-expect-error roles are read-only
  claims.roles.push("admin");
  const fromNode: AccessTokenClaims | undefined = req.auth;          // node:http / Express augmentation
  const fromFastify: AccessTokenClaims | undefined = freq.auth;      // Fastify augmentation
  const fromHono: AccessTokenClaims | undefined = c.get("auth");     // Hono ContextVariableMap augmentation
  const verified: Promise<AccessTokenClaims> = verifier.verify("t");
  const guard: Guard = requireScope("a");
  // @ts-expect-error HS256 is not an accepted algorithm
  createVerifier({ issuer: "http://x", algorithms: ["HS256"] });
  // @ts-expect-error the issuer is required
  createVerifier({});
  void [fromNode, fromFastify, fromHono, verified, guard];
}

it("the public types compile (see tsc)", () => {
  assert.equal(exhaustive(new VerifyError("ERR_TOKEN_REVOKED").code), "401");
});
