// Property-based fuzzing of the server's access-token check:
// whatever string arrives as a token, it answers claims or throws a
// TesseraError — never a TypeError, never a crash — and a token is accepted
// only when genuinely signed by our key with well-formed claims. Signed tokens
// with arbitrary claims check the claim validation behind a valid signature,
// where a parser is most tempted to trust types. The check is the verification
// library's pipeline over the key ring (src/core/tokens/access-tokens.ts).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { TesseraError } from "../../src/core/errors.js";
import { KeyRing } from "../../src/core/keys/key-ring.js";
import { looksLikeRefreshToken } from "../../src/core/sessions/refresh-token-format.js";
import { AccessTokens, signJws } from "../../src/core/tokens/access-tokens.js";
import { bearerToken } from "../../src/server/shared/authenticate.js";
import { openSqliteStore, type Store } from "../../src/store/index.js";
import type { FastifyRequest } from "fastify";

const ISSUER = "https://issuer.test";
let store: Store;
let keys: KeyRing;
let tokens: AccessTokens;
let valid: string;
const RUNS = { numRuns: 400 };

before(async () => {
  store = await openSqliteStore({ filename: ":memory:" });
  keys = new KeyRing({ store, sealingKey: randomBytes(32), alg: "ES256", publishAheadMs: 0, tokenLifetimeMs: 900_000, now: Date.now });
  await keys.load();
  tokens = new AccessTokens({ keys, issuer: ISSUER, audience: ISSUER, now: Date.now, cacheSize: 0 });
  valid = tokens.issue({ sub: "u1", clientId: "c1", sid: "s1", scope: "openid", roles: ["user"], ttlSeconds: 900 }).token;
});
after(() => store.close());

/** Runs the check; passes if it returned claims of the right types or threw invalid_token. */
async function verifyIsSafe(token: string): Promise<"accepted" | "refused"> {
  try {
    const c = await tokens.verifyReloadingKeys(token);
    assert.equal(typeof c.sub, "string");
    assert.equal(typeof c.client_id, "string");
    assert.equal(typeof c.exp, "number");
    assert.equal(typeof c.iat, "number");
    assert.ok(Array.isArray(c.roles) && c.roles.every((r) => typeof r === "string"));
    assert.ok(c.amr === undefined || (Array.isArray(c.amr) && c.amr.every((m) => typeof m === "string")));
    assert.equal(typeof c.scope, "string");
    return "accepted";
  } catch (error) {
    if (!(error instanceof TesseraError)) throw error;
    assert.equal(error.code, "invalid_token");
    return "refused";
  }
}

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const segment = fc.oneof(fc.string(), fc.base64String().map((s) => s.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")), fc.jsonValue().map(b64));

const signatureBytes = (token: string): string => Buffer.from(token.split(".")[2] ?? "", "base64url").toString("hex");

test("the check refuses garbage with invalid_token and nothing else, whatever the string", async () => {
  const garbage = fc.oneof(
    fc.string({ maxLength: 400 }), fc.string({ unit: "binary", maxLength: 200 }),
    fc.array(segment, { minLength: 1, maxLength: 5 }).map((p) => p.join(".")),
  );
  await fc.assert(fc.asyncProperty(garbage, async (s) => {
    assert.equal(await verifyIsSafe(s), "refused");
  }), RUNS);
});

test("any change to a valid token is refused", async () => {
  await fc.assert(fc.asyncProperty(fc.nat(valid.length - 1), fc.constantFrom(..."ABCabc012-_."), async (at, c) => {
    fc.pre(valid[at] !== c);
    const mutated = valid.slice(0, at) + c + valid.slice(at + 1);
    // Changing only the unused low bits of the last base64url character can leave the bytes equal.
    fc.pre(at < valid.lastIndexOf(".") || mutated.split(".").length !== 3 || signatureBytes(mutated) !== signatureBytes(valid));
    assert.equal(await verifyIsSafe(mutated), "refused");
  }), RUNS);
});

test("headers of every shape with our signature: only ours with typ at+jwt pass", async () => {
  const [, payload] = valid.split(".");
  const { kid, key } = keys.signingKey();
  const header = fc.record({
    alg: fc.oneof(fc.constantFrom("ES256", "none", "HS256", "RS256", "EdDSA", "es256"), fc.jsonValue()),
    kid: fc.oneof(fc.constant(kid), fc.string(), fc.jsonValue()),
    typ: fc.oneof(fc.constantFrom("at+jwt", "JWT", "application/at+jwt"), fc.jsonValue()),
    crit: fc.option(fc.array(fc.string()), { nil: undefined }),
    jwk: fc.option(fc.jsonValue(), { nil: undefined }),
  }, { requiredKeys: [] });
  await fc.assert(fc.asyncProperty(header, async (h) => {
    const input = `${b64(h)}.${payload}`;
    const forged = `${input}.${signJws({ alg: "ES256" }, {}, key).split(".")[2]}`;
    assert.equal(await verifyIsSafe(forged), "refused", "a signature over other bytes never verifies");
    const signed = (() => { try { return signJws({ ...(h as object), alg: "ES256" } as never, JSON.parse(Buffer.from(payload!, "base64url").toString()) as object, key); } catch { return undefined; } })();
    if (signed) {
      const outcome = await verifyIsSafe(signed);
      // RFC 9068 §4: the media type compares without case.
      const typ = typeof h.typ === "string" ? h.typ.toLowerCase() : undefined;
      const ok = h.kid === kid && (typ === "at+jwt" || typ === "application/at+jwt") && h.crit === undefined;
      assert.equal(outcome, ok ? "accepted" : "refused", JSON.stringify(h));
    }
  }), RUNS);
});

test("claims of every type behind a valid signature: accepted only when well-formed", async () => {
  const { kid, key } = keys.signingKey();
  const now = Math.floor(Date.now() / 1000);
  const claims = fc.record({
    iss: fc.oneof(fc.constant(ISSUER), fc.jsonValue()), aud: fc.oneof(fc.constant(ISSUER), fc.constant([ISSUER, "x"]), fc.jsonValue()),
    sub: fc.oneof(fc.string(), fc.jsonValue()), exp: fc.oneof(fc.constant(now + 600), fc.constant(now - 1), fc.jsonValue()),
    iat: fc.oneof(fc.constant(now), fc.jsonValue()), nbf: fc.option(fc.oneof(fc.constant(now + 600), fc.jsonValue()), { nil: undefined }),
    client_id: fc.oneof(fc.string(), fc.jsonValue()), sid: fc.option(fc.oneof(fc.string(), fc.jsonValue()), { nil: undefined }),
    scope: fc.jsonValue(), roles: fc.jsonValue(), jti: fc.jsonValue(), amr: fc.jsonValue(), auth_time: fc.jsonValue(),
  }, { requiredKeys: [] });
  await fc.assert(fc.asyncProperty(claims, async (c) => {
    await verifyIsSafe(signJws({ alg: "ES256", kid, typ: "at+jwt" }, c, key));
  }), RUNS);
});

test("roles, amr and auth_time behind a valid signature: a wrong type anywhere is refused, never filtered", async () => {
  const { kid, key } = keys.signingKey();
  const base = JSON.parse(Buffer.from(valid.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
  const strings = fc.array(fc.string(), { maxLength: 3 });
  const withStranger = fc.tuple(strings, fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.object()), strings).map(([a, x, b]) => [...a, x, ...b]);
  const claim = fc.oneof(
    fc.record({ roles: strings }), fc.record({ amr: strings }), fc.record({ auth_time: fc.integer() }),
    fc.record({ roles: withStranger }), fc.record({ amr: withStranger }), fc.record({ auth_time: fc.oneof(fc.string(), fc.array(fc.integer())) }),
  );
  let refused = 0;
  await fc.assert(fc.asyncProperty(claim, async (c) => {
    const wellTyped = Object.entries(c).every(([claim, v]) => claim === "auth_time" ? typeof v === "number" : Array.isArray(v) && v.every((x) => typeof x === "string"));
    const outcome = await verifyIsSafe(signJws({ alg: "ES256", kid, typ: "at+jwt" }, { ...base, ...c }, key));
    assert.equal(outcome, wellTyped ? "accepted" : "refused", JSON.stringify(c));
    if (outcome === "refused") refused++;
  }), RUNS);
  assert.ok(refused > 0, "refusals drawn");
});

test("iss and aud behind a valid signature: accepted exactly when they name this server, refused otherwise", async () => {
  const { kid, key } = keys.signingKey();
  // Everything else as the server itself issues it: only iss and aud vary.
  const base = JSON.parse(Buffer.from(valid.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
  const issuer = fc.oneof(fc.constant(ISSUER), fc.constant(`${ISSUER}/`), fc.constant("https://other.test"), fc.string(), fc.jsonValue());
  const audience = fc.oneof(
    fc.constant(ISSUER), fc.constant([ISSUER, "x"]), fc.constant(["x", ISSUER]), fc.constant("https://api.other.test"),
    fc.constant([]), fc.array(fc.string(), { maxLength: 3 }), fc.string(), fc.jsonValue(),
  );
  let refused = 0;
  let accepted = 0;
  await fc.assert(fc.asyncProperty(issuer, audience, async (iss, aud) => {
    // An audience list counts when it is a list of strings holding ours.
    const names = iss === ISSUER && (aud === ISSUER || (Array.isArray(aud) && aud.includes(ISSUER) && aud.every((a) => typeof a === "string")));
    const outcome = await verifyIsSafe(signJws({ alg: "ES256", kid, typ: "at+jwt" }, { ...base, iss, aud }, key));
    assert.equal(outcome, names ? "accepted" : "refused", JSON.stringify({ iss, aud }));
    if (outcome === "refused") refused++;
    else accepted++;
  }), RUNS);
  assert.ok(refused > 0 && accepted > 0, `both outcomes drawn (${accepted} accepted, ${refused} refused)`);
});

test("refresh-token shape check and the Authorization header parser never throw anything but TesseraError", () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
    assert.equal(typeof looksLikeRefreshToken(s), "boolean");
    try {
      const token = bearerToken({ headers: { authorization: s } } as unknown as FastifyRequest);
      assert.ok(token === null || /^[A-Za-z0-9\-._~+/]+=*$/.test(token));
    } catch (error) {
      assert.ok(error instanceof TesseraError && error.code === "invalid_token", String(error));
    }
  }), RUNS);
});

// The exact rules, one at a time, on a verifier with its cache on and the time
// in the test's hands: what the properties above draw only by chance.
describe("exact checks, with the cache on and an injected clock", () => {
  let nowMs = Date.UTC(2030, 0, 1, 12);
  const now = () => nowMs;
  let ringStore: Store;
  let ring: KeyRing;
  let cached: AccessTokens;
  before(async () => {
    ringStore = await openSqliteStore({ filename: ":memory:" });
    ring = new KeyRing({ store: ringStore, sealingKey: randomBytes(32), alg: "ES256", publishAheadMs: 0, tokenLifetimeMs: 900_000, now });
    await ring.load();
    cached = new AccessTokens({ keys: ring, issuer: ISSUER, audience: ISSUER, now });
  });
  after(() => ringStore.close());
  const seconds = () => Math.floor(nowMs / 1000);
  const sign = (claims: Record<string, unknown>) => {
    const { kid, key } = ring.signingKey();
    return signJws({ alg: "ES256", kid, typ: "at+jwt" }, { iss: ISSUER, aud: ISSUER, sub: "u1", client_id: "c1", iat: seconds(), exp: seconds() + 60, ...claims }, key);
  };
  const refusal = async (token: string, options?: { anyAudience?: boolean }) => {
    try {
      await cached.verifyReloadingKeys(token, options);
      return "accepted";
    } catch (error) {
      assert.ok(error instanceof TesseraError && error.code === "invalid_token", String(error));
      return "refused";
    }
  };
  const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()) as { kid: string }).kid;

  test("a token is good up to the second before exp and refused at exp, also when the cache holds it", async () => {
    const token = sign({ exp: seconds() + 10 });
    assert.equal(await refusal(token), "accepted");
    nowMs += 9_999;
    assert.equal(await refusal(token), "accepted", "the cached claims, one millisecond before exp");
    nowMs += 1;
    assert.equal(await refusal(token), "refused", "exactly at exp: refused, though the cache held it");
    const fresh = sign({ exp: seconds() });
    assert.equal(await refusal(fresh), "refused", "exp equal to now, never seen before");
  });

  test("a cached token stops verifying the moment its key is revoked", async () => {
    const token = sign({});
    assert.equal(await refusal(token), "accepted");
    await ring.revoke(kidOf(token));
    assert.equal(await refusal(token), "refused");
  });

  test("nbf and iat: refused beyond the clock tolerance in the future, accepted within it", async () => {
    assert.equal(await refusal(sign({ nbf: seconds() + 31 })), "refused");
    assert.equal(await refusal(sign({ nbf: seconds() + 30 })), "accepted");
    assert.equal(await refusal(sign({ iat: seconds() + 31 })), "refused", "a token dated in the future");
    assert.equal(await refusal(sign({ iat: seconds() + 30 })), "accepted");
  });

  test("each required claim missing or of the wrong type is refused; sid, when present, must be a string", async () => {
    assert.equal(await refusal(sign({})), "accepted", "the control");
    for (const claim of ["iat", "sub", "client_id", "exp"]) {
      assert.equal(await refusal(sign({ [claim]: undefined })), "refused", `no ${claim}`);
      assert.equal(await refusal(sign({ [claim]: claim === "sub" || claim === "client_id" ? 7 : "7" })), "refused", `${claim} of the wrong type`);
    }
    assert.equal(await refusal(sign({ sid: 7 })), "refused");
    assert.equal(await refusal(sign({ sid: "s1" })), "accepted");
  });

  test("another audience: refused for the server's own routes, accepted where any audience is taken (revocation, introspection)", async () => {
    const forApi = sign({ aud: "https://api.example" });
    assert.equal(await refusal(forApi), "refused");
    assert.equal(await refusal(forApi, { anyAudience: true }), "accepted");
    assert.equal(await refusal(forApi), "refused", "once accepted with anyAudience, still refused without it (the cache keeps no verdict on audience)");
    assert.equal(await refusal(sign({ aud: 7 }), { anyAudience: true }), "refused", "an audience that is not a string is refused everywhere");
    assert.equal(await refusal(sign({ aud: ["x", ISSUER] })), "accepted", "an array holding ours is ours");
  });

  test("nbf of the wrong type, an empty sub, an audience list with a non-string beside ours: each refused", async () => {
    for (const nbf of ["7", null, [seconds()]]) assert.equal(await refusal(sign({ nbf })), "refused", `nbf ${JSON.stringify(nbf)}`);
    assert.equal(await refusal(sign({ nbf: seconds() })), "accepted", "the control: a numeric nbf of now");
    assert.equal(await refusal(sign({ sub: "" })), "refused", "an empty subject names nobody");
    for (const aud of [[ISSUER, 7], [null, ISSUER]]) {
      assert.equal(await refusal(sign({ aud })), "refused", `aud ${JSON.stringify(aud)}`);
      assert.equal(await refusal(sign({ aud }), { anyAudience: true }), "refused", `aud ${JSON.stringify(aud)}, any audience`);
    }
  });

  test("the claims handed back carry aud as signed: a string stays that string, a list is a frozen copy", async () => {
    assert.equal((await cached.verifyReloadingKeys(sign({}))).aud, ISSUER);
    const listed = await cached.verifyReloadingKeys(sign({ aud: ["https://api.example", ISSUER] }));
    assert.deepEqual(listed.aud, ["https://api.example", ISSUER]);
    assert.ok(Object.isFrozen(listed.aud), "a guard cannot add an audience to the claims it was given");
  });

  test("a key another instance created a moment ago verifies at once (the unknown kid reloads the ring); a kid in no store stays refused", async () => {
    const shared = await openSqliteStore({ filename: ":memory:" });
    try {
      const sealingKey = randomBytes(32);
      const options = { store: shared, sealingKey, alg: "ES256" as const, publishAheadMs: 0, tokenLifetimeMs: 900_000, now };
      const here = new KeyRing(options);
      await here.load();
      const verifier = new AccessTokens({ keys: here, issuer: ISSUER, audience: ISSUER, now });
      const there = new KeyRing(options);
      await there.load();
      nowMs += 1_000;
      const created = await there.rotate(); // publishAheadMs 0: it signs from now on
      const { kid, key } = there.signingKey();
      assert.equal(kid, created.kid);
      assert.equal(here.verificationKey(kid), undefined, "this instance has not loaded it yet");
      const claims = { iss: ISSUER, aud: ISSUER, sub: "u1", client_id: "c1", iat: seconds(), exp: seconds() + 60 };
      const token = signJws({ alg: "ES256", kid, typ: "at+jwt" }, claims, key);
      assert.equal((await verifier.verifyReloadingKeys(token)).sub, "u1");
      const unknown = signJws({ alg: "ES256", kid: "no-such-kid", typ: "at+jwt" }, claims, key);
      await assert.rejects(verifier.verifyReloadingKeys(unknown), (e) => e instanceof TesseraError && e.code === "invalid_token");
    } finally {
      await shared.close();
    }
  });

  test("a claim of the wrong type is refused, never filtered: roles, scope, jti, amr", async () => {
    assert.equal(await refusal(sign({ roles: ["admin"], scope: "openid", jti: "j1", amr: ["pwd"] })), "accepted", "the control");
    for (const bad of [{ roles: ["admin", 7, null] }, { scope: 7 }, { jti: 7 }, { amr: ["pwd", 1] }]) {
      assert.equal(await refusal(sign(bad)), "refused", JSON.stringify(bad));
    }
  });
});
