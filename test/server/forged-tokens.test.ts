// Forged and broken access tokens against a real server ("security suite",
// "forged tokens refused"). Every one must be a 401 invalid_token with an
// RFC 6750 challenge. The controls at the top prove that the minting helpers make
// tokens the server accepts, so each forgery is refused for its one defect.
import assert from "node:assert/strict";
import { createHmac, createPublicKey, randomUUID, sign as cryptoSign, type JsonWebKey } from "node:crypto";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { startTestServer, testClock, type SignedIn, type TestServer } from "../helpers/server.js";

type Claims = Record<string, unknown>;
type Header = Record<string, unknown>;

const clock = testClock();
let server: TestServer;
let alice: SignedIn;
let bob: SignedIn;
let serverKid: string;
let serverJwk: JWK;
/** The claims of a real token of alice, re-minted with fresh times by `claims()`. */
let base: Claims;
/** A second ES256 key, the attacker's. */
let attacker: { privateKey: CryptoKey; publicJwk: JWK; kid: string };
/** A web server the attacker controls; Tessera must never fetch from it. */
let evil: Server;
let evilUrl: string;
let evilHits = 0;

before(async () => {
  server = await startTestServer({ clock });
  alice = await server.signUpAndSignIn();
  bob = await server.signUpAndSignIn();
  base = payloadOf(alice.access_token);
  const jwks = await server.request<{ keys: Array<JWK & { kid: string }> }>("GET", "/.well-known/jwks.json");
  serverJwk = jwks.body.keys[0]!;
  serverKid = serverJwk.kid!;
  const pair = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  attacker = { privateKey: pair.privateKey, publicJwk, kid: await calculateJwkThumbprint(publicJwk) };
  evil = createServer((_req, res) => {
    evilHits++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: [{ ...attacker.publicJwk, kid: attacker.kid, alg: "ES256", use: "sig" }] }));
  });
  await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
  const address = evil.address();
  evilUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

after(async () => {
  await new Promise((resolve) => evil.close(resolve));
  await server.close();
});

// --- building tokens -------------------------------------------------------

const enc = (value: unknown): string => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

function payloadOf(token: string): Claims {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Claims;
}

const nowSeconds = () => Math.floor(clock.now() / 1000);

/** Alice's claims, valid now; an `undefined` override drops the claim. */
function claims(overrides: Claims = {}): Claims {
  const iat = nowSeconds();
  return { ...base, iat, exp: iat + 600, jti: randomUUID(), ...overrides };
}

function header(overrides: Header = {}): Header {
  return { alg: "ES256", kid: serverKid, typ: "at+jwt", ...overrides };
}

/** Signs with the server's own private key (taken from the running core): only the defect under test differs. */
function signWithServerKey(h: Header, c: Claims, dsaEncoding: "ieee-p1363" | "der" = "ieee-p1363"): string {
  const { key } = server.tessera.parts.keys.signingKey();
  const input = `${enc(h)}.${enc(c)}`;
  return `${input}.${cryptoSign("sha256", Buffer.from(input), { key, dsaEncoding }).toString("base64url")}`;
}

/** HMAC-signs (algorithm confusion: the "secret" is public material). */
function signHmac(alg: "HS256" | "HS384" | "HS512", secret: Buffer | string, h: Header, c: Claims): string {
  const input = `${enc({ ...h, alg })}.${enc(c)}`;
  return `${input}.${createHmac(`sha${alg.slice(2)}`, secret).update(input).digest("base64url")}`;
}

/** Signs with the attacker's ES256 key through jose, whatever the header claims. */
function signWithAttackerKey(h: Header, c: Claims): Promise<string> {
  return new SignJWT(c).setProtectedHeader({ ...h, alg: "ES256" } as { alg: string }).sign(attacker.privateKey);
}

function withSignature(token: string, signature: string): string {
  const [h, p] = token.split(".");
  return `${h}.${p}.${signature}`;
}

function serverPem(): string {
  return createPublicKey({ key: serverJwk as JsonWebKey, format: "jwk" }).export({ type: "spki", format: "pem" }).toString();
}

function serverRawPoint(): Buffer {
  return Buffer.concat([Buffer.from(serverJwk.x!, "base64url"), Buffer.from(serverJwk.y!, "base64url")]);
}

// --- the checks ------------------------------------------------------------

type ErrorBody = { error: string; error_description: string };

async function userinfo(authorization: string) {
  return server.request<ErrorBody>("GET", "/userinfo", { headers: { authorization } });
}

async function assertRefused(token: string, authorization = `Bearer ${token}`): Promise<void> {
  const res = await userinfo(authorization);
  assert.equal(res.status, 401, `expected 401, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer realm="tessera", error="invalid_token", error_description="[^"\\]+"$/);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(res.body.error, "invalid_token");
  assert.equal(typeof res.body.error_description, "string");
  // The reason stays in the server log: nothing that helps an attacker tune the forgery.
  assert.doesNotMatch(res.body.error_description, /signature|kid|alg|typ|aud|iss|crit|jwk/i);
}

async function assertAccepted(token: string, authorization = `Bearer ${token}`): Promise<void> {
  const res = await userinfo(authorization);
  assert.equal(res.status, 200, res.text);
  assert.equal((res.body as unknown as { sub: string }).sub, alice.userId);
}

// --- controls --------------------------------------------------------------

describe("controls: what the server accepts", () => {
  test("the real access token", async () => {
    await assertAccepted(alice.access_token);
  });

  test("a token minted by the test with the server's key and correct claims (so every forgery below differs in one defect)", async () => {
    await assertAccepted(signWithServerKey(header(), claims()));
  });

  test('the scheme is case-insensitive: "bearer" and "BEARER" with a valid token are accepted', async () => {
    await assertAccepted(alice.access_token, `bearer ${alice.access_token}`);
    await assertAccepted(alice.access_token, `BEARER ${alice.access_token}`);
  });

  test("an aud array that holds our audience is accepted (RFC 9068 allows arrays)", async () => {
    await assertAccepted(signWithServerKey(header(), claims({ aud: ["https://other.example", server.issuer] })));
  });
});

// --- forgeries -------------------------------------------------------------

describe('alg "none"', () => {
  test("alg none with an empty signature part", async () => {
    await assertRefused(`${enc(header({ alg: "none" }))}.${enc(claims())}.`);
  });

  test("alg none without a signature part (two segments)", async () => {
    await assertRefused(`${enc(header({ alg: "none" }))}.${enc(claims())}`);
  });

  test('alg "None"', async () => {
    await assertRefused(`${enc(header({ alg: "None" }))}.${enc(claims())}.`);
  });

  test('alg "NONE"', async () => {
    await assertRefused(`${enc(header({ alg: "NONE" }))}.${enc(claims())}.`);
  });

  test("alg none keeping a real signature", async () => {
    const real = alice.access_token.split(".")[2]!;
    await assertRefused(`${enc(header({ alg: "none" }))}.${enc(claims())}.${real}`);
  });
});

describe("algorithm confusion: HMAC keyed with the server's public key", () => {
  test("HS256 with the public JWK as a JSON string", async () => {
    await assertRefused(signHmac("HS256", JSON.stringify(serverJwk), header(), claims()));
  });

  test("HS256 with the public key as PEM", async () => {
    await assertRefused(signHmac("HS256", serverPem(), header(), claims()));
  });

  test("HS384 with the public key as PEM", async () => {
    await assertRefused(signHmac("HS384", serverPem(), header(), claims()));
  });

  test("HS512 with the raw public point x||y", async () => {
    await assertRefused(signHmac("HS512", serverRawPoint(), header(), claims()));
  });

  test("HS256 with the uncompressed point 0x04||x||y", async () => {
    await assertRefused(signHmac("HS256", Buffer.concat([Buffer.from([4]), serverRawPoint()]), header(), claims()));
  });

  test("RS256 / PS256 / ES384 / EdDSA headers over the server's kid", async () => {
    for (const alg of ["RS256", "PS256", "ES384", "EdDSA"]) {
      await assertRefused(signWithServerKey(header({ alg }), claims()));
    }
  });
});

describe("tampering and stripping", () => {
  function tampered(change: Claims): string {
    const [h, , s] = alice.access_token.split(".");
    return `${h}.${enc({ ...payloadOf(alice.access_token), ...change })}.${s}`;
  }

  test("payload tampered: sub swapped for another user's", async () => {
    await assertRefused(tampered({ sub: bob.userId }));
  });

  test("payload tampered: roles raised to admin", async () => {
    await assertRefused(tampered({ roles: ["user", "admin"] }));
  });

  test("payload tampered: exp pushed a year out", async () => {
    await assertRefused(tampered({ exp: nowSeconds() + 365 * 86_400 }));
  });

  test("header tampered: typ changed on a real token", async () => {
    const [, p, s] = alice.access_token.split(".");
    await assertRefused(`${enc(header({ typ: "JWT" }))}.${p}.${s}`);
  });

  test("signature stripped (empty third segment)", async () => {
    await assertRefused(withSignature(alice.access_token, ""));
  });

  test("signature truncated", async () => {
    await assertRefused(withSignature(alice.access_token, alice.access_token.split(".")[2]!.slice(0, 40)));
  });

  test("signature with one byte too many", async () => {
    const signature = Buffer.from(alice.access_token.split(".")[2]!, "base64url");
    await assertRefused(withSignature(alice.access_token, Buffer.concat([signature, Buffer.from([0])]).toString("base64url")));
  });

  test("all-zero signature (CVE-2022-21449, r = s = 0)", async () => {
    await assertRefused(withSignature(alice.access_token, Buffer.alloc(64).toString("base64url")));
  });

  test("ES256 signed by the server's key, but DER-encoded instead of raw r||s", async () => {
    await assertRefused(signWithServerKey(header(), claims(), "der"));
  });
});

describe("key injection", () => {
  test("signed by another ES256 key, presenting the server's kid", async () => {
    await assertRefused(await signWithAttackerKey(header(), claims()));
  });

  test("unknown kid (the attacker's key thumbprint)", async () => {
    await assertRefused(await signWithAttackerKey(header({ kid: attacker.kid }), claims()));
  });

  test("no kid at all, signed by the server's key", async () => {
    await assertRefused(signWithServerKey(header({ kid: undefined }), claims()));
  });

  test("kid that is not a string", async () => {
    await assertRefused(signWithServerKey(header({ kid: 1 }), claims()));
  });

  test("kid path traversal to /dev/null with an empty HMAC key", async () => {
    await assertRefused(signHmac("HS256", "", header({ kid: "../../../../../../dev/null" }), claims()));
  });

  test('kid path traversal "../../etc/passwd" signed by the attacker', async () => {
    await assertRefused(await signWithAttackerKey(header({ kid: "../../etc/passwd" }), claims()));
  });

  test("kid with SQL in it, HMAC keyed with the value the injection would select", async () => {
    await assertRefused(signHmac("HS256", "secret", header({ kid: "x' UNION SELECT 'secret' -- " }), claims()));
    await assertRefused(signHmac("HS256", "", header({ kid: "' OR '1'='1" }), claims()));
  });

  test("embedded jwk header with the attacker's key (and its kid)", async () => {
    await assertRefused(await signWithAttackerKey(header({ kid: attacker.kid, jwk: attacker.publicJwk }), claims()));
  });

  test("embedded jwk header with the attacker's key under the server's kid", async () => {
    await assertRefused(await signWithAttackerKey(header({ jwk: attacker.publicJwk }), claims()));
  });

  test("jku pointing at the attacker's JWKS; the server never fetches it", async () => {
    await assertRefused(await signWithAttackerKey(header({ kid: attacker.kid, jku: `${evilUrl}/jwks.json` }), claims()));
    await assertRefused(await signWithAttackerKey(header({ jku: `${evilUrl}/jwks.json` }), claims()));
    assert.equal(evilHits, 0);
  });

  test("x5u pointing elsewhere; the server never fetches it", async () => {
    await assertRefused(await signWithAttackerKey(header({ kid: attacker.kid, x5u: `${evilUrl}/cert.pem` }), claims()));
    assert.equal(evilHits, 0);
  });
});

describe("header and claim checks (signed with the server's real key)", () => {
  test("crit header naming an extension", async () => {
    await assertRefused(signWithServerKey(header({ crit: ["exp"] }), claims()));
  });

  test("crit with b64: false (RFC 7797)", async () => {
    await assertRefused(signWithServerKey(header({ crit: ["b64"], b64: false }), claims()));
  });

  test("expired a minute ago", async () => {
    await assertRefused(signWithServerKey(header(), claims({ iat: nowSeconds() - 960, exp: nowSeconds() - 60 })));
  });

  test("expires exactly now", async () => {
    await assertRefused(signWithServerKey(header(), claims({ exp: nowSeconds() })));
  });

  test("no exp", async () => {
    await assertRefused(signWithServerKey(header(), claims({ exp: undefined })));
  });

  test("exp as a string", async () => {
    await assertRefused(signWithServerKey(header(), claims({ exp: String(nowSeconds() + 600) })));
  });

  test("nbf an hour in the future", async () => {
    await assertRefused(signWithServerKey(header(), claims({ nbf: nowSeconds() + 3600 })));
  });

  test("iat garbage", async () => {
    await assertRefused(signWithServerKey(header(), claims({ iat: "yesterday" })));
  });

  test("wrong iss", async () => {
    await assertRefused(signWithServerKey(header(), claims({ iss: "https://evil.example" })));
  });

  test("iss with a trailing slash", async () => {
    await assertRefused(signWithServerKey(header(), claims({ iss: `${server.issuer}/` })));
  });

  test("wrong aud", async () => {
    await assertRefused(signWithServerKey(header(), claims({ aud: "https://another-api.example" })));
  });

  test("aud array without ours", async () => {
    await assertRefused(signWithServerKey(header(), claims({ aud: ["https://a.example", "https://b.example"] })));
  });

  test("missing typ", async () => {
    await assertRefused(signWithServerKey(header({ typ: undefined }), claims()));
  });

  test('typ "JWT"', async () => {
    await assertRefused(signWithServerKey(header({ typ: "JWT" }), claims()));
  });

  test('token-type confusion: typ "id_token+jwt", "dpop+jwt", "logout+jwt"', async () => {
    for (const typ of ["id_token+jwt", "dpop+jwt", "logout+jwt", "AT+JWT "]) await assertRefused(signWithServerKey(header({ typ }), claims()));
  });

  test("missing sub", async () => {
    await assertRefused(signWithServerKey(header(), claims({ sub: undefined })));
  });

  test("missing client_id", async () => {
    await assertRefused(signWithServerKey(header(), claims({ client_id: undefined })));
  });

  test("sid that is not a string", async () => {
    await assertRefused(signWithServerKey(header(), claims({ sid: 42 })));
  });

  test("sid of a session that does not exist", async () => {
    await assertRefused(signWithServerKey(header(), claims({ sid: "no-such-session" })));
  });

  test("alice's sub with bob's sid", async () => {
    await assertRefused(signWithServerKey(header(), claims({ sid: payloadOf(bob.access_token).sid })));
  });
});

describe("tokens of the wrong kind or of an ended session", () => {
  test("a token of a session ended by POST /auth/logout", async () => {
    const user = await server.signUpAndSignIn();
    await assertAcceptedFor(user);
    assert.equal((await server.request("POST", "/auth/logout", { token: user.access_token })).status, 204);
    await assertRefused(user.access_token);
  });

  test("a token of a disabled user", async () => {
    const user = await server.signUpAndSignIn();
    await server.tessera.parts.admin.users.setDisabled(user.userId, true, { id: "test" });
    await assertRefused(user.access_token);
  });

  test("a client_credentials token on /userinfo (no user session)", async () => {
    const { client, secret } = await server.tessera.parts.clients.register({ name: "Forgery service" });
    const res = await server.request<{ access_token: string }>("POST", "/oauth/token", {
      form: { grant_type: "client_credentials" },
      headers: { authorization: `Basic ${Buffer.from(`${client.id}:${secret!}`).toString("base64")}` },
    });
    assert.equal(res.status, 200, res.text);
    await assertRefused(res.body.access_token);
  });

  test("a refresh token used as a bearer token", async () => {
    await assertRefused(alice.refresh_token);
  });

  async function assertAcceptedFor(user: SignedIn) {
    assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 200);
  }
});

describe("malformed tokens and headers", () => {
  test("extra dot parts (four segments, and a JWE-like five)", async () => {
    await assertRefused(`${alice.access_token}.${enc("x")}`);
    await assertRefused(`${enc({ alg: "RSA-OAEP", enc: "A256GCM", kid: serverKid })}.a.b.c.d`);
  });

  test("standard base64 characters (+ / =) in a segment", async () => {
    const [h, p, s] = alice.access_token.split(".");
    await assertRefused(`${h}.${p}.${Buffer.from(s!, "base64url").toString("base64")}`);
    await assertRefused(`${h}.${p}+/.${s}`);
  });

  test("characters outside the b64token set", async () => {
    await assertRefused(`${alice.access_token.slice(0, 20)}!${alice.access_token.slice(21)}`);
    await assertRefused(`${alice.access_token}%00`);
  });

  test("payload that is not JSON, header that is a JSON array", async () => {
    await assertRefused(`${enc(header())}.${enc("hello")}.${enc("sig")}`);
    await assertRefused(`${enc([header()])}.${enc(claims())}.${enc("sig")}`);
    await assertRefused(`${enc(header())}.${enc([claims()])}.${enc("sig")}`);
  });

  test("a 10 KB token, properly signed by the server's key", async () => {
    const token = signWithServerKey(header(), claims({ padding: "x".repeat(7600) }));
    assert.ok(token.length > 10_000);
    await assertRefused(token);
  });

  test("empty bearer", async () => {
    await assertRefused("", "Bearer ");
    await assertRefused("", "Bearer");
  });

  test("other schemes and two tokens in one header", async () => {
    await assertRefused("", `DPoP ${alice.access_token}`);
    await assertRefused("", `Token ${alice.access_token}`);
    await assertRefused("", `Bearer ${alice.access_token}, Bearer ${bob.access_token}`);
  });

  test("random garbage", async () => {
    for (const junk of ["a", "a.b.c", "...", "eyJ.eyJ.eyJ", enc("{}"), randomUUID()]) await assertRefused(junk);
  });
});

// These move the server's clock or change its keys: keep them last.
describe("time and keys (run last)", () => {
  test("expired through the injected clock: accepted at 14:59, refused at 15:00", async () => {
    const user = await server.signUpAndSignIn();
    clock.advance(899_000);
    assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 200);
    clock.advance(1_000);
    await assertRefused(user.access_token);
    const res = await server.request<ErrorBody>("GET", "/userinfo", { token: user.access_token });
    assert.match(res.headers.get("www-authenticate")!, /error_description="The access token has expired\."/);
  });

  test("a token signed by a revoked signing key (compromise) is refused at once; new sign-ins use a new key", async () => {
    const user = await server.signUpAndSignIn();
    const kid = server.tessera.parts.keys.signingKey().kid;
    await server.tessera.parts.keys.revoke(kid);
    await assertRefused(user.access_token);
    const again = await server.request<{ access_token: string }>("POST", "/oauth/token", {
      form: { grant_type: "password", username: user.username, password: user.password },
    });
    assert.equal(again.status, 200);
    assert.notEqual(JSON.parse(Buffer.from(again.body.access_token.split(".")[0]!, "base64url").toString()).kid, kid);
    assert.equal((await server.request("GET", "/userinfo", { token: again.body.access_token })).status, 200);
  });
});
