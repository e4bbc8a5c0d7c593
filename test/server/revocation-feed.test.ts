// Revocation-feed long polls (docs/security.md, "Revocation-feed long polls"): held
// polls share one store query a second instead of one each, every waiter still gets
// the answer a direct read gives, and the polls one address or one instance holds are capped.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../src/core/config.js";
import { openSqliteStore, type Store } from "../../src/store/index.js";
import { dropSchema, newSchemaName, PG_TEST_URL, usePostgres } from "../helpers/pg-schema.js";
import { parsePrometheus, sample } from "../helpers/prometheus.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { sidOf } from "../helpers/tokens.js";
import { until } from "../helpers/until.js";

type Page = { cursor: string; revoked: Array<{ sid: string; exp: number }> };

/** The real store, counting the feed's reads. */
async function countingStore(): Promise<{ store: Store; reads: () => number; close: () => Promise<void> }> {
  let real: Store;
  let cleanup: () => Promise<void>;
  if (usePostgres()) {
    const schema = newSchemaName();
    const { openPostgresStore } = await import("../../src/store/postgres/postgres-store.js");
    real = await openPostgresStore({ connectionString: PG_TEST_URL, schema });
    cleanup = () => dropSchema(schema);
  } else {
    const dir = mkdtempSync(join(tmpdir(), "tessera-feed-"));
    real = await openSqliteStore({ filename: join(dir, "tessera.db") });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  let reads = 0;
  const store = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "revocationsSince" || prop === "latestRevocationSeq") {
        return (...args: unknown[]) => { reads++; return (value as (...a: unknown[]) => unknown).apply(target, args); };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { store, reads: () => reads, close: cleanup };
}

describe("200 held long polls", () => {
  let server: TestServer;
  let counted: Awaited<ReturnType<typeof countingStore>>;
  before(async () => {
    counted = await countingStore();
    // Every test client is 127.0.0.1: room for all 200 from one address.
    server = await startTestServer({ store: counted.store, config: { feedMaxPollsPerIp: 1000 } });
  });
  after(async () => {
    await server.close();
    await counted.close();
  });

  test("cost about one store query a second, and each gets the revocation a direct read gives", async (t) => {
    const user = await server.signUpAndSignIn();
    const cursor = (await server.request<Page>("GET", "/oauth/revocations")).body.cursor;

    const readsBefore = counted.reads();
    const started = Date.now();
    const polls = Array.from({ length: 200 }, () => server.request<Page>("GET", `/oauth/revocations?since=${cursor}&wait=30`));
    await until("200 held polls", () => server.tessera.parts.feed.held === 200, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the shared poller's pace is the thing measured
    const held = counted.reads() - readsBefore;
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`${held} store reads in ${seconds.toFixed(1)} s while 200 polls were held`);
    assert.ok(held <= Math.ceil(seconds) + 2, `${held} store reads in ${seconds.toFixed(1)} s for 200 held polls`);

    const readsAtNotice = counted.reads();
    assert.equal((await server.request("POST", "/auth/logout", { token: user.access_token })).status, 204);
    const answers = await Promise.all(polls);
    const forNotice = counted.reads() - readsAtNotice;
    t.diagnostic(`${forNotice} store reads to answer them after one logout`);
    assert.ok(forNotice <= 2, `${forNotice} store reads to answer 200 polls after one logout`);

    const direct = (await server.request<Page>("GET", `/oauth/revocations?since=${cursor}`)).body;
    assert.equal(direct.revoked.length, 1);
    assert.equal(direct.revoked[0]!.sid, sidOf(user.access_token));
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, direct, "every waiter gets what a direct read answers");
    }
    assert.equal(server.tessera.parts.feed.held, 0);
  });

  test("a poll whose cursor is behind is answered at once from the shared read, not held", async () => {
    const user = await server.signUpAndSignIn();
    const cursor = (await server.request<Page>("GET", "/oauth/revocations")).body.cursor;
    assert.equal((await server.request("POST", "/auth/logout", { token: user.access_token })).status, 204);
    const started = Date.now();
    const page = (await server.request<Page>("GET", `/oauth/revocations?since=${cursor}&wait=30`)).body;
    assert.deepEqual(page.revoked.map((r) => r.sid), [sidOf(user.access_token)]);
    assert.ok(Date.now() - started < 15_000, "not held for the wait");
  });
});

describe("caps on held long polls", () => {
  let server: TestServer;
  const from = (ip: string, query: string, signal?: AbortSignal) =>
    fetch(`${server.url}/oauth/revocations?${query}`, { headers: { "x-forwarded-for": ip }, ...(signal ? { signal } : {}) });
  before(async () => {
    // Addresses come from X-Forwarded-For here, so each test client can be a different one.
    server = await startTestServer({ config: { trustProxy: true, feedMaxPolls: 8, feedMaxPollsPerIp: 5 } });
  });
  after(() => server.close());

  test("30 at once from one address: 5 are held, 25 are 429 with Retry-After; past the instance's cap, 503", async () => {
    const user = await server.signUpAndSignIn();
    const cursor = (await server.request<Page>("GET", "/oauth/revocations")).body.cursor;
    const wait = `since=${cursor}&wait=30`;

    const burst = Array.from({ length: 30 }, () => from("198.51.100.1", wait));
    const refused: Response[] = [];
    for (const p of burst) void p.then((r) => { if (r.status !== 200) refused.push(r); });
    await until("25 refusals", () => refused.length === 25, 20_000);
    assert.equal(server.tessera.parts.feed.held, 5);
    for (const r of refused) {
      assert.equal(r.status, 429);
      assert.equal(((await r.json()) as { error: string }).error, "too_many_requests");
      assert.ok(Number(r.headers.get("retry-after")) >= 1 && Number(r.headers.get("retry-after")) <= 30);
      assert.equal(r.headers.get("cache-control"), "no-store");
    }

    // Other addresses fill the instance: 8 in all, then 503.
    const others = ["198.51.100.2", "198.51.100.3", "198.51.100.4"].map((ip) => from(ip, wait));
    await until("8 held", () => server.tessera.parts.feed.held === 8, 20_000);
    const full = await from("198.51.100.9", wait);
    assert.equal(full.status, 503);
    assert.equal(((await full.json()) as { error: string }).error, "temporarily_unavailable");
    assert.equal(full.headers.get("retry-after"), "1");
    const metrics = parsePrometheus(await (await fetch(`${server.url}/metrics`)).text());
    assert.equal(sample(metrics, "tessera_feed_polls_held"), 8, "operators see how close to the cap an instance is");

    // Reads that are not held take no slot.
    assert.equal((await from("198.51.100.1", "")).status, 200);
    assert.equal((await from("198.51.100.1", `since=${cursor}`)).status, 200);

    // Held polls still answer correctly, and give their slots back.
    assert.equal((await server.request("POST", "/auth/logout", { token: user.access_token })).status, 204);
    const held = await Promise.all([...burst, ...others].map((p) => p.then(async (r) => (r.status === 200 ? (await r.json()) as Page : undefined))));
    const answered = held.filter((p): p is Page => p !== undefined);
    assert.equal(answered.length, 8);
    for (const page of answered) assert.deepEqual(page.revoked.map((r) => r.sid), [sidOf(user.access_token)]);
    assert.equal(server.tessera.parts.feed.held, 0);
  });

  test("a reader that hangs up gives its slot back", async () => {
    const cursor = (await server.request<Page>("GET", "/oauth/revocations")).body.cursor;
    const hangUps = Array.from({ length: 5 }, () => new AbortController());
    const pending = hangUps.map((c) => from("203.0.113.7", `since=${cursor}&wait=30`, c.signal).catch(() => undefined));
    await until("5 held", () => server.tessera.parts.feed.held === 5, 20_000);
    assert.equal((await from("203.0.113.7", `since=${cursor}&wait=30`)).status, 429);
    for (const c of hangUps) c.abort();
    await Promise.all(pending);
    await until("slots released", () => server.tessera.parts.feed.held === 0, 20_000);
    const again = new AbortController();
    const next = from("203.0.113.7", `since=${cursor}&wait=30`, again.signal).catch(() => undefined);
    await until("held again", () => server.tessera.parts.feed.held === 1, 20_000);
    again.abort();
    await next;
  });
});

test("the caps are validated settings", () => {
  assert.equal(loadConfig({}).feedMaxPolls, 10_000);
  assert.equal(loadConfig({}).feedMaxPollsPerIp, 100);
  assert.throws(() => loadConfig({ TESSERA_FEED_MAX_POLLS: "0" }), /TESSERA_FEED_MAX_POLLS="0"/);
  assert.throws(() => loadConfig({ TESSERA_FEED_MAX_POLLS_PER_IP: "many" }), /TESSERA_FEED_MAX_POLLS_PER_IP/);
  assert.throws(() => loadConfig({ TESSERA_FEED_MAX_POLLS: "10", TESSERA_FEED_MAX_POLLS_PER_IP: "20" }), /at most TESSERA_FEED_MAX_POLLS/);
});
