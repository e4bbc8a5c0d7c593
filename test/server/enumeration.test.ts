// No user enumeration: an unknown user, a wrong password and a
// disabled account get the same status and body on every sign-in path (the
// password grant and the cookie login), at the cost of exactly one argon2
// verification each, and a timing comparison agrees. Registration's one
// unavoidable leak (409 for a taken name) is documented in docs/security.md.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
const PASSWORD = "enumeration test phrase";

before(async () => {
  server = await startTestServer();
  await server.request("POST", "/auth/register", { json: { username: "real-user", password: PASSWORD } });
  await server.request("POST", "/auth/register", { json: { username: "off-user", password: PASSWORD } });
  await server.tessera.parts.admin.users.setDisabled((await server.tessera.parts.users.find("off-user"))!.id, true, { id: "test" });
});
after(() => server.close());

const cases = {
  "unknown user": { username: "ghost-user", password: PASSWORD },
  "wrong password": { username: "real-user", password: "not the right one" },
  "disabled account": { username: "off-user", password: PASSWORD },
};

const paths = {
  "password grant": (c: { username: string; password: string }) => server.request("POST", "/oauth/token", { form: { grant_type: "password", ...c } }),
  "cookie login": (c: { username: string; password: string }) => server.request("POST", "/session/login", { json: c, headers: { origin: server.issuer } }),
};

/** Counts argon2 verifications during `run` by wrapping the core's hasher, as accounts.test.ts does. */
async function verifications(run: () => Promise<unknown>): Promise<number> {
  const hasher = server.tessera.parts.hasher;
  const original = hasher.verify.bind(hasher);
  let count = 0;
  hasher.verify = async (hash, password) => { count++; return original(hash, password); };
  try {
    await run();
  } finally {
    hasher.verify = original;
  }
  return count;
}

for (const [pathName, send] of Object.entries(paths)) {
  describe(pathName, () => {
    test("one status, one body, the same headers, one argon2 verification, for every failure", async () => {
      const answers = [];
      for (const [name, c] of Object.entries(cases)) {
        let res: Awaited<ReturnType<typeof send>> | undefined;
        assert.equal(await verifications(async () => { res = await send(c); }), 1, name);
        answers.push({ status: res!.status, body: res!.text, cookies: res!.headers.getSetCookie().length, cache: res!.headers.get("cache-control") });
      }
      assert.equal(new Set(answers.map((a) => JSON.stringify(a))).size, 1, JSON.stringify(answers));
      assert.equal(answers[0]!.status, 400);
      assert.deepEqual(JSON.parse(answers[0]!.body), { error: "invalid_grant", error_description: "The username or password is incorrect." });
    });
  });
}

test("timing: medians of interleaved attempts agree within a generous margin (the bench measures it precisely)", async () => {
  const samples: Record<string, number[]> = { "unknown user": [], "wrong password": [], "disabled account": [] };
  for (let i = 0; i < 15; i++) {
    for (const [name, c] of Object.entries(cases)) {
      const start = process.hrtime.bigint();
      await paths["password grant"](c);
      samples[name]!.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const medians = Object.values(samples).map(median);
  const spread = (Math.max(...medians) - Math.min(...medians)) / Math.max(...medians);
  // argon2 takes ~10 ms or more; a skipped verification would make one median several times smaller.
  assert.ok(spread < 0.5, `medians ${medians.map((m) => m.toFixed(1)).join(" / ")} ms`);
});

test("a disabled account answers the right password exactly like a wrong one, and only after checking it", async () => {
  const right = await paths["password grant"](cases["disabled account"]);
  const wrong = await paths["password grant"]({ username: "off-user", password: "not the right one" });
  assert.equal(right.text, wrong.text);
});
