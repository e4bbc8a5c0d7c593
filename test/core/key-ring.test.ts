// Signing-key lifecycle: publish before signing, retire, prune, revoke (docs/keys.md).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { KeyRing } from "../../src/core/keys/key-ring.js";
import { openSqliteStore } from "../../src/store/index.js";
import { testClock } from "../helpers/server.js";

async function ring() {
  const clock = testClock();
  const sealingKey = randomBytes(32);
  const store = await openSqliteStore({ filename: ":memory:" });
  const keys = new KeyRing({ store, sealingKey, alg: "ES256", publishAheadMs: 300_000, tokenLifetimeMs: 900_000, now: clock.now });
  await keys.load();
  return { clock, store, keys, sealingKey };
}

const kids = (keys: KeyRing) => keys.jwks().keys.map((k) => k.kid).sort();

test("the first start makes one key that signs at once", async () => {
  const { keys, store } = await ring();
  assert.equal(keys.jwks().keys.length, 1);
  assert.equal(keys.signingKey().kid, keys.jwks().keys[0]!.kid);
  await store.close();
});

test("rotation publishes the next key before it signs, and unpublishes the old one after its last token expired", async () => {
  const { keys, clock, store } = await ring();
  const first = keys.signingKey().kid;
  const next = (await keys.rotate()).kid;
  assert.deepEqual(kids(keys), [first, next].sort(), "both published");
  assert.equal(keys.signingKey().kid, first, "the old key still signs during the publish window");
  clock.advance(300_000);
  assert.equal(keys.signingKey().kid, next, "the new key signs once every cache has seen it");
  assert.ok(keys.verificationKey(first), "tokens of the old key still verify");
  clock.advance(900_000);
  assert.deepEqual(await keys.prune(), [first]);
  assert.deepEqual(kids(keys), [next]);
  assert.equal(keys.verificationKey(first), undefined);
  await store.close();
});

test("a revoked key is refused at once and a fresh key signs, never a retired one", async () => {
  const { keys, clock, store } = await ring();
  const first = keys.signingKey().kid;
  await keys.rotate();
  clock.advance(300_000);
  const second = keys.signingKey().kid;
  await keys.revoke(second);
  assert.equal(keys.verificationKey(second), undefined);
  assert.ok(!kids(keys).includes(second));
  const third = keys.signingKey().kid;
  assert.notEqual(third, second);
  assert.notEqual(third, first, "the retired key does not come back");
  await store.close();
});

test("a second instance loading the same store sees the published key", async () => {
  const { keys, store, clock, sealingKey } = await ring();
  const other = new KeyRing({ store, sealingKey, alg: "ES256", publishAheadMs: 300_000, tokenLifetimeMs: 900_000, now: clock.now });
  const next = (await keys.rotate()).kid;
  await other.load();
  assert.ok(kids(other).includes(next));
  await store.close();
});
