// The throttle's policy (issue #7 "Brute force and credential stuffing"), on its
// own: free attempts, exponential backoff with a cap, release, keys that keep
// one address from locking a user out everywhere, IPv6 by /64.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Backoff } from "../../src/core/backoff.js";
import { TesseraError } from "../../src/core/errors.js";
import { ipKey, Throttle } from "../../src/core/throttle.js";

const policy = (free: number) => ({ free, window: 3600, baseDelay: 1, maxDelay: 8 });
const wrong = () => Promise.reject(new TesseraError("invalid_grant", "The username or password is incorrect."));
const right = () => Promise.resolve("ok");

async function refusal(p: Promise<unknown>): Promise<TesseraError> {
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof TesseraError);
    return error;
  }
  throw new Error("expected a refusal");
}

describe("Backoff", () => {
  test("free attempts, then delays doubling from the base up to the cap", async () => {
    const b = new Backoff(`t${Math.random()}`, policy(2));
    const delays = [];
    for (let i = 0; i < 7; i++) delays.push(await b.count("k"));
    assert.deepEqual(delays, [0, 0, 1, 2, 4, 8, 8]);
    assert.ok((await b.retryAfter("k")) > 0);
    assert.equal(await b.retryAfter("other"), 0);
    await b.reset("k");
    assert.equal(await b.retryAfter("k"), 0);
    assert.equal(await b.count("k"), 0, "reset forgets the count too");
  });

  test("free = 0 turns the dimension off", async () => {
    const b = new Backoff(`t${Math.random()}`, policy(0));
    for (let i = 0; i < 5; i++) assert.equal(await b.count("k"), 0);
    assert.equal(await b.retryAfter("k"), 0);
  });
});

describe("Throttle.signIn", () => {
  const throttle = () => new Throttle({ signInAccount: policy(3), signInIp: policy(6), registerIp: policy(2), tokenIp: policy(2) });

  test("the account limit is keyed with the IP: another address still signs in", async () => {
    const t = throttle();
    for (let i = 0; i < 4; i++) await refusal(t.signIn("alice", "203.0.113.9", wrong));
    const blocked = await refusal(t.signIn("alice", "203.0.113.9", right));
    assert.equal(blocked.code, "too_many_requests");
    assert.equal(blocked.status, 429);
    assert.equal(blocked.retryAfter, 1);
    assert.equal(await t.signIn("alice", "198.51.100.7", right), "ok", "the real user elsewhere is not locked out");
    assert.equal(await t.signIn("ALICE ", "198.51.100.7", right), "ok", "names are compared normalised");
  });

  test("only credential failures count; a success resets the account+IP count but not the IP's", async () => {
    const t = throttle();
    for (let i = 0; i < 3; i++) await refusal(t.signIn("bob", "192.0.2.1", () => Promise.reject(new TesseraError("invalid_scope", "x"))));
    assert.equal(await t.signIn("bob", "192.0.2.1", right), "ok");
    for (let i = 0; i < 3; i++) await refusal(t.signIn("bob", "192.0.2.1", wrong));
    assert.equal(await t.signIn("bob", "192.0.2.1", right), "ok");
    for (let i = 0; i < 3; i++) await refusal(t.signIn("bob", "192.0.2.1", wrong)); // 3 more: under the account limit again
    const e = await refusal(t.signIn("carol", "192.0.2.1", wrong)); // 7th failure from the address, any account
    assert.equal(e.code, "invalid_grant");
    assert.equal((await refusal(t.signIn("dave", "192.0.2.1", right))).code, "too_many_requests", "the IP limit covers every account");
  });

  test("a blocked attempt does not run the check (no password hashed)", async () => {
    const t = throttle();
    for (let i = 0; i < 4; i++) await refusal(t.signIn("erin", "192.0.2.50", wrong));
    let ran = false;
    await refusal(t.signIn("erin", "192.0.2.50", async () => { ran = true; return "ok"; }));
    assert.equal(ran, false);
  });

  test("registration counts every attempt; token redemption counts refusals only", async () => {
    const t = throttle();
    for (let i = 0; i < 3; i++) assert.equal(await t.registration("192.0.2.9", right), "ok");
    assert.equal((await refusal(t.registration("192.0.2.9", right))).code, "too_many_requests");
    for (let i = 0; i < 5; i++) assert.equal(await t.tokenRedemption("192.0.2.9", right), "ok");
    for (let i = 0; i < 3; i++) await refusal(t.tokenRedemption("192.0.2.9", wrong));
    assert.equal((await refusal(t.tokenRedemption("192.0.2.9", right))).code, "too_many_requests");
  });
});

test("ipKey: IPv4 as is, IPv4-mapped IPv6 unwrapped, IPv6 by /64", () => {
  assert.equal(ipKey("203.0.113.9"), "203.0.113.9");
  assert.equal(ipKey("::ffff:203.0.113.9"), "203.0.113.9");
  assert.equal(ipKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(ipKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  assert.equal(ipKey("2001:db8::1"), "2001:db8:0:0::/64");
  assert.equal(ipKey("::1"), "0:0:0:0::/64");
  assert.equal(ipKey(undefined), "unknown");
});
