/**
 * The forged-token set (issue 3, issue 7): every known JWT attack, each
 * refused with the code that names it, on both signature paths.
 */
import assert from "node:assert/strict";
import { createHmac, createSign } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { VerifyErrorCode } from "../../packages/verify/src/index.js";
import { assertRefused, BACKENDS, ISSUER, localVerifier, NOW } from "./helpers/setup.js";
import { b64, claimsFor, craft, makeKey, signToken, signWith } from "./helpers/tokens.js";

const es = makeKey("ES256");
const rs = makeKey("RS256");
const ed = makeKey("EdDSA");
const attacker = makeKey("ES256");
const weakRsa = makeKey("RS256", 1024);
const valid = claimsFor(ISSUER, NOW);
const now = Math.floor(NOW / 1000);

/** A loopback server that records whether anything fetched the URLs a token pointed at. */
let hits = 0;
let attackerUrl = "";
const trap = createServer((_req, res) => { hits++; res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [attacker.jwk] })); });
before(async () => {
  await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve));
  attackerUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => trap.close(() => resolve())));

function hs(alg: "HS256" | "HS384" | "HS512", secret: string | Buffer, header: Record<string, unknown> = {}): string {
  const input = `${b64({ alg, kid: rs.kid, typ: "at+jwt", ...header })}.${b64(valid)}`;
  return `${input}.${createHmac(`sha${alg.slice(2)}`, secret).update(input).digest("base64url")}`;
}

function tamper(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [h, p, s] = token.split(".") as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
  change(payload);
  return `${h}.${b64(payload)}.${s}`;
}

const rsPem = rs.publicKey.export({ type: "spki", format: "pem" });
const good = signToken(es, valid);

/** [name, token factory, expected code] */
const attacks: [string, () => string, VerifyErrorCode][] = [
  ["alg none, no signature", () => `${b64({ alg: "none", typ: "at+jwt", kid: es.kid })}.${b64(valid)}.`, "ERR_TOKEN_MALFORMED"],
  ["alg none with a signature", () => craft({ alg: "none", typ: "at+jwt", kid: es.kid }, valid), "ERR_ALG_NOT_ALLOWED"],
  ["alg None (case variant)", () => craft({ alg: "None", typ: "at+jwt", kid: es.kid }, valid), "ERR_ALG_NOT_ALLOWED"],
  ["alg NONE (case variant)", () => craft({ alg: "NONE", typ: "at+jwt", kid: es.kid }, valid), "ERR_ALG_NOT_ALLOWED"],
  ["alg missing", () => craft({ typ: "at+jwt", kid: es.kid }, valid), "ERR_ALG_NOT_ALLOWED"],
  ["HS256 signed with the RSA public key (PEM)", () => hs("HS256", rsPem), "ERR_ALG_NOT_ALLOWED"],
  ["HS256 signed with the public JWK as secret", () => hs("HS256", JSON.stringify(rs.jwk)), "ERR_ALG_NOT_ALLOWED"],
  ["HS384 signed with the public key", () => hs("HS384", rsPem), "ERR_ALG_NOT_ALLOWED"],
  ["HS512 signed with the public key", () => hs("HS512", rsPem), "ERR_ALG_NOT_ALLOWED"],
  ["RS256 header on an EC key's kid", () => signToken(rs, valid, { kid: es.kid }), "ERR_KEY_MISMATCH"],
  ["ES256 header on an RSA key's kid", () => signToken(es, valid, { kid: rs.kid }), "ERR_KEY_MISMATCH"],
  ["EdDSA header on an EC key's kid", () => signToken(ed, valid, { kid: es.kid }), "ERR_KEY_MISMATCH"],
  ["tampered payload (sub)", () => tamper(good, (p) => { p.sub = "admin"; }), "ERR_SIGNATURE_INVALID"],
  ["tampered payload (roles)", () => tamper(good, (p) => { p.roles = ["admin"]; }), "ERR_SIGNATURE_INVALID"],
  ["tampered payload (exp extended)", () => tamper(good, (p) => { p.exp = now + 86_400 * 365; }), "ERR_SIGNATURE_INVALID"],
  ["tampered header (typ case changed)", () => { const [, p, s] = good.split("."); return `${b64({ alg: "ES256", kid: es.kid, typ: "AT+JWT" })}.${p}.${s}`; }, "ERR_SIGNATURE_INVALID"],
  ["stripped signature (trailing dot)", () => good.slice(0, good.lastIndexOf(".") + 1), "ERR_TOKEN_MALFORMED"],
  ["stripped signature (two segments)", () => good.slice(0, good.lastIndexOf(".")), "ERR_TOKEN_MALFORMED"],
  ["signature of another token", () => { const other = signToken(es, { ...valid, sub: "someone" }); return `${good.slice(0, good.lastIndexOf("."))}${other.slice(other.lastIndexOf("."))}`; }, "ERR_SIGNATURE_INVALID"],
  ["signed by an attacker key under a real kid", () => signToken(attacker, valid, { kid: es.kid }), "ERR_SIGNATURE_INVALID"],
  ["psychic signature (r = s = 0, CVE-2022-21449)", () => `${good.slice(0, good.lastIndexOf("."))}.${Buffer.alloc(64).toString("base64url")}`, "ERR_SIGNATURE_INVALID"],
  ["ES256 signature in DER instead of JOSE form", () => {
    const input = good.slice(0, good.lastIndexOf("."));
    return `${input}.${createSign("sha256").update(input).sign(es.privateKey).toString("base64url")}`;
  }, "ERR_SIGNATURE_INVALID"],
  ["unknown kid", () => signToken(attacker, valid), "ERR_KEY_NOT_FOUND"],
  ["missing kid", () => signToken(es, valid, { kid: undefined }), "ERR_KEY_NOT_FOUND"],
  ["kid path traversal", () => signToken(es, valid, { kid: "../../../../../../dev/null" }), "ERR_KEY_NOT_FOUND"],
  ["kid SQL injection", () => signToken(es, valid, { kid: "' OR '1'='1" }), "ERR_KEY_NOT_FOUND"],
  ["kid __proto__", () => signToken(es, valid, { kid: "__proto__" }), "ERR_KEY_NOT_FOUND"],
  ["kid not a string", () => signToken(es, valid, { kid: 1 }), "ERR_KEY_NOT_FOUND"],
  ["jku pointing at the attacker's JWKS", () => signToken(attacker, valid, { jku: `${attackerUrl}/jwks.json` }), "ERR_KEY_NOT_FOUND"],
  ["x5u pointing at the attacker", () => signToken(attacker, valid, { x5u: `${attackerUrl}/cert.pem` }), "ERR_KEY_NOT_FOUND"],
  ["embedded jwk of the attacker", () => signToken(attacker, valid, { jwk: attacker.jwk }), "ERR_KEY_NOT_FOUND"],
  ["embedded jwk of the attacker under a real kid", () => signToken(attacker, valid, { kid: es.kid, jwk: { ...attacker.jwk, kid: es.kid } }), "ERR_SIGNATURE_INVALID"],
  ["x5c chain of the attacker", () => signToken(attacker, valid, { x5c: ["MIIB"] }), "ERR_KEY_NOT_FOUND"],
  ["crit with an unknown extension", () => signToken(es, valid, { crit: ["exp"], exp: now + 60 }), "ERR_CRIT_UNSUPPORTED"],
  ["crit b64=false (unencoded payload)", () => signToken(es, valid, { crit: ["b64"], b64: false }), "ERR_CRIT_UNSUPPORTED"],
  ["crit empty list", () => signToken(es, valid, { crit: [] }), "ERR_CRIT_UNSUPPORTED"],
  ["missing typ", () => signToken(es, valid, { typ: undefined }), "ERR_TYP_INVALID"],
  ["typ JWT (an ID token)", () => signToken(es, valid, { typ: "JWT" }), "ERR_TYP_INVALID"],
  ["typ application/jwt", () => signToken(es, valid, { typ: "application/jwt" }), "ERR_TYP_INVALID"],
  ["typ logout+jwt", () => signToken(es, valid, { typ: "logout+jwt" }), "ERR_TYP_INVALID"],
  ["ID token claims (nonce, aud = client) with typ JWT", () => signToken(es, { ...valid, aud: "tessera-web", nonce: "n" }, { typ: "JWT" }), "ERR_TYP_INVALID"],
  ["expired", () => signToken(es, { ...valid, exp: now - 31 }), "ERR_TOKEN_EXPIRED"],
  ["not yet valid (nbf)", () => signToken(es, { ...valid, nbf: now + 31 }), "ERR_TOKEN_NOT_YET_VALID"],
  ["issued in the future (iat)", () => signToken(es, { ...valid, iat: now + 3600 }), "ERR_TOKEN_NOT_YET_VALID"],
  ["wrong issuer", () => signToken(es, { ...valid, iss: "http://evil.test" }), "ERR_CLAIM_INVALID"],
  ["issuer with trailing slash", () => signToken(es, { ...valid, iss: `${ISSUER}/` }), "ERR_CLAIM_INVALID"],
  ["wrong audience", () => signToken(es, { ...valid, aud: "other-api" }), "ERR_CLAIM_INVALID"],
  ["audience list without ours", () => signToken(es, { ...valid, aud: ["a", "b"] }), "ERR_CLAIM_INVALID"],
  ["missing sub", () => signToken(es, { ...valid, sub: undefined }), "ERR_CLAIM_INVALID"],
  ["empty sub", () => signToken(es, { ...valid, sub: "" }), "ERR_CLAIM_INVALID"],
  ["scope as an array (guard confusion)", () => signToken(es, { ...valid, scope: ["admin"] }), "ERR_CLAIM_INVALID"],
  ["roles as a string", () => signToken(es, { ...valid, roles: "admin" }), "ERR_CLAIM_INVALID"],
  ["exp as a string", () => signToken(es, { ...valid, exp: String(now + 900) }), "ERR_CLAIM_INVALID"],
  ["header is JSON but an array", () => `${b64([{ alg: "ES256" }])}.${b64(valid)}.c2ln`, "ERR_TOKEN_MALFORMED"],
  ["payload is not JSON", () => { const input = `${b64({ alg: "ES256", kid: es.kid, typ: "at+jwt" })}.${b64("not json")}`; return `${input}.${signWith(es, input)}`; }, "ERR_TOKEN_MALFORMED"],
  ["four segments", () => `${good}.e30`, "ERR_TOKEN_MALFORMED"],
  ["padding in a segment", () => good.replace(".", "=."), "ERR_TOKEN_MALFORMED"],
  ["oversized token", () => `${good}${"A".repeat(9000)}`, "ERR_TOKEN_MALFORMED"],
  ["RSA key under 2048 bits", () => signToken(weakRsa, valid), "ERR_KEY_NOT_FOUND"],
];

for (const backend of BACKENDS) {
  describe(`forged tokens (${backend})`, () => {
    const verifier = localVerifier([es, rs, ed, weakRsa], { crypto: backend });

    it("accepts the untouched token (so each refusal below is the attack's doing)", async () => {
      assert.equal((await verifier.verify(signToken(es, valid))).sub, "user-1");
    });

    for (const [name, make, code] of attacks) {
      it(`refuses: ${name}`, async () => {
        await assertRefused(verifier.verify(make()), code);
      });
    }

    it("never fetched a URL named in a token header", () => {
      assert.equal(hits, 0);
    });

    it("refuses EdDSA when the allow-list has only ES256", async () => {
      const strict = localVerifier([es, ed], { crypto: backend, algorithms: ["ES256"] });
      await assertRefused(strict.verify(signToken(ed, valid)), "ERR_ALG_NOT_ALLOWED");
      assert.equal((await strict.verify(signToken(es, valid))).sub, "user-1");
    });
  });
}
