// Structured logs: JSON lines, one access line per request with a request id, and no credential
// in any of them after a run through every flow that carries one — sign-in,
// refresh, logout, client authentication, cookie sessions, and a careless
// client that puts a token in the query string.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { redactUrl } from "../../src/server/shared/logging.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

type TokenBody = { access_token: string; refresh_token: string };

const lines: string[] = [];
const secrets = new Map<string, string>();
let server: TestServer;

before(async () => {
  // The access lines go out at the end of each turn (not 100 ms later), so each test reads them at once.
  server = await startTestServer({ config: { logLevel: "trace", accessLogFlushMs: 0 }, logStream: { write: (chunk) => { lines.push(...chunk.split("\n").filter(Boolean)); } } });
  const password = "log-test Tr0ub4dor&3 secret";
  const user = await server.signUpAndSignIn("log-alice", password);
  secrets.set("password", password).set("access token", user.access_token).set("first refresh token", user.refresh_token);
  await server.request("POST", "/oauth/token", { json: { grant_type: "password", username: "log-alice", password: "the wrong secret 123" } });
  secrets.set("wrong password", "the wrong secret 123");
  const refreshed = await server.request<TokenBody>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } });
  secrets.set("second refresh token", refreshed.body.refresh_token).set("second access token", refreshed.body.access_token);
  await server.request("GET", "/userinfo", { token: refreshed.body.access_token, headers: { "x-request-id": "trace-me-123" } });
  await server.request("GET", `/userinfo?access_token=${refreshed.body.access_token}&refresh_token=${refreshed.body.refresh_token}`);
  await server.request("POST", "/auth/password", { token: refreshed.body.access_token, json: { current_password: password, new_password: "the new log secret 456" } });
  secrets.set("new password", "the new log secret 456");

  const { client, secret } = await server.tessera.parts.clients.register({ name: "Log service", id: "log-svc" });
  secrets.set("client secret", secret!);
  const basic = Buffer.from(`${client.id}:${secret!}`).toString("base64");
  secrets.set("Basic credentials", basic);
  const service = await server.request<TokenBody>("POST", "/oauth/token", { form: { grant_type: "client_credentials" }, headers: { authorization: `Basic ${basic}` } });
  secrets.set("service token", service.body.access_token);
  await server.request("POST", "/oauth/introspect", { form: { token: refreshed.body.access_token, client_id: client.id, client_secret: secret! } });

  const cookie = await server.request<{ csrf_token: string }>("POST", "/session/login", { json: { username: "log-alice", password: "the new log secret 456" }, headers: { origin: server.issuer } });
  assert.equal(cookie.status, 200, cookie.text);
  const setCookie = cookie.headers.getSetCookie();
  const jar = setCookie.map((c) => c.split(";")[0]!).join("; ");
  for (const c of setCookie) secrets.set(`cookie ${c.split("=")[0]}`, c.split(";")[0]!.split("=").slice(1).join("="));
  secrets.set("csrf token", cookie.body.csrf_token);
  await server.request("GET", "/userinfo", { headers: { cookie: jar } });
  await server.request("POST", "/session/logout", { headers: { cookie: jar, "x-csrf-token": cookie.body.csrf_token, origin: server.issuer } });

  await server.request("POST", "/auth/logout", { token: refreshed.body.access_token });
  await server.request("POST", "/oauth/revoke", { form: { token: refreshed.body.refresh_token, client_id: "tessera-web" } });
});
after(() => server.close());

describe("server logs", () => {
  const entries = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const access = () => entries().filter((e) => e.msg === "request");

  test("are JSON lines: one access line per request with its method, route, status, duration and request id", () => {
    assert.ok(entries().length >= 16, `only ${entries().length} lines: is the logger wired?`);
    const lines = access();
    assert.ok(lines.length >= 14, `only ${lines.length} access lines`);
    for (const e of lines) {
      assert.deepEqual(Object.keys(e).sort(), ["hostname", "level", "method", "ms", "msg", "pid", "reqId", "route", "status", "time"], JSON.stringify(e));
      assert.ok(typeof e.reqId === "string" && typeof e.status === "number" && typeof e.ms === "number" && e.ms >= 0);
      assert.equal(e.level, 30);
    }
    // One line per request, not Fastify's "incoming request" and "request completed" pair.
    const ids = lines.map((e) => e.reqId);
    assert.equal(new Set(ids).size, ids.length, "a request id appears on two access lines");
    assert.ok(!entries().some((e) => e.msg === "incoming request" || e.msg === "request completed"));
    assert.ok(lines.some((e) => e.method === "POST" && e.route === "/oauth/token" && e.status === 200));
    assert.ok(lines.some((e) => e.method === "POST" && e.route === "/oauth/token" && e.status === 400), "the wrong password's refusal");
    assert.ok(lines.some((e) => e.method === "DELETE" || e.route === "/auth/logout"));
  });

  test("an answer's access line is written once it is sent, with the route pattern of a matched route", async () => {
    const before = access().length;
    const res = await server.request("GET", "/healthz", { headers: { "x-request-id": "one-line-please" } });
    assert.equal(res.status, 200);
    const mine = access().slice(before).filter((e) => e.reqId === "one-line-please");
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.route, "/healthz");
    await server.request("GET", "/no/such/place?token=abc");
    assert.ok(access().some((e) => e.route === "(unmatched)" && e.status === 404), "unmatched routes share one label");
  });

  test("use the caller's x-request-id when it is safe, and echo it", async () => {
    assert.ok(lines.some((l) => l.includes('"reqId":"trace-me-123"')));
    const res = await server.request("GET", "/healthz", { headers: { "x-request-id": "bad id with spaces" } });
    assert.notEqual(res.headers.get("x-request-id"), "bad id with spaces");
    assert.match(res.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
    // An id that would break the JSON line is refused, and the line stays parseable.
    const quote = await server.request("GET", "/healthz", { headers: { "x-request-id": 'x","status":1,"a":"' } });
    assert.match(quote.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
    for (const l of lines) JSON.parse(l);
  });

  test("hold no password, token, client secret, cookie, CSRF token or Authorization header", () => {
    const all = lines.join("\n");
    assert.ok(all.includes("/session/login") && all.includes("/oauth/introspect"), "control: the log covers the flows");
    for (const [what, value] of secrets) {
      assert.ok(value.length >= 8, `${what} is a real value`);
      assert.ok(!all.includes(value), `the log holds the ${what}`);
    }
    assert.ok(!/Bearer ey|Basic [A-Za-z0-9+/]{8}/.test(all), "no Authorization header value");
  });

  test("carry the route pattern, never the URL: a query string a careless client sent does not reach the log", () => {
    assert.ok(!lines.some((l) => l.includes("access_token=") || l.includes("refresh_token=")));
    assert.ok(access().filter((e) => e.route === "/userinfo").length >= 3);
  });

  test("redactUrl masks credential-like query parameters, keeping their names (for any line that logs a URL)", () => {
    assert.equal(redactUrl("/userinfo?access_token=abc&refresh_token=def&x=1"), "/userinfo?access_token=[redacted]&refresh_token=[redacted]&x=1");
    assert.equal(redactUrl("/a?%70assword=p"), "/a?%70assword=[redacted]");
    assert.equal(redactUrl("/plain"), "/plain");
  });
});
