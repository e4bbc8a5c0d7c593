// Combined mode: the browser holds only the session cookie; /bff/*
// forwards to the API with a Bearer token minted for the cookie session.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, test } from "node:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { AddressInfo } from "node:net";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let api: Server;
let jwks: ReturnType<typeof createRemoteJWKSet>;
const seen: Array<{ method: string; url: string; sid: unknown; body: string }> = [];

before(async () => {
  // A real resource server: it verifies the token like any API behind Tessera would.
  // It binds first (port 0), so its port cannot be taken in between.
  api = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => { body += chunk.toString(); });
    req.on("end", () => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
      jwtVerify(token, jwks, { issuer: server.issuer, audience: server.issuer, typ: "at+jwt" }).then(({ payload }) => {
        seen.push({ method: req.method!, url: req.url!, sid: payload.sid, body });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ orders: [1, 2], user: payload.sub }));
      }, () => res.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"' }).end());
    });
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  server = await startTestServer({ config: { bffUpstream: `http://127.0.0.1:${(api.address() as AddressInfo).port}` } });
  jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
});
after(async () => {
  await server.close();
  await new Promise((resolve) => api.close(resolve));
});

async function cookieLogin() {
  await server.request("POST", "/auth/register", { json: { username: "bff-user", password: "bff user password" } });
  const res = await server.request<{ csrf_token: string }>("POST", "/session/login", { json: { username: "bff-user", password: "bff user password" }, headers: { origin: server.issuer } });
  const secret = /__Host-tessera_session=([^;]+)/.exec(res.headers.getSetCookie().join("\n"))![1]!;
  return { cookie: `__Host-tessera_session=${secret}`, csrf: res.body.csrf_token };
}

test("a cookie request to /bff reaches the API with a Bearer token of the cookie session, and no token reaches the browser", async () => {
  const s = await cookieLogin();
  const res = await server.request<{ orders: number[]; user: string }>("GET", "/bff/orders?page=2", { headers: { cookie: s.cookie, "sec-fetch-site": "same-origin" } });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.orders, [1, 2]);
  assert.ok(!/eyJ/.test(res.text) && !/tsr_/.test(res.text), "no token in the answer");
  const sessions = await server.request<Array<{ id: string }>>("GET", "/auth/sessions", { headers: { cookie: s.cookie } });
  assert.equal(seen.at(-1)?.url, "/orders?page=2");
  assert.equal(seen.at(-1)?.sid, sessions.body[0]!.id);
});

test("unsafe forwarded requests need the CSRF proof", async () => {
  const s = await cookieLogin();
  const forged = await server.request("POST", "/bff/orders", { json: { item: 1 }, headers: { cookie: s.cookie, origin: "https://evil.example" } });
  assert.equal(forged.status, 403);
  const origin = new URL(server.issuer).origin;
  const ok = await server.request("POST", "/bff/orders", { json: { item: 1 }, headers: { cookie: s.cookie, origin, "x-csrf-token": s.csrf } });
  assert.equal(ok.status, 200);
  assert.equal(seen.at(-1)?.body, '{"item":1}');
});

test("without a live cookie session, nothing is forwarded", async () => {
  const s = await cookieLogin();
  const before = seen.length;
  await server.request("POST", "/session/logout", { headers: { cookie: s.cookie, origin: new URL(server.issuer).origin, "x-csrf-token": s.csrf } });
  assert.equal((await server.request("GET", "/bff/orders", { headers: { cookie: s.cookie } })).status, 401);
  const user = await server.signUpAndSignIn();
  assert.equal((await server.request("GET", "/bff/orders", { token: user.access_token })).status, 403, "Bearer callers call the API directly");
  assert.equal(seen.length, before);
});
