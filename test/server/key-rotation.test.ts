// Key rotation on a schedule with an injected
// clock: the next key is published before it signs, the retired key stays in
// JWKS until its last token expired and is then deleted; a compromised key is
// revoked at once (its tokens refused, cached ones included); a rotation made
// by another process (the CLI) reaches the running server at the next tick.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createTessera } from "../../src/core/tessera.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { kidOf } from "../helpers/tokens.js";

const DAY = 86_400_000;
const clock = testClock();
let server: TestServer;

before(async () => { server = await startTestServer({ clock, config: { keyRotationDays: 90, accessTokenTtlSeconds: 900, jwksMaxAgeSeconds: 300 } }); });
after(() => server.close());

const published = async () => (await server.request<{ keys: Array<{ kid: string }> }>("GET", "/.well-known/jwks.json")).body.keys.map((k) => k.kid).sort();

test("not due before 90 days; due after: published now, signs after the JWKS max-age, old key deleted after its last token", async () => {
  const first = server.tessera.parts.keys.signingKey().kid;
  clock.advance(89 * DAY);
  assert.deepEqual(await server.tessera.parts.keyRotation.tick(), { deleted: [] });
  clock.advance(1 * DAY);
  const user = await server.signUpAndSignIn("rotation-user", "some long phrase");
  const { rotated } = await server.tessera.parts.keyRotation.tick();
  assert.ok(rotated && rotated !== first);
  assert.deepEqual(await published(), [first, rotated].sort(), "published before it signs");
  assert.equal(server.tessera.parts.keys.signingKey().kid, first, "the old key signs during the publish window");
  assert.deepEqual(await server.tessera.parts.keyRotation.tick(), { deleted: [] }, "a pending rotation is not repeated");
  clock.advance(300_000);
  const later = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } });
  assert.equal(kidOf(later.body.access_token), rotated, "the new key signs");
  assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 200, "a token of the old key still verifies");
  clock.advance(899_000);
  assert.deepEqual((await server.tessera.parts.keyRotation.tick()).deleted, [], "kept until the last token signed with it has expired");
  clock.advance(1_000);
  assert.deepEqual((await server.tessera.parts.keyRotation.tick()).deleted, [first]);
  assert.deepEqual(await published(), [rotated]);
});

test("a compromised key is revoked at once: its tokens are refused, even one already verified and cached", async () => {
  const user = await server.signUpAndSignIn("revocation-user", "some long phrase");
  assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 200); // now in the verified-token cache
  const compromised = kidOf(user.access_token);
  await server.tessera.parts.keyRotation.revoke(compromised, "test");
  const res = await server.request<{ error: string }>("GET", "/userinfo", { token: user.access_token });
  assert.equal(res.status, 401);
  assert.equal(res.body.error, "invalid_token");
  assert.ok(!(await published()).includes(compromised));
  const fresh = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username: user.username, password: user.password } });
  assert.notEqual(kidOf(fresh.body.access_token), compromised, "a new key signs at once");
  assert.equal((await server.request("GET", "/userinfo", { token: fresh.body.access_token })).status, 200);
});

test("a rotation by another process (the CLI) is published by the running server at its next tick", async () => {
  const cli = await createTessera(server.tessera.config, { now: clock.now });
  const row = await cli.parts.keyRotation.rotate("cli");
  await cli.close();
  assert.ok(!(await published()).includes(row.kid));
  await server.tessera.parts.keyRotation.tick();
  assert.ok((await published()).includes(row.kid));
});

test("TESSERA_KEY_ROTATION_DAYS=0 never rotates", async () => {
  const manual = await startTestServer({ clock: testClock(), config: { keyRotationDays: 0 } });
  try {
    manual.clock!.advance(10_000 * DAY);
    assert.equal(manual.tessera.parts.keyRotation.rotationDue(), false);
  } finally {
    await manual.close();
  }
});
