/**
 * The error registry, the VerifyError class and docs/verify.md agree: every
 * code is documented with its error and status, and every documented code
 * exists (both ways, as fastify's errors test does).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { InsufficientScopeError, VerifyError, verifyErrorCodes, type VerifyErrorCode } from "../../packages/verify/src/index.js";

const docs = readFileSync(new URL("../../docs/verify.md", import.meta.url), "utf8");
const documented = new Map(
  [...docs.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\w+) \| (\d{3}) \|/gm)].map((m) => [m[1]!, { error: m[2]!, status: Number(m[3]) }]),
);

describe("error registry", () => {
  it("documents every code with its error and status", () => {
    for (const [code, entry] of Object.entries(verifyErrorCodes)) {
      assert.deepEqual(documented.get(code), { error: entry.error, status: entry.status }, code);
    }
  });

  it("has every documented code", () => {
    for (const code of documented.keys()) assert.ok(code in verifyErrorCodes, `${code} is documented but not in the registry`);
  });

  it("builds errors from the registry, with safe fixed descriptions", () => {
    for (const code of Object.keys(verifyErrorCodes) as VerifyErrorCode[]) {
      const error = new VerifyError(code, { claim: "x", reason: "r" });
      assert.equal(error.message, verifyErrorCodes[code].description);
      assert.equal(error.description, error.message);
      assert.equal(error.status, verifyErrorCodes[code].status);
      assert.ok(error instanceof Error && error.name === "VerifyError" && error.stack);
      assert.doesNotMatch(error.description, /["\\]/, "descriptions go inside a quoted-string");
    }
  });

  it("InsufficientScopeError is a VerifyError with the scope", () => {
    const error = new InsufficientScopeError("ERR_INSUFFICIENT_SCOPE", "a b");
    assert.ok(error instanceof VerifyError);
    assert.equal(error.scope, "a b");
    assert.equal(error.error, "insufficient_scope");
    assert.equal(error.status, 403);
  });
});
