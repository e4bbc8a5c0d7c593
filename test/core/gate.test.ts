// The gate's bounded queue and its cancellation (the hashing queue, core/accounts/gate.ts):
// a full queue refuses at once, a waiter whose signal aborts leaves without
// running, a running task is never interrupted. The slot limit itself: units.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Gate, GateFullError } from "../../src/core/accounts/gate.js";

function manual() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  return { task: () => done, finish };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

test("past the queue limit a task is refused at once, and never runs", async () => {
  const gate = new Gate(1, 2);
  const first = manual();
  let ran = 0;
  const running = gate.run(first.task);
  const queued = [gate.run(async () => { ran++; }), gate.run(async () => { ran++; })];
  const refused = await Promise.allSettled(Array.from({ length: 30 }, () => gate.run(async () => { ran++; })));
  assert.ok(refused.every((r) => r.status === "rejected" && r.reason instanceof GateFullError));
  assert.equal(gate.waiting, 2);
  first.finish();
  await running;
  await Promise.all(queued);
  assert.equal(ran, 2, "only the two queued tasks ran");
  assert.equal(gate.running, 0);
});

test("a queued task whose signal aborts leaves the queue without running; its place is free again", async () => {
  const gate = new Gate(1, 1);
  const first = manual();
  const running = gate.run(first.task);
  const controller = new AbortController();
  let ran = false;
  const dropped = gate.run(async () => { ran = true; }, controller.signal);
  assert.equal(gate.waiting, 1);
  await assert.rejects(gate.run(async () => {}), GateFullError);
  controller.abort();
  await assert.rejects(dropped, { name: "AbortError" });
  assert.equal(gate.waiting, 0);
  const next = gate.run(async () => "next ran");
  first.finish();
  await running;
  assert.equal(await next, "next ran");
  assert.equal(ran, false);
});

test("a signal already aborted runs nothing, even with a slot free", async () => {
  const gate = new Gate(1);
  let ran = false;
  await assert.rejects(gate.run(async () => { ran = true; }, AbortSignal.abort()), { name: "AbortError" });
  assert.equal(ran, false);
  assert.equal(gate.running, 0);
});

test("a running task is not interrupted by its signal: it finishes", async () => {
  const gate = new Gate(1);
  const controller = new AbortController();
  const work = manual();
  const result = gate.run(async () => { await work.task(); return "finished"; }, controller.signal);
  await tick();
  controller.abort();
  work.finish();
  assert.equal(await result, "finished");
  assert.equal(gate.running, 0);
});

test("the queue limit must be a whole number", () => {
  for (const limit of [-1, 1.5, Number.NaN]) assert.throws(() => new Gate(1, limit), TypeError);
});
