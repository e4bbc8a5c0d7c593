// What runs beside the requests, and values no other test checks: the audit
// retention sweep deletes what is older than TESSERA_AUDIT_RETENTION_DAYS and
// keeps the rest; a slow client is cut at TESSERA_REQUEST_TIMEOUT while others
// are served; `/auth/sessions` gives each session's exact `expires_at` (the
// earlier of its idle deadline and its absolute end). Time is the injected
// clock, except for the socket timeout, which is Node's own; background work is
// awaited by its log line, never by a delay.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";

const DAY = 86_400_000;

describe("audit retention", () => {
  const clock = testClock();
  let server: TestServer;
  const lines: string[] = [];
  let waiting: { pattern: RegExp; resolve: () => void } | undefined;

  before(async () => {
    server = await startTestServer({
      clock,
      // Overrides skip validation: a 50 ms sweep interval keeps the test short; the deletion itself is awaited by its log line.
      config: { auditRetentionDays: 30, sweepIntervalMs: 50, logLevel: "info" },
      logStream: { write: (line) => { lines.push(line); if (waiting?.pattern.test(line)) waiting.resolve(); } },
    });
  });
  after(() => server.close());

  const logged = (pattern: RegExp) => new Promise<void>((resolve) => {
    if (lines.some((l) => pattern.test(l))) return resolve();
    waiting = { pattern, resolve };
  });

  test("events older than the retention are deleted by the sweeper; newer ones stay", async () => {
    await server.signUpAndSignIn("retention-old");
    await server.tessera.parts.audit.flush();
    clock.advance(31 * DAY);
    await server.signUpAndSignIn("retention-new");
    await server.tessera.parts.audit.flush();
    await logged(/old audit events deleted/);
    const rows = await server.tessera.parts.audit.query({ limit: 1000 });
    const users = await Promise.all(["retention-old", "retention-new"].map((n) => server.tessera.parts.users.find(n)));
    const about = (id: string | undefined) => rows.filter((r) => r.user_id === id);
    assert.deepEqual(about(users[0]?.id), [], "the old user's events are gone");
    assert.ok(about(users[1]?.id).length >= 2, "the new user's registration and sign-in are kept");
    assert.ok(rows.every((r) => r.at >= clock.now() - 30 * DAY));
  });
});

describe("slow clients", () => {
  let server: TestServer;
  before(async () => { server = await startTestServer({ config: { requestTimeoutMs: 1000 } }); });
  after(() => server.close());

  // With a 1 s timeout the cut comes within a second or two; 20 s of slack still catches a cut at Node's own 60 s.
  test("a request still incomplete at TESSERA_REQUEST_TIMEOUT is answered 408 and its socket closed; others are served", { timeout: 20_000 }, async () => {
    const { hostname, port } = new URL(server.url);
    const socket = connect({ host: hostname, port: Number(port) });
    let received = "";
    socket.on("data", (d: Buffer) => { received += d.toString(); });
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write("POST /auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user");
    // Meanwhile a well-behaved client is answered.
    assert.equal((await server.request("GET", "/healthz")).status, 200);
    await closed;
    assert.match(received, /^HTTP\/1\.1 408 /);
  });
});

describe("expires_at in /auth/sessions", () => {
  const clock = testClock(Date.UTC(2026, 0, 1));
  let server: TestServer;
  before(async () => { server = await startTestServer({ clock }); });
  after(() => server.close());

  type Listed = Array<{ id: string; expires_at: string; current: boolean }>;

  test("the idle deadline while it comes first, then the absolute end", async () => {
    const t0 = clock.now();
    const user = await server.signUpAndSignIn();
    const listed = async (token: string) => {
      const res = await server.request<Listed>("GET", "/auth/sessions", { token });
      assert.equal(res.status, 200, res.text);
      return res.body.find((s) => s.current)!.expires_at;
    };
    assert.equal(await listed(user.access_token), new Date(t0 + 7 * DAY).toISOString(), "7 days idle from sign-in");
    let refresh = user.refresh_token;
    let access = user.access_token;
    for (let day = 1; day <= 25; day++) {
      clock.advance(DAY);
      const res = await server.request<{ access_token: string; refresh_token: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: refresh } });
      assert.equal(res.status, 200, res.text);
      ({ refresh_token: refresh, access_token: access } = res.body);
    }
    // Used on day 25: idle would end on day 32, but the 30-day absolute lifetime comes first.
    assert.equal(await listed(access), new Date(t0 + 30 * DAY).toISOString());
  });

  test("a session used an hour after sign-in expires seven days after that use", async () => {
    const user = await server.signUpAndSignIn();
    clock.advance(3_600_000);
    const res = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } });
    const used = clock.now();
    const list = await server.request<Listed>("GET", "/auth/sessions", { token: res.body.access_token });
    assert.equal(list.body.find((s) => s.current)!.expires_at, new Date(used + 7 * DAY).toISOString());
  });
});
