// Concurrent attempts against every throttle dimension over HTTP, as one suite
// run on this process's memory (throttle-races.test.ts) and on Redis
// (throttle-races.redis.test.ts). Each burst is a Promise.all: the attack the
// reservation exists to stop is many attempts in flight before any was counted.
// Counting wrappers around the real hasher and services say how much work ran.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Config } from "../../src/core/config.js";
import { startTestServer, type Answer, type TestServer } from "../helpers/server.js";

type Body = { error: string; error_description: string };

/** Counts calls to one method of a real object, and still calls it. */
function counting<T extends object, K extends keyof T>(target: T, method: K): () => number {
  const real = (target[method] as (...args: unknown[]) => unknown).bind(target);
  let calls = 0;
  (target as Record<K, unknown>)[method] = (...args: unknown[]) => { calls++; return real(...args); };
  return () => calls;
}

function tally(answers: Array<Answer<Body>>): Record<number, number> {
  const byStatus: Record<number, number> = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  for (const a of answers.filter((x) => x.status === 429)) {
    assert.equal(a.body.error, "too_many_requests");
    assert.match(a.headers.get("retry-after") ?? "", /^[1-9]\d*$/, "every 429 says when to retry");
  }
  return byStatus;
}

const grant = (server: TestServer, username: string, password: string) =>
  server.request<Body>("POST", "/oauth/token", { form: { grant_type: "password", username, password } });

export function throttleRaces(extra: () => Partial<Config>): void {
  const limits = (l: Partial<Config>): Partial<Config> => ({
    throttleSignInAccount: 1000, throttleSignInIp: 1000, throttleRegisterIp: 1000, throttleTokenIp: 1000,
    throttleBaseDelaySeconds: 60, throttleMaxDelaySeconds: 900, throttleWindowSeconds: 3600, hashQueueLimit: 1000, ...l, ...extra(),
  });

  describe("Promise.all of 30 wrong passwords for one account", () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ config: limits({ throttleSignInAccount: 5 }) });
      await server.request("POST", "/auth/register", { json: { username: "target", password: "the real passphrase" } });
    });
    after(() => server.close());

    test("at most the free number reach the hasher; the rest answer 429 with Retry-After", async () => {
      const verifications = counting(server.tessera.parts.hasher, "verify");
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => grant(server, "target", `guess number ${i}`)));
      const byStatus = tally(answers);
      assert.ok(verifications() <= 5, `${verifications()} password checks ran; 5 are free`);
      assert.equal((byStatus[400] ?? 0) + (byStatus[429] ?? 0), 30, JSON.stringify(byStatus));
      assert.ok((byStatus[429] ?? 0) >= 25, JSON.stringify(byStatus));
      const right = await grant(server, "target", "the real passphrase");
      assert.equal(right.status, 429, "the account is blocked for this address, the right password included");
      assert.equal(verifications(), answers.filter((a) => a.status === 400).length, "the blocked attempts hashed nothing");
    });

    test("the cookie login takes the same slots", async () => {
      const res = await server.request<Body>("POST", "/session/login", { json: { username: "Target", password: "the real passphrase" }, headers: { origin: server.issuer } });
      assert.equal(res.status, 429);
    });
  });

  test("120 concurrent unknown-user sign-ins from one IP after 37 failures never pass the per-IP limit of 100", async () => {
    const server = await startTestServer({ config: limits({ throttleSignInIp: 100, throttleSignInAccount: 5 }) });
    try {
      for (let i = 0; i < 37; i++) assert.equal((await grant(server, `nobody-${i}`, "some guess here")).status, 400);
      const verifications = counting(server.tessera.parts.hasher, "verify");
      const answers = await Promise.all(Array.from({ length: 120 }, (_, i) => grant(server, `sprayed-${i}`, "Summer2024!")));
      const byStatus = tally(answers);
      assert.ok((byStatus[400] ?? 0) <= 63, `${byStatus[400]} failures answered past the 100 free: ${JSON.stringify(byStatus)}`);
      assert.ok(verifications() <= 63, `${verifications()} password checks; 63 were left`);
      assert.equal((await grant(server, "one-more", "another guess")).status, 429);
    } finally {
      await server.close();
    }
  });

  test("Promise.all of 30 registrations from one IP: at most the free number are hashed and created", async () => {
    const server = await startTestServer({ config: limits({ throttleRegisterIp: 5 }) });
    try {
      const hashes = counting(server.tessera.parts.hasher, "hash");
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) =>
        server.request<Body>("POST", "/auth/register", { json: { username: `burst-${i}`, password: "a long pass phrase" } })));
      const byStatus = tally(answers);
      assert.ok((byStatus[201] ?? 0) <= 5, JSON.stringify(byStatus));
      assert.ok(hashes() <= 5, `${hashes()} passwords hashed`);
      const created = (await Promise.all(Array.from({ length: 30 }, (_, i) => server.tessera.parts.users.find(`burst-${i}`)))).filter(Boolean);
      assert.equal(created.length, byStatus[201] ?? 0);
      assert.equal((byStatus[201] ?? 0) + (byStatus[429] ?? 0), 30, JSON.stringify(byStatus));
    } finally {
      await server.close();
    }
  });

  test("Promise.all of 30 refused refresh tokens after 4 refusals: at most the 6 left reach the store", async () => {
    const server = await startTestServer({ config: limits({ throttleTokenIp: 10 }) });
    try {
      const bogus = (i: number) => server.request<Body>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: `tsr_${"A".repeat(40)}${String(i).padStart(3, "0")}` } });
      for (let i = 0; i < 4; i++) assert.equal((await bogus(i)).status, 400);
      const lookups = counting(server.tessera.parts.sessions, "refresh");
      const byStatus = tally(await Promise.all(Array.from({ length: 30 }, (_, i) => bogus(100 + i))));
      assert.ok((byStatus[400] ?? 0) <= 6, JSON.stringify(byStatus));
      assert.ok(lookups() <= 6, `${lookups()} refresh tokens looked up`);
      assert.equal((byStatus[400] ?? 0) + (byStatus[429] ?? 0), 30, JSON.stringify(byStatus));
    } finally {
      await server.close();
    }
  });

  test("Promise.all of 30 refused reset tokens: at most the free number are looked up", async () => {
    const server = await startTestServer({ config: limits({ throttleTokenIp: 3 }) });
    try {
      const lookups = counting(server.tessera.parts.resets, "redeem");
      const byStatus = tally(await Promise.all(Array.from({ length: 30 }, (_, i) =>
        server.request<Body>("POST", "/auth/password/reset", { json: { reset_token: `tsp_${"B".repeat(40)}${String(i).padStart(3, "0")}`, new_password: "a new long phrase" } }))));
      assert.ok((byStatus[400] ?? 0) <= 3, JSON.stringify(byStatus));
      assert.ok(lookups() <= 3, `${lookups()} reset tokens looked up`);
    } finally {
      await server.close();
    }
  });
}
