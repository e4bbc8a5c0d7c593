// The throttle's rules, as one suite every counter store must pass: this
// process's memory (throttle.test.ts) and Redis (throttle.redis.test.ts).
// Time is the injected clock only: nothing here sleeps.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CounterStore } from "../../src/core/abuse/backoff.js";
import { TesseraError } from "../../src/core/errors.js";
import { Throttle, type Dimension, type ThrottlePolicy } from "../../src/core/abuse/throttle.js";
import { testClock, type TestClock } from "../helpers/server.js";

const timing = { windowSeconds: 3600, baseDelaySeconds: 1, maxDelaySeconds: 8 };
export function policyOf(free: Partial<Record<Dimension, number>> = {}): ThrottlePolicy {
  const all: Dimension[] = ["signInAccount", "signInIp", "registerIp", "tokenIp", "secondFactorAccount", "emailCodeAccount", "emailSendAddress", "emailSendIp"];
  return Object.fromEntries(all.map((d) => [d, { free: free[d] ?? 3, ...timing }])) as ThrottlePolicy;
}

export const wrong = () => Promise.reject(new TesseraError("invalid_grant", "The username or password is incorrect."));
export const right = () => Promise.resolve("ok");

export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (error) {
    assert.ok(error instanceof TesseraError, String(error));
    return error.code;
  }
}

async function retryAfterOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof TesseraError && error.code === "too_many_requests", String(error));
    return error.retryAfter;
  }
  return undefined;
}

let unique = 0;
/** A key no other test (or earlier run on a shared Redis) has used. */
const fresh = (label: string) => `${label}-${process.pid}-${Date.now()}-${++unique}`;

export function throttleConformance(store: () => CounterStore): void {
  const make = (free: Partial<Record<Dimension, number>> = {}, clock: TestClock = testClock()) => ({ t: new Throttle(policyOf(free), store(), clock.now), clock });

  describe("reserving before the work", () => {
    test("Promise.all of 30 reservations: exactly the free number get a slot, the rest are refused with a Retry-After", async () => {
      const { t } = make({ secondFactorAccount: 5 });
      const key = fresh("burst");
      const results = await Promise.all(Array.from({ length: 30 }, () => t.reserve("secondFactorAccount", key).then(() => "slot", (e: TesseraError) => `${e.code}:${e.retryAfter}`)));
      assert.equal(results.filter((r) => r === "slot").length, 5);
      assert.equal(results.filter((r) => r === "too_many_requests:1").length, 25);
    });

    test("Promise.all of 30 guarded guesses: at most the free number run the check", async () => {
      const { t } = make({ signInAccount: 4, signInIp: 100 });
      let checks = 0;
      const guess = () => t.signIn("victim", "203.0.113.77", async () => { checks++; await new Promise((r) => setImmediate(r)); return wrong(); });
      const codes = await Promise.all(Array.from({ length: 30 }, () => codeOf(guess())));
      assert.equal(checks, 4);
      assert.equal(codes.filter((c) => c === "invalid_grant").length, 4);
      assert.equal(codes.filter((c) => c === "too_many_requests").length, 26);
    });

    test("an attempt in flight holds its slot; releasing it frees the slot, keeping it counts", async () => {
      const { t } = make({ emailCodeAccount: 2 });
      const key = fresh("inflight");
      const a = await t.reserve("emailCodeAccount", key);
      const b = await t.reserve("emailCodeAccount", key);
      assert.equal(await codeOf(t.reserve("emailCodeAccount", key)), "too_many_requests", "two in flight take both free attempts");
      await a.release();
      const c = await t.reserve("emailCodeAccount", key);
      await b.keep();
      await c.release();
      const d = await t.reserve("emailCodeAccount", key);
      await d.keep(); // the 2nd counted attempt: the key blocks
      assert.equal(await codeOf(t.reserve("emailCodeAccount", key)), "too_many_requests");
    });

    test("settling twice does nothing the second time", async () => {
      const { t } = make({ emailSendIp: 2 });
      const key = fresh("twice");
      const a = await t.reserve("emailSendIp", key);
      await a.keep();
      await a.keep();
      await a.release();
      const b = await t.reserve("emailSendIp", key);
      await b.release();
      assert.equal(await codeOf(t.reserve("emailSendIp", key).then((s) => s.release())), "ok", "one count, not two");
    });

    test("a reservation never settled (its process died) frees its slot when its lease ends", async () => {
      const { t, clock } = make({ secondFactorAccount: 1 });
      const key = fresh("lease");
      await t.reserve("secondFactorAccount", key); // never settled
      assert.equal(await codeOf(t.reserve("secondFactorAccount", key)), "too_many_requests");
      clock.advance(59_999);
      assert.equal(await codeOf(t.reserve("secondFactorAccount", key)), "too_many_requests", "the lease's last millisecond");
      clock.advance(1);
      assert.equal(await codeOf(t.reserve("secondFactorAccount", key).then((s) => s.release())), "ok", "its end: the slot is free");
    });

    test("counted attempts and attempts in flight share the free allowance, until the window ends", async () => {
      const { t, clock } = make({ secondFactorAccount: 3 });
      const key = fresh("shared");
      const burst = () => Promise.all(Array.from({ length: 3 }, () => t.reserve("secondFactorAccount", key).then(
        (s) => s.release().then(() => "slot"), (e: TesseraError) => e.code)));
      for (let i = 0; i < 2; i++) await (await t.reserve("secondFactorAccount", key)).keep();
      assert.deepEqual((await burst()).sort(), ["slot", "too_many_requests", "too_many_requests"], "two counted leave one");
      clock.advance(3600 * 1000);
      assert.deepEqual(await burst(), ["slot", "slot", "slot"], "at the window's end all three are back");
    });

    test("a success with another attempt in flight: that attempt keeps its slot", async () => {
      const { t } = make({ secondFactorAccount: 2 });
      const key = fresh("reset-inflight");
      const a = await t.reserve("secondFactorAccount", key);
      await t.reserve("secondFactorAccount", key); // still in flight
      await a.reset();
      await t.reserve("secondFactorAccount", key);
      assert.equal(await codeOf(t.reserve("secondFactorAccount", key)), "too_many_requests", "two in flight take both free attempts");
    });
  });

  describe("backoff", () => {
    test("free attempts, then blocks doubling from the base up to the cap, one attempt between blocks", async () => {
      const { t, clock } = make({ emailCodeAccount: 2 });
      const key = fresh("backoff");
      const blocks: Array<number | undefined> = [];
      for (let i = 0; i < 7; i++) {
        const slot = await t.reserve("emailCodeAccount", key);
        await slot.keep();
        const wait = await retryAfterOf(t.reserve("emailCodeAccount", key).then((s) => s.release()));
        blocks.push(wait);
        if (wait) clock.advance(wait * 1000);
      }
      assert.deepEqual(blocks, [undefined, 1, 2, 4, 8, 8, 8]);
    });

    test("a blocked request is not counted: waiting out the block is enough, however often it was refused", async () => {
      const { t, clock } = make({ signInAccount: 2, signInIp: 1000 });
      for (let i = 0; i < 2; i++) assert.equal(await codeOf(t.signIn("frank", "192.0.2.60", wrong)), "invalid_grant");
      for (let i = 0; i < 20; i++) assert.equal(await codeOf(t.signIn("frank", "192.0.2.60", right)), "too_many_requests");
      clock.advance(999);
      assert.equal(await codeOf(t.signIn("frank", "192.0.2.60", right)), "too_many_requests", "the first block is 1 s");
      clock.advance(1);
      assert.equal(await codeOf(t.signIn("frank", "192.0.2.60", wrong)), "invalid_grant", "after 1 s, one attempt");
      assert.equal(await retryAfterOf(t.signIn("frank", "192.0.2.60", right)), 2, "the next block is 2 s, not 2^21");
    });

    test("the window ends on the injected clock: the count starts again", async () => {
      const { t, clock } = make({ tokenIp: 3 });
      for (let i = 0; i < 2; i++) await codeOf(t.tokenRedemption("192.0.2.61", wrong));
      clock.advance(3600 * 1000);
      for (let i = 0; i < 2; i++) assert.equal(await codeOf(t.tokenRedemption("192.0.2.61", wrong)), "invalid_grant", "the old failures are forgotten");
      assert.equal(await codeOf(t.tokenRedemption("192.0.2.61", right)), "ok", "two of three in the new window");
      clock.advance(3599 * 1000);
      assert.equal(await codeOf(t.tokenRedemption("192.0.2.61", wrong)), "invalid_grant");
      assert.equal(await codeOf(t.tokenRedemption("192.0.2.61", right)), "too_many_requests", "still the same window: three counted");
    });

    test("an attempt in flight when the window ends counts in a new window, not the old one", async () => {
      const { t, clock } = make({ emailCodeAccount: 3 });
      const key = fresh("straddle");
      for (let i = 0; i < 2; i++) await (await t.reserve("emailCodeAccount", key)).keep();
      clock.advance(3600 * 1000 - 1);
      const late = await t.reserve("emailCodeAccount", key);
      clock.advance(1);
      await late.keep(); // at the window's end: the first count of a new window, not the third of the old
      assert.equal(await codeOf(t.reserve("emailCodeAccount", key).then((s) => s.release())), "ok", "not blocked");
      await (await t.reserve("emailCodeAccount", key)).keep();
      await (await t.reserve("emailCodeAccount", key)).keep();
      assert.equal(await codeOf(t.reserve("emailCodeAccount", key)), "too_many_requests", "the third in the new window blocks");
    });

    test("after a success, the window starts again at the next counted attempt, also while another attempt is in flight", async () => {
      const { t, clock } = make({ secondFactorAccount: 3 });
      const key = fresh("after-reset");
      await (await t.reserve("secondFactorAccount", key)).keep();
      clock.advance(3600 * 1000 - 10);
      const inFlight = await t.reserve("secondFactorAccount", key);
      await (await t.reserve("secondFactorAccount", key)).reset();
      await (await t.reserve("secondFactorAccount", key)).keep(); // the window starts here, not at the first attempt
      clock.advance(10);
      await inFlight.release();
      for (let i = 0; i < 2; i++) await (await t.reserve("secondFactorAccount", key)).keep();
      assert.equal(await codeOf(t.reserve("secondFactorAccount", key)), "too_many_requests", "three in one window");
    });

    test("a reservation refused for the attempts in flight waits the block they would start", async () => {
      const { t, clock } = make({ emailCodeAccount: 2 });
      const key = fresh("inflight-wait");
      for (let i = 0; i < 2; i++) await (await t.reserve("emailCodeAccount", key)).keep(); // blocked 1 s
      clock.advance(1000);
      await t.reserve("emailCodeAccount", key); // the one attempt between blocks, in flight
      assert.equal(await retryAfterOf(t.reserve("emailCodeAccount", key)), 2, "a third failure would block 2 s");
    });

    test("free = 0 turns a dimension off", async () => {
      const { t } = make({ emailSendAddress: 0 });
      const key = fresh("off");
      const slots = await Promise.all(Array.from({ length: 30 }, () => t.reserve("emailSendAddress", key)));
      await Promise.all(slots.map((s) => s.keep()));
      assert.equal(await codeOf(t.reserve("emailSendAddress", key)), "ok");
    });
  });

  describe("sign-in, registration, tokens", () => {
    test("a success resets account+IP but not the IP's count", async () => {
      const { t } = make({ signInAccount: 3, signInIp: 5 });
      const ip = `198.18.${unique % 250}.${(unique % 200) + 1}`;
      const user = fresh("gina");
      for (let i = 0; i < 2; i++) await codeOf(t.signIn(user, ip, wrong));
      assert.equal(await codeOf(t.signIn(user, ip, right)), "ok");
      for (let i = 0; i < 2; i++) assert.equal(await codeOf(t.signIn(user, ip, wrong)), "invalid_grant", "the account count was reset");
      // The IP has 4 failures: one more blocks it, for every account.
      assert.equal(await codeOf(t.signIn(fresh("other"), ip, wrong)), "invalid_grant");
      assert.equal(await codeOf(t.signIn(fresh("anyone"), ip, right)), "too_many_requests", "the success did not reset the IP");
    });

    test("the account limit is keyed with the IP and the normalised name", async () => {
      const { t } = make({ signInAccount: 3, signInIp: 100 });
      const user = fresh("alice");
      for (let i = 0; i < 3; i++) await codeOf(t.signIn(user, "203.0.113.9", wrong));
      assert.equal(await codeOf(t.signIn(user.toUpperCase(), "203.0.113.9", right)), "too_many_requests");
      assert.equal(await codeOf(t.signIn(user, "198.51.100.7", right)), "ok", "the real user elsewhere is not locked out");
    });

    test("only the refusal code counts, and a blocked attempt does not run the check", async () => {
      const { t } = make({ signInAccount: 2, signInIp: 100 });
      const user = fresh("hank");
      for (let i = 0; i < 5; i++) await codeOf(t.signIn(user, "192.0.2.62", () => Promise.reject(new TesseraError("invalid_scope", "x"))));
      assert.equal(await codeOf(t.signIn(user, "192.0.2.62", right)), "ok");
      let ran = false;
      for (let i = 0; i < 2; i++) await codeOf(t.signIn(user, "192.0.2.62", wrong));
      await codeOf(t.signIn(user, "192.0.2.62", async () => { ran = true; return "ok"; }));
      assert.equal(ran, false, "a blocked attempt does not run the check");
    });

    test("registration counts every attempt; token redemption counts refusals only", async () => {
      const { t } = make({ registerIp: 3, tokenIp: 2 });
      const ip = "192.0.2.63";
      const busy = () => Promise.reject(new TesseraError("temporarily_unavailable", "the hashing queue is full"));
      for (let i = 0; i < 5; i++) assert.equal(await codeOf(t.registration(ip, busy)), "temporarily_unavailable", "the server's trouble is never counted");
      for (let i = 0; i < 3; i++) assert.equal(await codeOf(t.registration(ip, right)), "ok");
      assert.equal(await codeOf(t.registration(ip, right)), "too_many_requests");
      for (let i = 0; i < 5; i++) assert.equal(await codeOf(t.tokenRedemption(ip, right)), "ok");
      for (let i = 0; i < 2; i++) await codeOf(t.tokenRedemption(ip, wrong));
      assert.equal(await codeOf(t.tokenRedemption(ip, right)), "too_many_requests");
    });

    test("a registration refused (a taken name) counts like a successful one", async () => {
      const { t } = make({ registerIp: 2 });
      const ip = fresh("register");
      const taken = () => Promise.reject(new TesseraError("username_taken", "Another user already has this username."));
      for (let i = 0; i < 2; i++) assert.equal(await codeOf(t.registration(ip, taken)), "username_taken");
      assert.equal(await codeOf(t.registration(ip, right)), "too_many_requests", "a taken name is a probe too");
    });

    test("guard: refused by several limits, the answer waits for the longest block", async () => {
      const { t, clock } = make({ emailSendAddress: 1, emailSendIp: 1 });
      const address = fresh("mail-wait");
      const ip = fresh("ip-wait");
      const send = (...limits: Array<{ dimension: Dimension; key: string }>) => t.guard(limits.map((l) => ({ ...l, onSuccess: "keep" as const })), right);
      const byIp = { dimension: "emailSendIp" as const, key: ip };
      const byAddress = { dimension: "emailSendAddress" as const, key: address };
      for (let i = 0; i < 3; i++) {
        await send(byIp); // blocks for 1, 2, then 4 s
        if (i < 2) clock.advance(1000 * 2 ** i);
      }
      await send(byAddress); // blocks for 1 s
      assert.equal(await retryAfterOf(send(byAddress, byIp)), 4);
      assert.equal(await retryAfterOf(send(byIp, byAddress)), 4, "whichever limit is named first");
    });

    test("guard: one refused limit releases the slots it took in the others", async () => {
      const { t } = make({ emailSendAddress: 1, emailSendIp: 10 });
      const address = fresh("mail");
      const ip = fresh("ip");
      const send = () => t.guard([{ dimension: "emailSendAddress", key: address, onSuccess: "keep" }, { dimension: "emailSendIp", key: ip, onSuccess: "keep" }], right);
      assert.equal(await codeOf(send()), "ok");
      for (let i = 0; i < 20; i++) assert.equal(await codeOf(send()), "too_many_requests");
      // Twenty refusals by the address limit took nothing from the IP's ten.
      for (let i = 0; i < 9; i++) assert.equal(await codeOf(t.guard([{ dimension: "emailSendIp", key: ip, onSuccess: "keep" }], right)), "ok");
      assert.equal(await codeOf(t.guard([{ dimension: "emailSendIp", key: ip, onSuccess: "keep" }], right)), "too_many_requests");
    });
  });
}
