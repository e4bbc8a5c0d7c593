/**
 * The remote JWKS against a real loopback issuer: discovery, Cache-Control,
 * unknown-kid refetch (single-flight, cooldown), outages, withdrawn keys.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createVerifier, type FetchLike, type HttpResponseLike, type Verifier, type VerifierOptions } from "../../packages/verify/src/index.js";
import { startFakeIssuer, type FakeIssuer } from "./helpers/fake-issuer.js";
import { assertRefused } from "./helpers/setup.js";
import { claimsFor, makeKey, signToken, type TestKey } from "./helpers/tokens.js";

let issuer: FakeIssuer;
let key: TestKey;
let clockMs: number;
const errors: Error[] = [];

/** JWKS fetches the verifier started and how many of them have finished (keys imported, or the failure reported). */
let started = 0;
let finished = 0;
let lastVerifier: Verifier | undefined;
let loadedAt: number | null = null;

/** The real fetch, counted: a background refresh is seen when it starts, not guessed at by a delay. */
const countingFetch: FetchLike = async (url, init) => {
  if (url.endsWith("/jwks.json")) started++;
  const response = await fetch(url, { signal: init.signal, headers: init.headers });
  return response satisfies HttpResponseLike;
};

function verifierFor(options: Partial<VerifierOptions> = {}): Verifier {
  lastVerifier = createVerifier({
    issuer: issuer.issuer, revocation: false, cache: false, clock: () => clockMs, fetch: countingFetch,
    onError: (e) => { errors.push(e); if (e.message.startsWith("JWKS refresh failed")) finished++; },
    ...options,
  });
  loadedAt = null;
  return lastVerifier;
}
const tokenBy = (k: TestKey): string => signToken(k, claimsFor(issuer.issuer, clockMs));
const advance = (seconds: number): void => { clockMs += seconds * 1000; };
/**
 * Waits for the background refreshes started so far to end, by their events:
 * each ends with new keys (status().keysLoadedAt moves) or a reported error.
 * A refresh starts inside the verify call that found the keys stale and
 * issues its fetch a few microtasks later (the issuer's metadata is cached by
 * then): one turn of the event loop has it counted.
 */
async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  for (;;) {
    const at = lastVerifier?.status().keysLoadedAt ?? null;
    if (at !== loadedAt) { loadedAt = at; finished++; }
    if (finished >= started) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

beforeEach(async () => {
  started = 0;
  finished = 0;
  key = makeKey("ES256");
  issuer = await startFakeIssuer([key]);
  clockMs = Date.now();
  errors.length = 0;
});
afterEach(() => issuer.close());

describe("remote JWKS", () => {
  it("discovers jwks_uri from the metadata and fetches each once for many tokens", async () => {
    const verifier = verifierFor();
    for (let i = 0; i < 20; i++) await verifier.verify(tokenBy(key));
    assert.deepEqual({ metadata: issuer.counts.metadata, jwks: issuer.counts.jwks }, { metadata: 1, jwks: 1 });
  });

  it("skips discovery when jwksUri is given", async () => {
    const verifier = verifierFor({ jwksUri: `${issuer.issuer}/.well-known/jwks.json` });
    await verifier.verify(tokenBy(key));
    assert.deepEqual({ metadata: issuer.counts.metadata, jwks: issuer.counts.jwks }, { metadata: 0, jwks: 1 });
  });

  it("refuses metadata that names another issuer", async () => {
    issuer.metadataExtra = { issuer: "http://evil.test" };
    await assertRefused(verifierFor().verify(tokenBy(key)), "ERR_JWKS_UNAVAILABLE");
    assert.ok(errors.some((e) => String((e.cause as Error | undefined)?.message).includes("names http://evil.test, not")));
  });

  it("refreshes after Cache-Control max-age, in the background", async () => {
    issuer.jwksCacheControl = "public, max-age=120";
    const verifier = verifierFor();
    await verifier.verify(tokenBy(key));
    advance(119);
    await verifier.verify(tokenBy(key));
    await settle();
    assert.equal(issuer.counts.jwks, 1, "still fresh at 119 s");
    advance(2);
    await verifier.verify(tokenBy(key));
    await settle();
    assert.equal(issuer.counts.jwks, 2, "refetched after 120 s");
  });

  it("clamps max-age: no-store and max-age=0 still cache 30 s, a year is cut to a day", async () => {
    issuer.jwksCacheControl = "no-store";
    const verifier = verifierFor();
    await verifier.verify(tokenBy(key));
    advance(29);
    await verifier.verify(tokenBy(key));
    await settle();
    assert.equal(issuer.counts.jwks, 1);
    advance(2);
    await verifier.verify(tokenBy(key));
    await settle();
    assert.equal(issuer.counts.jwks, 2);

    issuer.jwksCacheControl = "max-age=31536000";
    advance(31);
    await verifier.verify(tokenBy(key));
    await settle();
    assert.equal(issuer.counts.jwks, 3);
    advance(86_399);
    await verifier.verify(tokenBy(key));
    await settle();
    assert.equal(issuer.counts.jwks, 3, "fresh for a day");
    advance(2);
    await verifier.verify(tokenBy(key));
    await settle();
    assert.equal(issuer.counts.jwks, 4, "but no longer");
  });

  it("on an unknown kid refetches once, single-flight, and every concurrent token passes (rotation)", async () => {
    const verifier = verifierFor();
    await verifier.verify(tokenBy(key));
    const next = makeKey("ES256");
    issuer.keys = [key, next];
    issuer.jwksDelay = 100;
    advance(31); // past the cooldown since the first fetch
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => verifier.verify(tokenBy(next))));
    assert.deepEqual(results.map((r) => r.status), Array(25).fill("fulfilled"));
    assert.equal(issuer.counts.jwks, 2);
  });

  it("refetches for unknown kids at most once per cooldown", async () => {
    const verifier = verifierFor();
    await verifier.verify(tokenBy(key));
    const stranger = makeKey("ES256");
    for (let i = 0; i < 10; i++) await assertRefused(verifier.verify(tokenBy(stranger)), "ERR_KEY_NOT_FOUND");
    assert.equal(issuer.counts.jwks, 1, "first fetch was just now: still cooling down");
    advance(30);
    for (let i = 0; i < 10; i++) await assertRefused(verifier.verify(tokenBy(stranger)), "ERR_KEY_NOT_FOUND");
    assert.equal(issuer.counts.jwks, 2);
    advance(10);
    await assertRefused(verifier.verify(tokenBy(stranger)), "ERR_KEY_NOT_FOUND");
    assert.equal(issuer.counts.jwks, 2);
  });

  it("keeps verifying with the last good keys while the endpoint is down", async () => {
    const verifier = verifierFor();
    await verifier.verify(tokenBy(key));
    issuer.down = true;
    for (let i = 0; i < 5; i++) {
      advance(400); // past max-age=300 every time
      assert.equal((await verifier.verify(tokenBy(key))).sub, "user-1");
      await settle();
    }
    assert.ok(errors.length >= 1, "refresh failures are reported");
    assert.equal(verifier.status().keys, 1);
  });

  it("answers ERR_JWKS_UNAVAILABLE (503) with no keys at all, and recovers when the endpoint does", async () => {
    issuer.down = true;
    const verifier = verifierFor();
    const error = await assertRefused(verifier.verify(tokenBy(key)), "ERR_JWKS_UNAVAILABLE");
    assert.equal(error.status, 503);
    issuer.down = false;
    advance(1);
    assert.equal((await verifier.verify(tokenBy(key))).sub, "user-1");
  });

  it("gives up on a JWKS fetch after jwks.timeout", async () => {
    issuer.jwksDelay = 1500;
    const started = Date.now();
    await assertRefused(verifierFor({ jwks: { timeout: 0.2 } }).verify(tokenBy(key)), "ERR_JWKS_UNAVAILABLE");
    assert.ok(Date.now() - started < 1000);
  });

  it("refuses a rotated-out key once it is withdrawn, cached tokens included", async () => {
    const verifier = verifierFor({ cache: {} });
    const old = tokenBy(key);
    await verifier.verify(old);
    assert.equal(verifier.status().cachedTokens, 1);
    const next = makeKey("ES256");
    issuer.keys = [next];
    advance(301);
    await verifier.verify(old); // a cache hit, served; it still starts the background refresh
    await settle();
    assert.equal(verifier.status().cachedTokens, 0, "withdrawing a key empties the cache");
    await assertRefused(verifier.verify(old), "ERR_KEY_NOT_FOUND");
    assert.equal((await verifier.verify(tokenBy(next))).sub, "user-1");
  });

  it("ignores keys that are not for verification or not allowed, and never imports private parts", async () => {
    const rsa = makeKey("RS256");
    const { d: _d, ...publicOnly } = { ...key.jwk, d: "private" };
    issuer.keys = [
      { ...key, jwk: { ...publicOnly, d: "AAAA" } },
      { ...rsa, jwk: { ...rsa.jwk, use: "enc" as "sig" } },
      { ...rsa, kid: "hmac", jwk: { kty: "oct", k: "c2VjcmV0", kid: "hmac", alg: "HS256", use: "sig" } as never },
      { ...rsa, kid: "opaque", jwk: { ...rsa.jwk, kid: "opaque", key_ops: ["encrypt"] } },
    ];
    const verifier = verifierFor();
    assert.equal((await verifier.verify(tokenBy(key))).sub, "user-1", "EC key used without its stray d");
    await assertRefused(verifier.verify(tokenBy(rsa)), "ERR_KEY_NOT_FOUND");
    await assertRefused(verifier.verify(signToken(key, claimsFor(issuer.issuer, clockMs), { kid: "hmac" })), "ERR_KEY_NOT_FOUND");
    assert.equal(verifier.status().keys, 1);
  });

  it("ready() loads keys ahead of the first request", async () => {
    const verifier = verifierFor();
    await verifier.ready();
    assert.equal(issuer.counts.jwks, 1);
    assert.equal(verifier.status().keys, 1);
  });
});
