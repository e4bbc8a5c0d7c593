// Structured logs (issue #6): JSON lines with a request id, and no credential
// in any of them after a run through every flow that carries one — sign-in,
// refresh, logout, client authentication, cookie sessions, and a careless
// client that puts a token in the query string.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";

type TokenBody = { access_token: string; refresh_token: string };

const lines: string[] = [];
const secrets = new Map<string, string>();
let server: TestServer;

before(async () => {
  server = await startTestServer({ config: { logLevel: "trace" }, logStream: { write: (line) => { lines.push(line); } } });
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

  const { client, secret } = await server.tessera.clients.register({ name: "Log service", id: "log-svc" });
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
  test("are JSON lines carrying a request id, the route and the status", () => {
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(entries.length > 20, `only ${entries.length} lines: is the logger wired?`);
    const completed = entries.filter((e) => e.msg === "request completed");
    assert.ok(completed.length >= 12);
    assert.ok(completed.every((e) => typeof e.reqId === "string" && typeof (e.res as { statusCode?: number })?.statusCode === "number"));
  });

  test("use the caller's x-request-id when it is safe, and echo it", async () => {
    assert.ok(lines.some((l) => l.includes('"reqId":"trace-me-123"')));
    const res = await server.request("GET", "/healthz", { headers: { "x-request-id": "bad id with spaces" } });
    assert.notEqual(res.headers.get("x-request-id"), "bad id with spaces");
    assert.match(res.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  });

  test("hold no password, token, client secret, cookie, CSRF token or Authorization header", () => {
    const all = lines.join("\n");
    assert.ok(all.includes("log-alice") || all.includes("/session/login"), "control: the log covers the flows");
    for (const [what, value] of secrets) {
      assert.ok(value.length >= 8, `${what} is a real value`);
      assert.ok(!all.includes(value), `the log holds the ${what}`);
    }
    assert.ok(!/Bearer ey|Basic [A-Za-z0-9+/]{8}/.test(all), "no Authorization header value");
  });

  test("mask credential-like query parameters a careless client sent, keeping their names", () => {
    assert.ok(lines.some((l) => l.includes("/userinfo?access_token=[redacted]&refresh_token=[redacted]")));
  });
});
