// The audit log's writer ("asynchronously but reliably"): rows are
// batched off the request, survive failed writes (retried, in order), are all
// written by close(), and only a store down for `maxBuffer` rows loses the
// oldest — counted. A real SQLite store; failures injected into its insert.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { AuditLog } from "../../src/core/audit/audit-log.js";
import { AuthEvents } from "../../src/core/events.js";
import { openSqliteStore } from "../../src/store/index.js";

async function setup(options: { maxBuffer?: number } = {}) {
  const store = await openSqliteStore({ filename: ":memory:" });
  const events = new AuthEvents();
  const audit = new AuditLog({ store, events, now: Date.now, flushIntervalMs: 20, batchSize: 50, ...options });
  const insert = store.insertAuditEvents.bind(store);
  let failures = 0;
  store.insertAuditEvents = (rows) => (failures-- > 0 ? Promise.reject(new Error("database is locked")) : insert(rows));
  const fail = (n: number) => { failures = n; };
  const emit = (n: number, from = 0) => { for (let i = from; i < from + n; i++) events.emit("user-registered", { userId: `u${i}` }); };
  return { store, audit, emit, fail };
}

test("rows are written in the background, in order, without the caller waiting", async () => {
  const { store, audit, emit } = await setup();
  emit(120);
  assert.ok(audit.pending > 0, "emitting did not write synchronously");
  await sleep(100);
  const rows = await store.queryAuditEvents({ limit: 1000 });
  assert.equal(rows.length, 120);
  assert.deepEqual(rows.map((r) => r.user_id).reverse(), Array.from({ length: 120 }, (_, i) => `u${i}`));
  await audit.close();
  await store.close();
});

test("failed writes are retried: nothing is lost, order is kept, the error is reported", async () => {
  const { store, audit, emit, fail } = await setup();
  const errors: unknown[] = [];
  audit.onError = (e) => errors.push(e);
  fail(3);
  emit(10);
  await sleep(30);
  emit(10, 10);
  await sleep(150);
  assert.equal(errors.length, 3);
  const rows = await audit.query({ limit: 100 });
  assert.deepEqual(rows.map((r) => r.user_id).reverse(), Array.from({ length: 20 }, (_, i) => `u${i}`));
  assert.equal(audit.dropped, 0);
  await audit.close();
  await store.close();
});

test("close() writes what is buffered; an outage past maxBuffer drops the oldest rows and counts them", async () => {
  const { store, audit, emit, fail } = await setup({ maxBuffer: 30 });
  audit.onError = () => undefined;
  fail(1);
  emit(40);
  await audit.flush(); // fails: 40 rows kept, 10 oldest dropped
  assert.equal(audit.dropped, 10);
  await audit.close();
  const rows = await store.queryAuditEvents({ limit: 100 });
  assert.equal(rows.length, 30);
  assert.equal(rows.at(-1)!.user_id, "u10");
  await store.close();
});
