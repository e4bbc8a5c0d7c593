// One table of bad tokens, run against `tessera/verify` and against the
// server's own Bearer check (`/userinfo`): both use one pipeline, and this
// table keeps them from drifting apart. Every row is signed with the server's
// real key unless its defect is the key, so each is refused for its one defect.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { signJws } from "../../src/core/tokens/access-tokens.js";
import { createVerifier, VerifyError, type Verifier } from "../../packages/verify/src/index.js";
import { startTestServer, testClock, type SignedIn, type TestServer } from "../helpers/server.js";
import { decodeJwtPayload } from "../helpers/tokens.js";

const clock = testClock();
let server: TestServer;
let alice: SignedIn;
let verifier: Verifier;

before(async () => {
  server = await startTestServer({ clock });
  alice = await server.signUpAndSignIn();
  const jwks = await server.request<{ keys: never[] }>("GET", "/.well-known/jwks.json");
  verifier = createVerifier({ issuer: server.issuer, keys: jwks.body, revocation: false, clock: clock.now, cache: false });
});
after(async () => { verifier.close(); await server.close(); });

const now = () => Math.floor(clock.now() / 1000);
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...decodeJwtPayload(alice.access_token), iat: now(), exp: now() + 600, jti: randomUUID(), ...overrides };
}
function signed(c: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const { kid, key } = server.tessera.parts.keys.signingKey();
  return signJws({ alg: "ES256", kid, typ: "at+jwt", ...header } as never, c, key);
}

const badTokens: [string, () => string, string][] = [
  ["wrong aud", () => signed(claims({ aud: "https://another-api.example" })), "ERR_CLAIM_INVALID"],
  ["wrong iss", () => signed(claims({ iss: "https://evil.example" })), "ERR_CLAIM_INVALID"],
  ["expired a minute ago", () => signed(claims({ iat: now() - 960, exp: now() - 60 })), "ERR_TOKEN_EXPIRED"],
  ["iat an hour in the future", () => signed(claims({ iat: now() + 3600 })), "ERR_TOKEN_NOT_YET_VALID"],
  ["typ JWT", () => signed(claims(), { typ: "JWT" }), "ERR_TYP_INVALID"],
  ["alg none", () => { const [h, p] = signed(claims(), { alg: "none" }).split("."); return `${h}.${p}.`; }, "ERR_TOKEN_MALFORMED"],
  ["unknown kid", () => signJws({ alg: "ES256", kid: "no-such-kid", typ: "at+jwt" }, claims(), generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey), "ERR_KEY_NOT_FOUND"],
  ["non-string roles", () => signed(claims({ roles: ["user", 7] })), "ERR_CLAIM_INVALID"],
  ["roles as a string", () => signed(claims({ roles: "admin" })), "ERR_CLAIM_INVALID"],
  ["amr with a non-string", () => signed(claims({ amr: ["pwd", { otp: true }] })), "ERR_CLAIM_INVALID"],
  ["missing client_id", () => signed(claims({ client_id: undefined })), "ERR_CLAIM_INVALID"],
  ["tampered signature", () => { const t = signed(claims()); return `${t.slice(0, t.lastIndexOf("."))}.${Buffer.alloc(64, 1).toString("base64url")}`; }, "ERR_SIGNATURE_INVALID"],
];

test("controls: a real token, and one dated 20 s ahead (another instance's clock), pass both", async () => {
  for (const token of [alice.access_token, signed(claims({ iat: now() + 20 }))]) {
    assert.equal((await verifier.verify(token)).sub, alice.userId);
    assert.equal((await server.request("GET", "/userinfo", { token })).status, 200);
  }
});

for (const [name, make, code] of badTokens) {
  test(`refused by both: ${name}`, async () => {
    const token = make();
    await assert.rejects(verifier.verify(token), (e: unknown) => e instanceof VerifyError && e.code === code);
    const res = await server.request<{ error: string }>("GET", "/userinfo", { token });
    assert.equal(res.status, 401, res.text);
    assert.equal(res.body.error, "invalid_token");
  });
}

test("the same bad tokens are inactive at introspection (wrong aud aside: it takes tokens for any API)", async () => {
  const { client, secret } = await server.tessera.parts.clients.register({ name: "Parity", confidential: true } as never);
  for (const [name, make] of badTokens.filter(([n]) => n !== "wrong aud")) {
    const res = await server.request<{ active: boolean }>("POST", "/oauth/introspect", {
      form: { token: make() }, headers: { authorization: `Basic ${Buffer.from(`${client.id}:${secret!}`).toString("base64")}` },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.active, false, name);
  }
});
