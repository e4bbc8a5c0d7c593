/**
 * Property tests: whatever a stranger sends, `verify` answers with claims or
 * a VerifyError — never another exception, never a changed claim.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { VerifyError } from "../../packages/verify/src/index.js";
import { makeAuthenticator } from "../../packages/verify/src/lib/authenticate.js";
import { BACKENDS, ISSUER, localVerifier, NOW } from "./helpers/setup.js";
import { b64, claimsFor, makeKey, signToken } from "./helpers/tokens.js";

const key = makeKey("ES256");
const original = claimsFor(ISSUER, NOW);
const token = signToken(key, original);
const RUNS = 300;

async function outcome(promise: Promise<unknown>): Promise<"refused" | Record<string, unknown>> {
  try {
    return (await promise) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof VerifyError) return "refused";
    throw error;
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), char: fc.string({ minLength: 1, maxLength: 1 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), char: fc.string({ minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), char: fc.constant("") }),
);

function mutate(input: string, m: { kind: "replace" | "insert" | "delete"; at: number; char: string }): string {
  const at = m.at % input.length;
  if (m.kind === "insert") return input.slice(0, at) + m.char + input.slice(at);
  return input.slice(0, at) + (m.kind === "replace" ? m.char : "") + input.slice(at + 1);
}

for (const backend of BACKENDS) {
  describe(`fuzzing verify (${backend})`, () => {
    const verifier = localVerifier([key], { crypto: backend, cache: false });

    it("refuses arbitrary strings with a VerifyError", async () => {
      await fc.assert(fc.asyncProperty(fc.string({ maxLength: 400 }), async (s) => {
        assert.equal(await outcome(verifier.verify(s)), "refused");
      }), { numRuns: RUNS });
    });

    it("refuses non-strings passed from untyped code", async () => {
      await fc.assert(fc.asyncProperty(fc.anything(), async (value) => {
        fc.pre(typeof value !== "string");
        assert.equal(await outcome(verifier.verify(value as string)), "refused");
      }), { numRuns: 100 });
    });

    it("refuses mutated tokens, or (base64 slack) yields exactly the original claims", async () => {
      await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const forged = mutations.reduce(mutate, token);
        const result = await outcome(verifier.verify(forged));
        if (result !== "refused") assert.deepEqual({ ...result, roles: [...(result.roles as string[])] }, original);
      }), { numRuns: RUNS });
    });

    it("refuses random headers and payloads with a borrowed signature", async () => {
      const signature = token.split(".")[2]!;
      await fc.assert(fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), async (header, payload) => {
        assert.equal(await outcome(verifier.verify(`${b64(header)}.${b64(payload)}.${signature}`)), "refused");
      }), { numRuns: RUNS });
    });

    it("refuses well-formed headers over random payloads", async () => {
      const header = { alg: "ES256", kid: key.kid, typ: "at+jwt" };
      await fc.assert(fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), fc.uint8Array({ minLength: 64, maxLength: 64 }), async (payload, sig) => {
        const forged = `${b64(header)}.${b64(payload)}.${Buffer.from(sig).toString("base64url")}`;
        assert.equal(await outcome(verifier.verify(forged)), "refused");
      }), { numRuns: RUNS });
    });
  });
}

describe("fuzzing the Authorization header", () => {
  it("always yields claims or a refusal, never an exception", async () => {
    const auth = makeAuthenticator(localVerifier([key]));
    await fc.assert(fc.asyncProperty(fc.oneof(fc.string(), fc.string().map((s) => `Bearer ${s}`), fc.constant(`Bearer ${token}`)), async (header) => {
      const result = await auth.authenticate(header);
      if (!result.ok) assert.ok([401, 403, 503].includes(result.refusal.status));
    }), { numRuns: RUNS });
  });
});
