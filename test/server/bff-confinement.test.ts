// /bff serves the API's answers on Tessera's own origin, beside the readable
// __Host-tessera_csrf cookie. Every answer is confined (CSP sandbox), kept out
// of shared caches, and keyed by the cookie; the request line reaches the API
// byte for byte; bodies and answers are capped; a read needs Fetch Metadata
// or the CSRF token. The API here is a real HTTP server on loopback that
// records exactly what it received.
import assert from "node:assert/strict";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: TestServer;
let api: Server;
const received: Received[] = [];
/** What the API answers, by the path it received (default: a JSON body). */
const answers = new Map<string, (res: import("node:http").ServerResponse) => void>();

before(async () => {
  // The API binds first (port 0), so that its port is never raced for.
  api = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
      const answer = answers.get(req.url ?? "");
      if (answer) answer(res);
      else res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  const apiPort = (api.address() as AddressInfo).port;
  server = await startTestServer({ config: { bffUpstream: `http://127.0.0.1:${apiPort}` } });
});
after(async () => {
  await server.close();
  await new Promise((resolve) => api.close(resolve));
});

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A request with its path sent as given (fetch would parse and normalise it). */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<RawAnswer> {
  const port = new URL(server.url).port;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

let counter = 0;
async function cookieLogin(): Promise<{ cookie: string; csrf: string }> {
  const account = { username: `confined${++counter}`, password: "bff confinement password" };
  await server.request("POST", "/auth/register", { json: account });
  const res = await server.request<{ csrf_token: string }>("POST", "/session/login", { json: account, headers: { origin: server.issuer } });
  assert.equal(res.status, 200, res.text);
  const secret = /__Host-tessera_session=([^;]+)/.exec(res.headers.getSetCookie().join("\n"))![1]!;
  return { cookie: `__Host-tessera_session=${secret}`, csrf: res.body.csrf_token };
}

const page = (s: { cookie: string }, extra: Record<string, string> = {}) => ({ cookie: s.cookie, "sec-fetch-site": "same-origin", ...extra });

function assertConfined(res: RawAnswer, what: string): void {
  assert.equal(res.headers["content-security-policy"], "default-src 'none'; sandbox", what);
  const cacheControl = String(res.headers["cache-control"]);
  assert.ok(cacheControl === "no-store" || /^private\b/.test(cacheControl), `${what}: Cache-Control ${cacheControl}`);
  assert.doesNotMatch(cacheControl, /public|s-maxage/, what);
  assert.ok(String(res.headers.vary).split(/,\s*/).some((v) => v.toLowerCase() === "cookie"), `${what}: Vary ${res.headers.vary}`);
}

describe("answers are confined", () => {
  test("upstream HTML marked public: sandboxed, private, Vary: Cookie merged with the API's Vary; no upstream cookie", async () => {
    answers.set("/", (res) => res.writeHead(200, {
      "content-type": "text/html", "cache-control": "public, max-age=3600", vary: "Origin, Accept-Language", "set-cookie": "__Host-tessera_csrf=planted; Path=/; Secure",
    }).end("<script>fetch('/session/logout',{method:'POST'})</script>"));
    const s = await cookieLogin();
    const res = await raw("GET", "/bff/", page(s));
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "text/html");
    assertConfined(res, "HTML");
    assert.equal(res.headers["cache-control"], "private, max-age=3600", "the browser may keep it as long as the API said; no shared cache may");
    const vary = String(res.headers.vary).split(/,\s*/).map((v) => v.toLowerCase());
    for (const name of ["cookie", "origin", "accept-language"]) assert.ok(vary.includes(name), `Vary has ${name}: ${res.headers.vary}`);
    assert.equal(new Set(vary).size, vary.length, "no name twice");
    assert.equal(res.headers["set-cookie"], undefined, "the API sets no cookie on Tessera's origin");
  });

  test("the API's no-store is kept; no Cache-Control at all means private, no-cache", async () => {
    answers.set("/secret", (res) => res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store, public" }).end("{}"));
    answers.set("/plain", (res) => res.writeHead(200, { "content-type": "application/json", "last-modified": "Wed, 21 Oct 2015 07:28:00 GMT" }).end("{}"));
    const s = await cookieLogin();
    assert.equal((await raw("GET", "/bff/secret", page(s))).headers["cache-control"], "no-store");
    const plain = await raw("GET", "/bff/plain", page(s));
    assert.equal(plain.headers["cache-control"], "private, no-cache", "no heuristic freshness from Last-Modified");
    assertConfined(plain, "no Cache-Control");
  });

  test("Tessera's own refusals on /bff are confined too", async () => {
    const s = await cookieLogin();
    const refusals: Array<[string, Promise<RawAnswer>]> = [
      ["no cookie", raw("GET", "/bff/x", { "sec-fetch-site": "same-origin" })],
      ["cross-site read", raw("GET", "/bff/x", { cookie: s.cookie, "sec-fetch-site": "cross-site" })],
      ["forged write", raw("POST", "/bff/x", { cookie: s.cookie, origin: "https://evil.example", "content-type": "application/json" }, "{}")],
    ];
    for (const [what, answer] of refusals) {
      const res = await answer;
      assert.ok(res.status === 401 || res.status === 403, `${what}: ${res.status}`);
      assertConfined(res, what);
    }
  });
});

describe("the request line reaches the API byte for byte", () => {
  test("%3F, %23, %2e%2e, %2F and an encoded query stay exactly as sent", async () => {
    const s = await cookieLogin();
    const paths = [
      "/a%3Fadmin=1",
      "/a%23fragment",
      "/files/%2e%2e/admin",
      "/files/%2E%2E%2fadmin",
      "/x%2Fy?q=%26and%3D&flag&q=2",
      "/%C3%A9t%C3%A9?na%C3%AFve=%E2%9C%93",
    ];
    for (const path of paths) {
      const res = await raw("GET", `/bff${path}`, page(s));
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.equal(received.at(-1)?.url, path);
    }
  });

  test("a literal . or .. segment is refused, and nothing is forwarded", async () => {
    const s = await cookieLogin();
    const before = received.length;
    for (const path of ["/bff/files/../admin", "/bff/./x", "/bff/a/..?x=1"]) {
      const res = await raw("GET", path, page(s));
      assert.equal(res.status, 400, path);
      assert.equal((JSON.parse(res.text) as { error: string }).error, "invalid_request");
    }
    assert.equal(received.length, before);
  });
});

describe("bodies and answers are capped", () => {
  test("the body goes on as the bytes that came, whatever the type", async () => {
    const s = await cookieLogin();
    const cases: Array<[string, string | Buffer]> = [
      ["application/json", '{"id": 12345678901234567890, "id": "duplicate",  "b":1.50}'],
      ["application/x-www-form-urlencoded", "tag=a&tag=b&empty=&x=%20"],
      ["application/octet-stream", Buffer.from([0, 255, 1, 254, 10, 13])],
    ];
    for (const [type, body] of cases) {
      const res = await raw("POST", "/bff/upload", page(s, { origin: server.issuer, "x-csrf-token": s.csrf, "content-type": type }), body);
      assert.equal(res.status, 200, `${type}: ${res.text}`);
      assert.deepEqual(received.at(-1)?.body, Buffer.from(body), type);
      assert.equal(received.at(-1)?.headers["content-type"], type);
    }
  });

  test("a body over 16 KiB is refused (413) and nothing is forwarded, with or without Content-Length", async () => {
    const s = await cookieLogin();
    const before = received.length;
    const headers = page(s, { origin: server.issuer, "x-csrf-token": s.csrf, "content-type": "application/json" });
    const big = JSON.stringify({ blob: "x".repeat(17 * 1024) });
    assert.equal((await raw("POST", "/bff/upload", headers, big)).status, 413);
    assert.equal((await raw("POST", "/bff/upload", { ...headers, "transfer-encoding": "chunked" }, big)).status, 413);
    assert.equal(received.length, before);
  });

  test("an answer over 1 MiB is not passed on: 502 bad_gateway, declared or streamed", async () => {
    const mib = Buffer.alloc(1024 * 1024 + 1, 0x61);
    answers.set("/huge", (res) => res.writeHead(200, { "content-type": "text/plain", "content-length": String(mib.length) }).end(mib));
    answers.set("/huge-chunked", (res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write(mib.subarray(0, 600_000));
      res.end(mib.subarray(600_000));
    });
    answers.set("/exactly-1mib", (res) => res.writeHead(200, { "content-type": "text/plain" }).end(mib.subarray(1)));
    const s = await cookieLogin();
    for (const path of ["/huge", "/huge-chunked"]) {
      const res = await raw("GET", `/bff${path}`, page(s));
      assert.equal(res.status, 502, path);
      assert.equal((JSON.parse(res.text) as { error: string }).error, "bad_gateway");
      assertConfined(res, path);
    }
    const limit = await raw("GET", "/bff/exactly-1mib", page(s));
    assert.equal(limit.status, 200);
    assert.equal(limit.text.length, 1024 * 1024);
  });
});

describe("reads need Sec-Fetch-Site: same-origin or the CSRF token", () => {
  test("a navigation or a fetch from another site (or a sibling subdomain) reaches nothing", async () => {
    const s = await cookieLogin();
    const before = received.length;
    const cases: Array<[string, Record<string, string>]> = [
      ["no Fetch Metadata", {}],
      ["cross-site navigation", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" }],
      ["sibling subdomain", { "sec-fetch-site": "same-site" }],
      ["typed in the address bar", { "sec-fetch-site": "none" }],
      ["a wrong CSRF token", { "x-csrf-token": "A".repeat(43) }],
    ];
    for (const [what, headers] of cases) {
      for (const method of ["GET", "HEAD"]) {
        const res = await raw(method, "/bff/orders", { cookie: s.cookie, ...headers });
        assert.equal(res.status, 403, `${method} ${what}`);
        if (method === "GET") assert.equal((JSON.parse(res.text) as { error: string }).error, "csrf_failed", what);
      }
    }
    assert.equal(received.length, before);
  });

  test("30 cross-site reads at once: all refused, none forwarded", async () => {
    const s = await cookieLogin();
    const before = received.length;
    const answers30 = await Promise.all(Array.from({ length: 30 }, () => raw("GET", "/bff/orders", { cookie: s.cookie, "sec-fetch-site": "cross-site" })));
    assert.deepEqual(new Set(answers30.map((a) => a.status)), new Set([403]));
    assert.equal(received.length, before);
  });

  test("a same-origin read, or one carrying the session's CSRF token, goes through", async () => {
    const s = await cookieLogin();
    assert.equal((await raw("GET", "/bff/orders", page(s))).status, 200);
    assert.equal((await raw("GET", "/bff/orders", { cookie: s.cookie, "x-csrf-token": s.csrf })).status, 200, "a browser without Fetch Metadata, with the token");
  });
});
