/** What a valid token yields, and the exact edges of every claim check. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertRefused, BACKENDS, ISSUER, localVerifier, NOW } from "./helpers/setup.js";
import { claimsFor, makeKey, signToken } from "./helpers/tokens.js";

const keys = { ES256: makeKey("ES256"), RS256: makeKey("RS256"), EdDSA: makeKey("EdDSA") };
const now = Math.floor(NOW / 1000);

for (const backend of BACKENDS) {
  describe(`claims (${backend})`, () => {
    const verifier = localVerifier(Object.values(keys), { crypto: backend, cache: false });

    for (const key of Object.values(keys)) {
      it(`accepts a ${key.alg} token and returns its claims`, async () => {
        const claims = await verifier.verify(signToken(key, claimsFor(ISSUER, NOW)));
        assert.equal(claims.sub, "user-1");
        assert.equal(claims.sid, "session-1");
        assert.equal(claims.scope, "orders:read profile");
        assert.deepEqual(claims.roles, ["user"]);
      });
    }

    it("returns frozen claims", async () => {
      const claims = await verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW)));
      assert.ok(Object.isFrozen(claims) && Object.isFrozen(claims.roles));
      assert.throws(() => { (claims.roles as string[]).push("admin"); }, TypeError);
    });

    it("hands back amr as signed, a frozen copy (requireAuthMethod reads it: a guard cannot add \"mfa\")", async () => {
      const claims = await verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { amr: ["pwd", "otp"], auth_time: now })));
      assert.deepEqual(claims.amr, ["pwd", "otp"]);
      assert.ok(Object.isFrozen(claims.amr));
      assert.throws(() => { (claims.amr as string[]).push("mfa"); }, TypeError);
      const without = await verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW)));
      assert.equal("amr" in without, false, "no amr signed, none handed back");
    });

    it("defaults scope to '' and roles to [] (a client_credentials token without sid)", async () => {
      const token = signToken(keys.ES256, { ...claimsFor(ISSUER, NOW), sub: "svc", sid: undefined, scope: undefined, roles: undefined });
      const claims = await verifier.verify(token);
      assert.equal(claims.scope, "");
      assert.deepEqual(claims.roles, []);
      assert.equal(claims.sid, undefined);
    });

    it('accepts typ "application/at+jwt" and "AT+JWT" (RFC 9068 §4)', async () => {
      for (const typ of ["application/at+jwt", "AT+JWT"]) {
        assert.equal((await verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW), { typ }))).sub, "user-1");
      }
    });

    it("accepts an audience list that contains ours, and a configured audience", async () => {
      await verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { aud: ["x", ISSUER] })));
      const api = localVerifier([keys.ES256], { crypto: backend, audience: ["orders-api", "billing-api"] });
      await api.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { aud: "billing-api" })));
      await assertRefused(api.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW))), "ERR_CLAIM_INVALID", "issuer audience not configured");
    });

    it("applies the 30 s clock tolerance to exp exactly", async () => {
      await verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { exp: now - 29 })));
      await assertRefused(verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { exp: now - 30 }))), "ERR_TOKEN_EXPIRED");
    });

    it("applies the tolerance to nbf and iat", async () => {
      await verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { nbf: now + 30, iat: now + 30 })));
      await assertRefused(verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { nbf: now + 31 }))), "ERR_TOKEN_NOT_YET_VALID");
      await assertRefused(verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { iat: now + 31 }))), "ERR_TOKEN_NOT_YET_VALID");
    });

    it("honours a configured clockTolerance of 0", async () => {
      const exact = localVerifier([keys.ES256], { crypto: backend, clockTolerance: 0 });
      await assertRefused(exact.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { exp: now }))), "ERR_TOKEN_EXPIRED");
      await exact.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { exp: now + 1 })));
    });

    it("requires exp and iat", async () => {
      const e = await assertRefused(verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { exp: undefined }))), "ERR_CLAIM_INVALID");
      assert.equal(e.claim, "exp");
      const i = await assertRefused(verifier.verify(signToken(keys.ES256, claimsFor(ISSUER, NOW, { iat: undefined }))), "ERR_CLAIM_INVALID");
      assert.equal(i.claim, "iat");
    });

    it("names the claim at fault and never echoes the token", async () => {
      const token = signToken(keys.ES256, claimsFor(ISSUER, NOW, { iss: "http://evil.test" }));
      const error = await assertRefused(verifier.verify(token), "ERR_CLAIM_INVALID");
      assert.equal(error.claim, "iss");
      assert.equal(error.error, "invalid_token");
      for (const text of [error.message, error.description, String(error.reason), JSON.stringify(error)]) {
        assert.ok(!text.includes(token) && !text.includes(token.split(".")[1]!) && !text.includes("evil"), text);
      }
    });
  });
}
