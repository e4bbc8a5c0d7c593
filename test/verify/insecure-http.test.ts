/**
 * Keys fetched over plain http can be swapped by anyone on the path, who then
 * mints tokens the verifier accepts: a URL the verifier fetches from must be
 * https, or http on loopback, unless `allowInsecureHttp: true` says otherwise.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createVerifier, type VerifierOptions } from "../../packages/verify/src/index.js";
import { startFakeIssuer, type FakeIssuer } from "./helpers/fake-issuer.js";
import { assertRefused } from "./helpers/setup.js";
import { claimsFor, makeKey, signToken } from "./helpers/tokens.js";

const refusedOptions: Array<[string, VerifierOptions, RegExp]> = [
  ["an http issuer it discovers keys from", { issuer: "http://auth.example.com" }, /^createVerifier: issuer must be an https URL/],
  ["an http issuer whose default feed it follows", { issuer: "http://auth.example.com", keys: [] }, /issuer must be an https URL/],
  ["an http jwksUri", { issuer: "https://auth.example.com", jwksUri: "http://auth.example.com/jwks", revocation: false }, /jwksUri must be an https URL/],
  ["an http feed endpoint", { issuer: "https://auth.example.com", revocation: { endpoint: "http://10.0.0.5/oauth/revocations" } }, /revocation\.endpoint must be an https URL/],
  ["http on a name that only starts like loopback", { issuer: "http://localhost.evil.example" }, /issuer must be an https URL/],
  ["http on a 127-looking name", { issuer: "http://127.0.0.1.evil.example" }, /issuer must be an https URL/],
];

const accepted: Array<[string, VerifierOptions]> = [
  ["https", { issuer: "https://auth.example.com" }],
  ["http://localhost", { issuer: "http://localhost:3000" }],
  ["http://127.0.0.1", { issuer: "http://127.0.0.1:3000" }],
  ["http://[::1]", { issuer: "http://[::1]:3000" }],
  ["an http issuer never fetched (local keys, no feed)", { issuer: "http://issuer.test", keys: [], revocation: false }],
  ["an http issuer with every URL given as https", { issuer: "http://issuer.test", jwksUri: "https://keys.example.com/jwks", revocation: { endpoint: "https://keys.example.com/feed" } }],
  ["an http issuer when allowInsecureHttp says so", { issuer: "http://auth.internal", allowInsecureHttp: true }],
  ["an http jwksUri when allowInsecureHttp says so", { issuer: "https://auth.example.com", jwksUri: "http://auth.internal/jwks", revocation: false, allowInsecureHttp: true }],
];

describe("plain http off loopback", () => {
  for (const [name, options, message] of refusedOptions) {
    it(`refuses ${name} when the verifier is built`, () => {
      assert.throws(() => createVerifier(options), (error: Error) => error instanceof TypeError && message.test(error.message) && /allowInsecureHttp/.test(error.message));
    });
  }

  for (const [name, options] of accepted) {
    it(`accepts ${name}`, () => {
      createVerifier({ revocation: false, ...options }).close();
      createVerifier(options).close();
    });
  }

  it("refuses allowInsecureHttp that is not a boolean", () => {
    assert.throws(() => createVerifier({ issuer: "http://auth.internal", allowInsecureHttp: "yes" as unknown as boolean }), TypeError);
  });
});

describe("metadata that points to plain http off loopback", () => {
  let issuer: FakeIssuer;
  const key = makeKey("ES256");
  beforeEach(async () => { issuer = await startFakeIssuer([key]); });
  afterEach(() => issuer.close());

  it("is refused, so the swapped keys are never fetched", async () => {
    issuer.metadataExtra = { jwks_uri: "http://keys.example.com/jwks" };
    const errors: Error[] = [];
    const verifier = createVerifier({ issuer: issuer.issuer, revocation: false, onError: (e) => errors.push(e) });
    await assertRefused(verifier.verify(signToken(key, claimsFor(issuer.issuer))), "ERR_JWKS_UNAVAILABLE");
    assert.ok(errors.some((e) => /plain-http jwks_uri/.test(String((e.cause as Error | undefined)?.message))), errors.map((e) => e.message).join("; "));
    verifier.close();
  });

  it("is followed when allowInsecureHttp says so (here the loopback JWKS itself)", async () => {
    const verifier = createVerifier({ issuer: issuer.issuer, revocation: false, allowInsecureHttp: true });
    assert.equal((await verifier.verify(signToken(key, claimsFor(issuer.issuer)))).sub, "user-1");
    verifier.close();
  });
});
