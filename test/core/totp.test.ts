// RFC 6238 TOTP: the Appendix B vectors, drift, replay, and the recovery-code shape.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { base32Decode, base32Encode, hotp, keyUriIssuer, matchTotp, newTotpSecret, otpauthUri, totpAt, totpStep } from "../../src/core/mfa/totp.js";
import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from "../../src/core/mfa/recovery-codes.js";

const seeds = {
  sha1: Buffer.from("12345678901234567890"),
  sha256: Buffer.from("12345678901234567890123456789012"),
  sha512: Buffer.from("1234567890123456789012345678901234567890123456789012345678901234"),
};

// RFC 6238 Appendix B: time (s) → 8-digit code for each hash.
const vectors: Array<[number, string, string, string]> = [
  [59, "94287082", "46119246", "90693936"],
  [1111111109, "07081804", "68084774", "25091201"],
  [1111111111, "14050471", "67062674", "99943326"],
  [1234567890, "89005924", "91819424", "93441116"],
  [2000000000, "69279037", "90698825", "38618901"],
  [20000000000, "65353130", "77737706", "47863826"],
];

describe("RFC 6238 Appendix B", () => {
  for (const [seconds, sha1, sha256, sha512] of vectors) {
    test(`T = ${seconds}`, () => {
      assert.equal(totpAt(seeds.sha1, seconds * 1000, 8, "sha1"), sha1);
      assert.equal(totpAt(seeds.sha256, seconds * 1000, 8, "sha256"), sha256);
      assert.equal(totpAt(seeds.sha512, seconds * 1000, 8, "sha512"), sha512);
    });
  }
  test("RFC 4226 Appendix D (HOTP, 6 digits) for the first counters", () => {
    const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
    assert.deepEqual(expected.map((_, i) => hotp(seeds.sha1, i)), expected);
  });
});

describe("verification", () => {
  const secret = base32Encode(seeds.sha1);
  const t = 1111111111_000;
  const code = (ms: number) => totpAt(seeds.sha1, ms);

  test("base32 round trip, and the RFC 4648 encoding of the RFC's seed", () => {
    assert.equal(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert.deepEqual(base32Decode(secret), seeds.sha1);
    const fresh = newTotpSecret();
    assert.match(fresh, /^[A-Z2-7]{32}$/, "160 random bits");
    assert.equal(base32Encode(base32Decode(fresh)), fresh);
  });

  test("the current step matches, and one step of drift either way; two steps do not", () => {
    assert.equal(matchTotp(secret, code(t), t, null), totpStep(t));
    assert.equal(matchTotp(secret, code(t - 30_000), t, null), totpStep(t) - 1);
    assert.equal(matchTotp(secret, code(t + 30_000), t, null), totpStep(t) + 1);
    assert.equal(matchTotp(secret, code(t - 60_000), t, null), undefined);
    assert.equal(matchTotp(secret, code(t + 60_000), t, null), undefined);
  });

  test("a code at or before the last used step is refused (replay)", () => {
    const step = totpStep(t);
    assert.equal(matchTotp(secret, code(t), t, step), undefined);
    assert.equal(matchTotp(secret, code(t - 30_000), t, step - 1), undefined);
    assert.equal(matchTotp(secret, code(t + 30_000), t, step), step + 1, "a later step is still fine");
  });

  test("malformed codes never match", () => {
    for (const bad of ["", "12345", "1234567", "abcdef", " 123456", "１２３４５６", code(t) + "\n"]) assert.equal(matchTotp(secret, bad, t, null), undefined, JSON.stringify(bad));
  });

  test("the otpauth URI names issuer, account, algorithm, digits and period", () => {
    const uri = new URL(otpauthUri("auth.example.com", "ann@example", secret));
    assert.equal(uri.protocol, "otpauth:");
    assert.equal(uri.host, "totp");
    assert.equal(decodeURIComponent(uri.pathname), "/auth.example.com:ann@example");
    assert.equal(uri.searchParams.get("secret"), secret);
    assert.equal(uri.searchParams.get("issuer"), "auth.example.com");
    assert.equal(uri.searchParams.get("algorithm"), "SHA1");
    assert.equal(uri.searchParams.get("digits"), "6");
    assert.equal(uri.searchParams.get("period"), "30");
  });

  test("the issuer label holds no colon: a port follows after a space, an IPv6 literal's colons become -", () => {
    assert.equal(keyUriIssuer("auth.example.com"), "auth.example.com");
    assert.equal(keyUriIssuer(new URL("https://auth.example.com:443/").host), "auth.example.com", "a default port is not there to keep");
    assert.equal(keyUriIssuer("localhost:4811"), "localhost 4811");
    assert.equal(keyUriIssuer("[::1]:4811"), "[--1] 4811");
    const uri = otpauthUri(keyUriIssuer("localhost:4811"), "alice", secret);
    assert.ok(uri.startsWith("otpauth://totp/localhost%204811:alice?"), uri);
    assert.match(uri, /&issuer=localhost%204811&/);
  });
});

describe("recovery codes", () => {
  test("ten distinct codes of 80 bits, typed back in any case and spacing", () => {
    const codes = newRecoveryCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) assert.match(c, /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
    const c = codes[0]!;
    assert.equal(hashRecoveryCode(c.toLowerCase().replace(/-/g, " ")), hashRecoveryCode(c));
    assert.notEqual(hashRecoveryCode(codes[1]!), hashRecoveryCode(c));
    assert.equal(normaliseRecoveryCode("short"), undefined);
    assert.equal(hashRecoveryCode("0000-0000-0000-0000"), undefined, "not of the alphabet");
  });
});
