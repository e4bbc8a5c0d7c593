// The CSRF defence covers every unsafe method, not only POST: a cookie-
// authenticated DELETE, PUT or PATCH from the server's own origin but without
// X-CSRF-Token is refused (403 csrf_failed), reaches nothing (no session ended,
// nothing forwarded by /bff), and the cookie session survives it.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Config } from "../../src/core/config.js";
import { allowedOrigins } from "../../src/server/shared/origins.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let api: Server;
const forwarded: string[] = [];

before(async () => {
  api = createServer((req, res) => {
    forwarded.push(`${req.method} ${req.url}`);
    req.resume().on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  server = await startTestServer({ config: { bffUpstream: `http://127.0.0.1:${(api.address() as AddressInfo).port}` } });
});
after(async () => {
  await server.close();
  await new Promise((resolve) => api.close(resolve));
});

let users = 0;
async function cookieLogin(): Promise<{ cookie: string; csrf: string; username: string; password: string }> {
  const username = `csrfm${++users}`;
  const password = "csrf methods password";
  assert.equal((await server.request("POST", "/auth/register", { json: { username, password } })).status, 201);
  const res = await server.request<{ csrf_token: string }>("POST", "/session/login", { json: { username, password }, headers: { origin: new URL(server.issuer).origin } });
  assert.equal(res.status, 200, res.text);
  const secret = /__Host-tessera_session=([^;]+)/.exec(res.headers.getSetCookie().join("\n"))![1]!;
  return { cookie: `__Host-tessera_session=${secret}`, csrf: res.body.csrf_token, username, password };
}

const sameOrigin = () => new URL(server.issuer).origin;

async function sessionIds(cookie: string): Promise<string[]> {
  const res = await server.request<Array<{ id: string }>>("GET", "/auth/sessions", { headers: { cookie } });
  assert.equal(res.status, 200, res.text);
  return res.body.map((s) => s.id);
}

describe("unsafe methods other than POST need the CSRF token", () => {
  test("DELETE /auth/sessions/:id without the token: 403 csrf_failed, and the session is not ended", async () => {
    const s = await cookieLogin();
    // A second session of the same user (token mode), the one the forged request aims at.
    const other = await server.request<{ refresh_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username: s.username, password: s.password } });
    const before = await sessionIds(s.cookie);
    assert.equal(before.length, 2);
    const target = before[0]!;
    for (const id of before) {
      const res = await server.request<{ error: string }>("DELETE", `/auth/sessions/${id}`, { headers: { cookie: s.cookie, origin: sameOrigin() } });
      assert.equal(res.status, 403, res.text);
      assert.equal(res.body.error, "csrf_failed");
    }
    assert.deepEqual((await sessionIds(s.cookie)).sort(), [...before].sort(), "both sessions are still live");
    const renewed = await server.request("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: other.body.refresh_token } });
    assert.equal(renewed.status, 200, "the token session still refreshes");
    // With the token the same request goes through: the refusal above was the CSRF check.
    const allowed = await server.request("DELETE", `/auth/sessions/${target}`, { headers: { cookie: s.cookie, origin: sameOrigin(), "x-csrf-token": s.csrf } });
    assert.equal(allowed.status, 204, allowed.text);
  });

  for (const method of ["PUT", "PATCH", "DELETE"]) {
    test(`${method} /bff/* without the token: 403 csrf_failed, nothing forwarded, the cookie session survives`, async () => {
      const s = await cookieLogin();
      forwarded.length = 0;
      const res = await server.request<{ error: string }>(method, "/bff/orders/1", { headers: { cookie: s.cookie, origin: sameOrigin(), "content-type": "application/json" }, body: "{}" });
      assert.equal(res.status, 403, res.text);
      assert.equal(res.body.error, "csrf_failed");
      assert.deepEqual(forwarded, [], "the API behind /bff never saw it");
      assert.equal((await server.request("GET", "/userinfo", { headers: { cookie: s.cookie } })).status, 200, "the session survived");
      const ok = await server.request(method, "/bff/orders/1", { headers: { cookie: s.cookie, origin: sameOrigin(), "x-csrf-token": s.csrf, "content-type": "application/json" }, body: "{}" });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(forwarded, [`${method} /orders/1`]);
    });
  }
});

describe("OPTIONS is a safe method", () => {
  test("OPTIONS /bff/* with the cookie alone (a same-origin read, no CSRF token) is forwarded", async () => {
    const s = await cookieLogin();
    forwarded.length = 0;
    const res = await server.request("OPTIONS", "/bff/orders/1", { headers: { cookie: s.cookie, "sec-fetch-site": "same-origin" } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(forwarded, ["OPTIONS /orders/1"]);
  });
});

// The origins the CSRF check trusts, for listeners the test server does not use:
// a loopback listener is reached by every loopback name of its port, any other
// listener by its issuer and the configured origins only.
describe("the CSRF check's trusted origins", () => {
  const trusted = (config: Pick<Config, "issuer" | "allowedOrigins" | "host" | "port">) => allowedOrigins(config as Config);
  const loopbackNames = (port: number) => [`http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://[::1]:${port}`];

  test("CSRF origins on a listener bound to any loopback name: each loopback name of that port, not another port", () => {
    for (const host of ["127.0.0.1", "localhost", "::1"]) {
      const origins = trusted({ issuer: "https://auth.example.com", allowedOrigins: ["https://app.example.com"], host, port: 8443 });
      for (const origin of [...loopbackNames(8443), "https://auth.example.com", "https://app.example.com"]) assert.ok(origins.has(origin), `${host}: ${origin}`);
      for (const origin of [...loopbackNames(8444), "https://evil.example"]) assert.ok(!origins.has(origin), `${host}: ${origin}`);
    }
  });

  test("CSRF origins on a listener that is not loopback: the issuer and the configured origins, no loopback name", () => {
    for (const host of ["0.0.0.0", "::", "10.0.0.5"]) {
      const origins = trusted({ issuer: "https://auth.example.com", allowedOrigins: ["https://app.example.com"], host, port: 8443 });
      assert.ok(origins.has("https://auth.example.com") && origins.has("https://app.example.com"), host);
      // On a server, http://localhost:8443 in a user's browser is the user's own machine, not this server.
      for (const origin of loopbackNames(8443)) assert.ok(!origins.has(origin), `${host}: ${origin}`);
    }
  });

  test("CSRF origins follow the port once the listener has one (port 0 until listen)", () => {
    const config = { issuer: "https://auth.example.com", allowedOrigins: [], host: "127.0.0.1", port: 0 };
    const origins = trusted(config);
    assert.ok(!origins.has("http://127.0.0.1:0") && !origins.has("http://localhost:0"), "no origin of port 0");
    config.port = 8443;
    assert.ok(origins.has("http://localhost:8443"));
  });
});
