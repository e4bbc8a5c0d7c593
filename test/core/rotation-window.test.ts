// Two rotations inside one publish window: every superseded key must get its
// retire and unpublish times, or it stays in the JWKS forever (docs/keys.md).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { AuthEvents } from "../../src/core/events.js";
import { KeyRing } from "../../src/core/keys/key-ring.js";
import { KeyRotation } from "../../src/core/keys/key-rotation.js";
import { openSqliteStore } from "../../src/store/index.js";
import { testClock } from "../helpers/server.js";

const PUBLISH_AHEAD = 300_000;
const LIFETIME = 900_000;

async function setup() {
  const clock = testClock();
  const store = await openSqliteStore({ filename: ":memory:" });
  const keys = new KeyRing({ store, sealingKey: randomBytes(32), alg: "ES256", publishAheadMs: PUBLISH_AHEAD, tokenLifetimeMs: LIFETIME, now: clock.now });
  await keys.load();
  const rotation = new KeyRotation({ keys, events: new AuthEvents(), now: clock.now, rotationDays: 0 });
  return { clock, store, keys, rotation };
}

test("two rotations a second apart: the middle key retires when the last one signs, and leaves the JWKS after its tokens expire", async () => {
  const { clock, store, keys, rotation } = await setup();
  const first = keys.signingKey().kid;
  const middle = (await rotation.rotate("test")).kid;
  clock.advance(1000);
  const last = (await rotation.rotate("test")).kid;
  const rows = new Map((await store.listSigningKeys()).map((r) => [r.kid, r]));
  const lastRow = rows.get(last)!;
  assert.equal(rows.get(middle)!.retires_at, lastRow.activates_at, "the middle key stops signing when the last one starts");
  assert.equal(rows.get(middle)!.expires_at, lastRow.activates_at + LIFETIME, "and is unpublished a token lifetime later");
  assert.equal(rows.get(first)!.retires_at, rows.get(middle)!.activates_at, "the first key retires when its successor starts");
  assert.equal(lastRow.retires_at, null, "the newest key has no end yet");

  // Walk the whole window: the middle key signs for one second, then everything but the last key goes.
  clock.advance(PUBLISH_AHEAD - 1000);
  assert.equal(keys.signingKey().kid, middle);
  clock.advance(1000);
  assert.equal(keys.signingKey().kid, last);
  clock.advance(LIFETIME);
  assert.deepEqual((await rotation.tick()).deleted.sort(), [first, middle].sort());
  assert.deepEqual(keys.jwks().keys.map((k) => k.kid), [last]);
  await store.close();
});

test("the key tick mends a store left with a superseded key that never retires", async () => {
  const { clock, store, keys, rotation } = await setup();
  await rotation.rotate("test");
  clock.advance(1000);
  const last = await rotation.rotate("test");
  // The state the old code left: the middle key with no retire or unpublish time.
  const middle = (await store.listSigningKeys()).find((r) => r.kid !== last.kid && r.activates_at > clock.now() - 1000)!;
  await store.updateSigningKey(middle.kid, { retires_at: null, expires_at: null });
  await keys.load();
  assert.equal(keys.rows().find((r) => r.kid === middle.kid)!.expires_at, null);

  await rotation.tick();
  const mended = (await store.listSigningKeys()).find((r) => r.kid === middle.kid)!;
  assert.equal(mended.retires_at, last.activates_at);
  assert.equal(mended.expires_at, last.activates_at + LIFETIME);
  clock.advance(PUBLISH_AHEAD + LIFETIME);
  assert.ok((await rotation.tick()).deleted.includes(middle.kid), "and once its tokens are gone it is deleted");
  await store.close();
});

test("a revoked successor retires nothing: the key it would have replaced keeps signing", async () => {
  const { store, keys, rotation } = await setup();
  const first = keys.signingKey().kid;
  const pending = (await rotation.rotate("test")).kid;
  await rotation.revoke(pending, "test"); // the waiting key leaked before it ever signed
  await store.updateSigningKey(first, { retires_at: null, expires_at: null });
  await rotation.tick();
  const row = (await store.listSigningKeys()).find((r) => r.kid === first)!;
  assert.equal(row.retires_at, null);
  assert.equal(row.expires_at, null);
  assert.equal(keys.signingKey().kid, first);
  await store.close();
});
