// Operations: /healthz and /readyz, /metrics in Prometheus format,
// client addresses behind a load balancer, and the expired-session sweeper.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parsePrometheus, sample, type Samples } from "../helpers/prometheus.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { sidOf } from "../helpers/tokens.js";

type TokenBody = { access_token: string; refresh_token: string; error?: string };
const DAY = 86_400_000;

describe("/healthz and /readyz", () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(() => server.close());

  test("both answer 200; readiness names each check, Redis as disabled without REDIS_URL", async () => {
    assert.deepEqual((await server.request("GET", "/healthz")).body, { status: "ok" });
    const ready = await server.request("GET", "/readyz");
    assert.equal(ready.status, 200);
    assert.equal(ready.headers.get("cache-control"), "no-store");
    assert.deepEqual(ready.body, { status: "ok", checks: { store: "ok", redis: "disabled" } });
  });

  test("with the store gone, /readyz is 503 and /healthz still 200", async () => {
    const doomed = await startTestServer();
    try {
      await doomed.tessera.parts.store.close();
      const ready = await doomed.request("GET", "/readyz");
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, { status: "unavailable", checks: { store: "unreachable", redis: "disabled" } });
      assert.equal((await doomed.request("GET", "/healthz")).status, 200);
    } finally {
      await doomed.close().catch(() => undefined); // its store is already closed
    }
  });
});

describe("/metrics", () => {
  const clock = testClock();
  let server: TestServer;
  let metrics: Samples;
  let endedSid: string;

  before(async () => {
    server = await startTestServer({ clock });
    const refresh = (token: string) => server.request<TokenBody>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: token } });
    const signIn = (username: string, password: string) => server.request<TokenBody>("POST", "/oauth/token", { form: { grant_type: "password", username, password } });
    // One of each outcome.
    const alice = await server.signUpAndSignIn("metrics-alice");
    assert.equal((await signIn("metrics-alice", "wrong password!")).status, 400);
    assert.equal((await signIn("metrics-nobody", "whatever it is")).status, 400);
    const rotated = await refresh(alice.refresh_token);
    assert.equal(rotated.status, 200);
    assert.equal((await refresh(alice.refresh_token)).status, 200, "grace");
    clock.advance(11_000);
    assert.equal((await refresh(alice.refresh_token)).status, 400, "reuse");
    assert.equal((await refresh("tsr_" + "x".repeat(43))).status, 400, "invalid");
    // Two more users; one ends its session through a route with a path parameter.
    await server.signUpAndSignIn("metrics-bob");
    const carol = await server.signUpAndSignIn("metrics-carol");
    endedSid = sidOf(carol.access_token);
    assert.equal((await server.request("DELETE", `/auth/sessions/${endedSid}`, { token: carol.access_token })).status, 204);
    assert.equal((await server.request("GET", "/no/such/page")).status, 404);
    const res = await server.request("GET", "/metrics");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    metrics = parsePrometheus(res.text);
  });
  after(() => server.close());

  test("sign-ins by outcome, refreshes by outcome, reuse by cause, registrations", () => {
    assert.equal(sample(metrics, "tessera_sign_ins_total", { outcome: "success" }), 3);
    assert.equal(sample(metrics, "tessera_sign_ins_total", { outcome: "invalid_credentials" }), 1);
    assert.equal(sample(metrics, "tessera_sign_ins_total", { outcome: "unknown_user" }), 1);
    assert.equal(sample(metrics, "tessera_sign_ins_total", { outcome: "disabled" }), 0, "known outcomes start at 0");
    for (const [outcome, n] of Object.entries({ rotated: 1, grace: 1, reuse: 1, invalid: 1, expired: 0, revoked: 0 })) {
      assert.equal(sample(metrics, "tessera_refreshes_total", { outcome }), n, outcome);
    }
    assert.equal(sample(metrics, "tessera_refresh_reuse_total", { cause: "benign_race" }), 1);
    assert.equal(sample(metrics, "tessera_refresh_reuse_total", { cause: "suspected_theft" }), 1);
    assert.equal(sample(metrics, "tessera_registrations_total"), 3);
    assert.equal(sample(metrics, "tessera_sessions_ended_total", { reason: "refresh_token_reuse" }), 1);
    assert.equal(sample(metrics, "tessera_sessions_ended_total", { reason: "revoked" }), 1);
  });

  test("active sessions counts live sessions from the store", () => {
    assert.equal(sample(metrics, "tessera_active_sessions"), 1, "alice's ended by reuse, carol's by DELETE: bob's is left");
  });

  test("request latency is a histogram by route pattern, never by raw URL", () => {
    const count = (method: string, route: string, status: string) => sample(metrics, "tessera_http_request_duration_seconds_count", { method, route, status });
    assert.equal(count("DELETE", "/auth/sessions/:id", "2xx"), 1);
    assert.equal(count("GET", "(unmatched)", "4xx"), 1);
    assert.ok((count("POST", "/oauth/token", "2xx") ?? 0) >= 5);
    assert.equal(count("POST", "/oauth/token", "4xx"), 4);
    assert.ok(sample(metrics, "tessera_http_request_duration_seconds_bucket", { method: "POST", route: "/oauth/token", status: "2xx", le: "+Inf" })! >= 5);
    const keys = [...metrics.keys()].join("\n");
    assert.ok(!keys.includes(endedSid), "no session id in a label");
    assert.ok(!keys.includes("/no/such/page"), "no raw URL in a label");
  });

  test("the hashing pool's queue and running hashes, and the process's own metrics", () => {
    assert.equal(sample(metrics, "tessera_password_hash_queue_depth"), 0);
    assert.equal(sample(metrics, "tessera_password_hash_running"), 0);
    assert.ok(sample(metrics, "process_cpu_seconds_total")! > 0);
    assert.equal(sample(metrics, "tessera_redis_up"), undefined, "no Redis gauge without REDIS_URL");
  });

  test("with TESSERA_METRICS_TOKEN, /metrics needs that Bearer token", async () => {
    const token = "metrics-token-0123456789";
    const guarded = await startTestServer({ config: { metricsToken: token } });
    try {
      assert.equal((await guarded.request("GET", "/metrics")).status, 401);
      assert.equal((await guarded.request("GET", "/metrics", { token: "metrics-token-wrong-6789" })).status, 401);
      const ok = await guarded.request("GET", "/metrics", { token });
      assert.equal(ok.status, 200);
      assert.ok(sample(parsePrometheus(ok.text), "tessera_registrations_total") === 0);
    } finally {
      await guarded.close();
    }
  });
});

describe("client addresses behind a load balancer (TESSERA_TRUST_PROXY)", () => {
  async function ipSeen(config: Parameters<typeof startTestServer>[0]): Promise<string | null> {
    const server = await startTestServer(config);
    try {
      const user = await server.signUpAndSignIn();
      const list = await server.request<Array<{ ip: string | null }>>("GET", "/auth/sessions", { token: user.access_token });
      // The session recorded the address of the sign-in request, which carried no header:
      // sign in again through the "proxy".
      assert.equal(list.body[0]!.ip, "127.0.0.1");
      const proxied = await server.request<TokenBody>("POST", "/oauth/token", {
        form: { grant_type: "password", username: user.username, password: user.password }, headers: { "x-forwarded-for": "203.0.113.9" },
      });
      const sessions = await server.request<Array<{ ip: string | null; current: boolean }>>("GET", "/auth/sessions", { token: proxied.body.access_token });
      return sessions.body.find((s) => s.current)!.ip;
    } finally {
      await server.close();
    }
  }

  test("by default X-Forwarded-For is ignored: anyone could write it", async () => {
    assert.equal(await ipSeen({}), "127.0.0.1");
  });

  test("trusting the proxy's address, the client's address comes from X-Forwarded-For", async () => {
    assert.equal(await ipSeen({ config: { trustProxy: ["127.0.0.1"] } }), "203.0.113.9");
  });
});

describe("the expired-session sweeper", () => {
  test("deletes ended and idle sessions a day after they end, and their feed entries; keeps live ones", async () => {
    const clock = testClock();
    const server = await startTestServer({ clock, config: { sweepIntervalMs: 1000 } });
    try {
      const ended = await server.signUpAndSignIn();
      assert.equal((await server.request("POST", "/auth/logout", { token: ended.access_token })).status, 204);
      const idle = await server.signUpAndSignIn();
      const [endedSid, idleSid] = [sidOf(ended.access_token), sidOf(idle.access_token)];
      assert.equal((await server.tessera.parts.store.revocationsSince(0, 0)).length, 1);
      clock.advance(9 * DAY); // past the 7-day idle timeout plus the day of retention
      const live = await server.signUpAndSignIn();
      const deadline = Date.now() + 5000;
      while ((await server.tessera.parts.store.findSession(endedSid)) !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await server.tessera.parts.store.findSession(endedSid), undefined, "the logged-out session is gone");
      assert.equal(await server.tessera.parts.store.findSession(idleSid), undefined, "the idle session is gone");
      assert.ok(await server.tessera.parts.store.findSession(sidOf(live.access_token)), "the live session stays");
      assert.deepEqual(await server.tessera.parts.store.revocationsSince(0, 0), [], "its feed entry expired with its tokens and is gone");
    } finally {
      await server.close();
    }
  });
});
