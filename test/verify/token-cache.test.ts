/** The verified-token cache: bounded, never past exp, never hiding a revocation. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenCache } from "../../packages/verify/src/lib/token-cache.js";
import type { AccessTokenClaims } from "../../packages/verify/src/index.js";
import { startFakeIssuer } from "./helpers/fake-issuer.js";
import { assertRefused, ISSUER, localVerifier, NOW } from "./helpers/setup.js";
import { claimsFor, makeKey, signToken } from "./helpers/tokens.js";

const key = makeKey("ES256");
const now = Math.floor(NOW / 1000);
const claims = (exp: number): AccessTokenClaims => ({ exp } as AccessTokenClaims);

describe("verified-token cache", () => {
  it("serves a repeated token from the cache, the same frozen claims object", async () => {
    const verifier = localVerifier([key]);
    const token = signToken(key, claimsFor(ISSUER, NOW));
    const first = await verifier.verify(token);
    assert.equal(await verifier.verify(token), first);
    assert.equal(verifier.status().cachedTokens, 1);
  });

  it("is off with cache: false", async () => {
    const verifier = localVerifier([key], { cache: false });
    const token = signToken(key, claimsFor(ISSUER, NOW));
    assert.notEqual(await verifier.verify(token), await verifier.verify(token));
    assert.equal(verifier.status().cachedTokens, 0);
  });

  it("drops an entry at the token's exp; past it the full path (with tolerance) decides", async () => {
    let clock = NOW;
    const verifier = localVerifier([key], { clock: () => clock });
    const token = signToken(key, claimsFor(ISSUER, NOW, { exp: now + 60 }));
    await verifier.verify(token);
    clock = NOW + 59_999;
    await verifier.verify(token);
    assert.equal(verifier.status().cachedTokens, 1);
    clock = NOW + 60_000;
    await verifier.verify(token); // inside the 30 s tolerance: accepted, but not cached again
    assert.equal(verifier.status().cachedTokens, 0);
    clock = NOW + 90_000;
    await assertRefused(verifier.verify(token), "ERR_TOKEN_EXPIRED");
  });

  it("is bounded by count", async () => {
    const verifier = localVerifier([key], { cache: { maxEntries: 5 } });
    for (let i = 0; i < 20; i++) await verifier.verify(signToken(key, claimsFor(ISSUER, NOW)));
    assert.equal(verifier.status().cachedTokens, 5);
  });

  it("is bounded by bytes", async () => {
    const verifier = localVerifier([key], { cache: { maxBytes: 8192 } });
    for (let i = 0; i < 20; i++) await verifier.verify(signToken(key, claimsFor(ISSUER, NOW, { pad: "x".repeat(500) })));
    const { cachedTokens, cachedBytes } = verifier.status();
    assert.ok(cachedBytes <= 8192 && cachedTokens >= 2 && cachedTokens < 20, `${cachedTokens} tokens, ${cachedBytes} bytes`);
  });

  it("evicts the least recently used entry first", () => {
    const cache = new TokenCache(2, 1 << 20);
    cache.set("a", claims(now + 100), NOW);
    cache.set("b", claims(now + 100), NOW);
    assert.ok(cache.get("a", NOW));
    cache.set("c", claims(now + 100), NOW);
    assert.ok(cache.get("a", NOW) && cache.get("c", NOW));
    assert.equal(cache.get("b", NOW), undefined);
  });

  it("does not store a token whose exp has passed or that alone exceeds maxBytes", () => {
    const cache = new TokenCache(10, 600);
    cache.set("old", claims(now), NOW);
    cache.set("x".repeat(400), claims(now + 100), NOW);
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
  });

  it("still checks revocation on a hit", async () => {
    const issuer = await startFakeIssuer([key]);
    const verifier = localVerifier([key], {
      issuer: issuer.issuer, clock: Date.now, revocation: { endpoint: `${issuer.issuer}/oauth/revocations`, wait: 5 },
    });
    try {
      const token = signToken(key, claimsFor(issuer.issuer, Date.now()));
      await verifier.verify(token);
      assert.equal(verifier.status().cachedTokens, 1);
      issuer.revoke("session-1", Math.floor(Date.now() / 1000) + 900);
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline) {
        try { await verifier.verify(token); } catch { break; }
        await new Promise((r) => setTimeout(r, 20));
      }
      await assertRefused(verifier.verify(token), "ERR_TOKEN_REVOKED");
    } finally {
      verifier.close();
      await issuer.close();
    }
  });
});
