/** Mistakes in options are TypeErrors when the object is built, never quiet fallbacks. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createVerifier, expressAuth, fastifyAuth, honoAuth, nodeAuth, requireRole, requireScope, type Verifier, type VerifierOptions,
} from "../../packages/verify/src/index.js";
import { defaults } from "../../packages/verify/src/options.js";

const ok: VerifierOptions = { issuer: "http://localhost:3000", revocation: false };
const bad: [string, unknown][] = [
  ["no issuer", {}],
  ["issuer not a URL", { issuer: "localhost:3000/x y" }],
  ["HS256 in the allow-list", { ...ok, algorithms: ["HS256"] }],
  ["none in the allow-list", { ...ok, algorithms: ["none"] }],
  ["empty allow-list", { ...ok, algorithms: [] }],
  ["empty audience", { ...ok, audience: "" }],
  ["empty audience list", { ...ok, audience: [] }],
  ["negative clockTolerance", { ...ok, clockTolerance: -1 }],
  ["clockTolerance as a string", { ...ok, clockTolerance: "30s" }],
  ["clockTolerance over 5 minutes", { ...ok, clockTolerance: 301 }],
  ["cache.maxEntries 0", { ...ok, cache: { maxEntries: 0 } }],
  ["cache true", { ...ok, cache: true }],
  ["revocation.wait over 30", { ...ok, revocation: { wait: 31 } }],
  ["revocation.endpoint not a URL", { ...ok, revocation: { endpoint: "/feed" } }],
  ["keys and jwksUri together", { ...ok, keys: [], jwksUri: "http://localhost:3000/jwks" }],
  ["keys not a list or JWKS", { ...ok, keys: { kty: "EC" } }],
  ["jwks.cooldown negative", { ...ok, jwks: { cooldown: -5 } }],
  ["clock not a function", { ...ok, clock: 5 }],
];

describe("options", () => {
  for (const [name, options] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(() => createVerifier(options as VerifierOptions), TypeError);
    });
  }

  it("accepts the minimal options and exposes the issuer", () => {
    const verifier = createVerifier(ok);
    assert.equal(verifier.issuer, ok.issuer);
    verifier.close();
    verifier.close(); // idempotent
  });

  it("documents its defaults in one object", () => {
    assert.deepEqual(defaults.cache, { maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 });
    assert.equal(defaults.clockTolerance, 30);
    assert.equal(defaults.jwks.cooldown, 30);
  });

  it("refuses bad guard names", () => {
    for (const names of [[], [""], ["a b"], ['x"'], ["a\\b"]]) {
      assert.throws(() => requireScope(...names), TypeError, JSON.stringify(names));
      assert.throws(() => requireRole(...names), TypeError, JSON.stringify(names));
    }
  });

  it("refuses an adapter without a verifier, or a realm that would break the header", async () => {
    const verifier = createVerifier(ok);
    for (const make of [expressAuth, nodeAuth, honoAuth]) {
      assert.throws(() => make(undefined as unknown as Verifier), TypeError);
      assert.throws(() => make(verifier, { realm: 'a", error="x' }), TypeError);
    }
    await assert.rejects(fastifyAuth({ addHook() {}, decorateRequest() {}, hasRequestDecorator: () => false }, { verifier, realm: "\\" }), TypeError);
  });
});
