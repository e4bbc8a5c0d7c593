// Malformed requests across every endpoint ("Bad input", security
// suite): each must be a 4xx with the contract's JSON error shape, never a 5xx,
// and the server must be healthy afterwards. Ends with property-based fuzzing of
// the two bodies anyone can post without credentials.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { startTestServer, type SignedIn, type TestServer } from "../helpers/server.js";

let server: TestServer;
let user: SignedIn;
let service: { id: string; secret: string };

before(async () => {
  server = await startTestServer();
  user = await server.signUpAndSignIn("badinput-alice", "correct horse battery staple");
  const { client, secret } = await server.tessera.parts.clients.register({ name: "Bad input service", id: "badinput-svc" });
  service = { id: client.id, secret: secret! };
});
after(() => server.close());

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: { error?: unknown; error_description?: unknown } | undefined;
}

type RawBody = string | Uint8Array<ArrayBuffer> | (() => ReadableStream<Uint8Array<ArrayBuffer>>);

async function send(method: string, path: string, body?: RawBody, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit & { duplex?: "half" } = { method, headers };
  if (typeof body === "function") {
    init.body = body();
    init.duplex = "half";
  } else if (body !== undefined) {
    init.body = body;
  }
  const response = await fetch(server.url + path, init);
  const text = await response.text();
  let parsed: Answer["body"];
  try {
    parsed = text ? (JSON.parse(text) as Answer["body"]) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

const JSON_TYPE = { "content-type": "application/json" };
const FORM_TYPE = { "content-type": "application/x-www-form-urlencoded" };
const json = (value: unknown) => JSON.stringify(value);
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
const bearer = () => ({ authorization: `Bearer ${user.access_token}` });
const over16KiB = "x".repeat(17 * 1024);

/** The contract for every error: 4xx, JSON `{error, error_description}`, no stack, not cacheable. */
function assertClientError(res: Answer, expect: Expect = {}): void {
  const where = `${res.status} ${res.text.slice(0, 300)}`;
  assert.ok(res.status >= 400 && res.status < 500, `expected a 4xx, got ${where}`);
  if (expect.status !== undefined) assert.equal(res.status, expect.status, where);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/, where);
  assert.ok(res.body && typeof res.body === "object", where);
  assert.equal(typeof res.body.error, "string", where);
  assert.match(res.body.error as string, /^[a-z_]+$/, where);
  assert.equal(typeof res.body.error_description, "string", where);
  if (expect.error !== undefined) assert.equal(res.body.error, expect.error, where);
  if (expect.field !== undefined) assert.ok((res.body.error_description as string).includes(expect.field), `description should name ${expect.field}: ${where}`);
  assert.doesNotMatch(res.text, /\bat [\w.<>]+ \(|node_modules|\/src\/|FST_ERR|statusCode/, `internal detail leaked: ${where}`);
  assert.equal(res.headers.get("cache-control"), "no-store", where);
}

interface Expect {
  status?: number;
  error?: string;
  /** A word the error_description must contain (the field at fault). */
  field?: string;
}

interface Case {
  name: string;
  method: string;
  path: string;
  body?: RawBody;
  headers?: Record<string, string> | (() => Record<string, string>);
  expect?: Expect;
}

const register = (body: RawBody, expect: Expect = {}, headers: Record<string, string> = JSON_TYPE): Omit<Case, "name"> =>
  ({ method: "POST", path: "/auth/register", body, headers, expect });
const token = (body: RawBody, expect: Expect = {}, headers: Record<string, string> = FORM_TYPE): Omit<Case, "name"> =>
  ({ method: "POST", path: "/oauth/token", body, headers, expect });
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

const invalidRequest = (field?: string): Expect => ({ status: 400, error: "invalid_request", ...(field ? { field } : {}) });

const cases: Record<string, Omit<Case, "name">> = {
  // --- POST /auth/register: encodings ---
  "register: invalid JSON": register('{"username": "x",', invalidRequest()),
  "register: JSON null": register("null", invalidRequest()),
  "register: JSON array": register('["alice", "password"]', invalidRequest()),
  "register: JSON number": register("42", invalidRequest()),
  "register: JSON string": register('"alice"', invalidRequest()),
  "register: empty JSON body": register("", invalidRequest()),
  "register: text/plain": register(json({ username: "alice2", password: "long enough" }), { status: 415, error: "unsupported_media_type" }, { "content-type": "text/plain" }),
  "register: multipart/form-data": register('--b\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice\r\n--b--\r\n', { status: 415, error: "unsupported_media_type" }, { "content-type": "multipart/form-data; boundary=b" }),
  "register: application/xml": register("<user><username>alice</username></user>", { status: 415, error: "unsupported_media_type" }, { "content-type": "application/xml" }),
  "register: a body with no content type": register(json({ username: "alice3", password: "long enough" }), { status: 415 }, {}),
  "register: no body at all": register(undefined as unknown as string, invalidRequest(), {}),
  "register: JSON over 16 KiB": register(json({ username: "big", password: over16KiB }), { status: 413, error: "payload_too_large" }),
  "register: form over 16 KiB (refused for its type before it is read)": register(form({ username: "big", password: over16KiB }), { status: 415, error: "unsupported_media_type" }, FORM_TYPE),
  "register: chunked body over 16 KiB (no Content-Length)": register(
    () => new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(json({ username: "big", password: "y".repeat(40_000) }))); c.close(); } }),
    { status: 413, error: "payload_too_large" },
  ),
  "register: invalid UTF-8 bytes": register(new Uint8Array([...Buffer.from('{"username":"'), 0xff, 0xfe, 0xc3, ...Buffer.from('","password":"a long password"}')])),
  "register: deeply nested arrays": register(`${"[".repeat(5000)}${"]".repeat(5000)}`, invalidRequest()),
  "register: deeply nested object in a field": register(`{"username":${'{"a":'.repeat(2000)}1${"}".repeat(2000)},"password":"a long password"}`, invalidRequest("username")),
  // --- register: types ---
  "register: username is a number": register(json({ username: 12345, password: "a long password" }), invalidRequest("username")),
  "register: username is an array": register(json({ username: ["alice"], password: "a long password" }), invalidRequest("username")),
  "register: username is an object": register(json({ username: { $ne: null }, password: "a long password" }), invalidRequest("username")),
  "register: password is null": register(json({ username: "nullpass", password: null }), invalidRequest("password")),
  "register: password is a boolean": register(json({ username: "boolpass", password: true }), invalidRequest("password")),
  "register: email is a number": register(json({ username: "numemail", password: "a long password", email: 5 }), invalidRequest("email")),
  "register: missing username": register(json({ password: "a long password" }), invalidRequest("username")),
  "register: missing password": register(json({ username: "nopass" }), invalidRequest("password")),
  "register: empty object": register("{}", invalidRequest()),
  "register: a form body (JSON only: no cross-site form reaches it)": register("username=a1x&password=a+long+password", { status: 415, error: "unsupported_media_type" }, FORM_TYPE),
  // --- register: sizes and unicode ---
  "register: 10,000-character username": register(json({ username: "u".repeat(10_000), password: "a long password" }), invalidRequest("username")),
  "register: 15,000-character password": register(json({ username: "hugepass", password: "p".repeat(15_000) }), invalidRequest("password")),
  "register: 129-character password": register(json({ username: "longpass", password: "p".repeat(129) }), invalidRequest("password")),
  "register: 7-character password": register(json({ username: "shortpass", password: "1234567" }), invalidRequest("password")),
  "register: two-character username": register(json({ username: "ab", password: "a long password" }), invalidRequest("username")),
  "register: NUL byte in username": register(json({ username: "nul\u0000user", password: "a long password" }), invalidRequest("username")),
  "register: RTL override in username": register(json({ username: "admin\u202Egnp", password: "a long password" }), invalidRequest("username")),
  "register: zero-width space in username": register(json({ username: "ad\u200Bmin", password: "a long password" }), invalidRequest("username")),
  "register: lone surrogate in username": register(json({ username: "lone\uD800x", password: "a long password" }), invalidRequest("username")),
  "register: lone surrogate in password (would collide with U+FFFD)": register(json({ username: "lonepass", password: "\uD800a long password" }), invalidRequest("password")),
  "register: NUL byte in email": register(json({ username: "nulmail", password: "a long password", email: "a\u0000b@example.com" }), invalidRequest("email")),
  "register: RTL override in email": register(json({ username: "rtlmail", password: "a long password", email: "moc.elpmaxe\u202E@evil.example" }), invalidRequest("email")),
  "register: lone surrogate in email": register(json({ username: "surmail", password: "a long password", email: "a\uDC00@example.com" }), invalidRequest("email")),
  // --- register: prototype pollution ---
  "register: __proto__ in JSON": register('{"username":"proto1","password":"a long password","__proto__":{"polluted":true,"roles":["admin"]}}', invalidRequest()),
  "register: constructor.prototype in JSON": register('{"username":"proto2","password":"a long password","constructor":{"prototype":{"polluted":true}}}', invalidRequest()),
  "token: __proto__ as a form field": token("__proto__=polluted&__proto__[polluted]=1&constructor[prototype][polluted]=1", invalidRequest()),

  // --- POST /oauth/token ---
  "token: missing grant_type": token(form({ username: "a", password: "b" }), invalidRequest("grant_type")),
  "token: grant_type repeated": token("grant_type=password&grant_type=client_credentials", invalidRequest("grant_type")),
  "token: grant_type is a number (JSON)": token(json({ grant_type: 1 }), invalidRequest("grant_type"), JSON_TYPE),
  "token: grant_type is null (JSON)": token(json({ grant_type: null }), invalidRequest("grant_type"), JSON_TYPE),
  "token: unknown grant_type": token(form({ grant_type: "authorization_code" }), { status: 400, error: "unsupported_grant_type" }),
  "token: grant_type __proto__": token(form({ grant_type: "__proto__" }), { status: 400, error: "unsupported_grant_type" }),
  "token: grant_type constructor": token(json({ grant_type: "constructor" }), { status: 400, error: "unsupported_grant_type" }, JSON_TYPE),
  "token: grant_type toString": token(form({ grant_type: "toString" }), { status: 400, error: "unsupported_grant_type" }),
  "token: grant_type over 64 characters": token(form({ grant_type: "p".repeat(65) }), invalidRequest("grant_type")),
  "token: invalid JSON": token('{"grant_type":"password"', invalidRequest(), JSON_TYPE),
  // RFC 6749 §5.2: on /oauth/* another content type is a 400 invalid_request, not the 415 of other routes.
  "token: text/plain": token("grant_type=password&username=a&password=b", invalidRequest(), { "content-type": "text/plain" }),
  "token: application/xml": token("<grant_type>password</grant_type>", invalidRequest(), { "content-type": "application/xml" }),
  "token: multipart/form-data": token('--b\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\npassword\r\n--b--\r\n', invalidRequest(), { "content-type": "multipart/form-data; boundary=b" }),
  "token: a body with no content type": token("grant_type=password&username=a&password=b", invalidRequest(), {}),
  "token: body over 16 KiB": token(form({ grant_type: "password", username: "a", password: over16KiB }), { status: 413, error: "payload_too_large" }),
  "token (password): missing username": token(form({ grant_type: "password", password: "a long password" }), invalidRequest("username")),
  "token (password): missing password": token(form({ grant_type: "password", username: "badinput-alice" }), invalidRequest("password")),
  "token (password): empty username": token(form({ grant_type: "password", username: "", password: "x" }), invalidRequest("username")),
  "token (password): username is an object": token(json({ grant_type: "password", username: { $gt: "" }, password: "x" }), invalidRequest("username"), JSON_TYPE),
  "token (password): password is an array": token(json({ grant_type: "password", username: "badinput-alice", password: ["a", "b"] }), invalidRequest("password"), JSON_TYPE),
  "token (password): repeated password field": token("grant_type=password&username=badinput-alice&password=a&password=b", invalidRequest("password")),
  "token (password): 5,000-character password": token(form({ grant_type: "password", username: "badinput-alice", password: "p".repeat(5000) }), invalidRequest("password")),
  "token (password): NUL and RTL in username": token(form({ grant_type: "password", username: "badinput\u0000alice\u202E", password: "x" }), { status: 400, error: "invalid_grant" }),
  "token (password): scope of 4,000 characters": token(form({ grant_type: "password", username: "a", password: "b", scope: "s ".repeat(2000) }), { status: 400, error: "invalid_scope" }),
  "token (password): scope is a number": token(json({ grant_type: "password", username: "a", password: "b", scope: 7 }), invalidRequest("scope"), JSON_TYPE),
  "token (refresh): missing refresh_token": token(form({ grant_type: "refresh_token" }), invalidRequest("refresh_token")),
  "token (refresh): refresh_token is a number": token(json({ grant_type: "refresh_token", refresh_token: 1 }), invalidRequest("refresh_token"), JSON_TYPE),
  "token (refresh): garbage refresh_token": token(form({ grant_type: "refresh_token", refresh_token: "tsr_'; DROP TABLE sessions; --" }), { status: 400, error: "invalid_grant" }),
  "token (refresh): refresh_token over 4,096 characters": token(form({ grant_type: "refresh_token", refresh_token: `tsr_${"a".repeat(5000)}` }), invalidRequest("refresh_token")),
  "token (client_credentials): public built-in client": token(form({ grant_type: "client_credentials" }), { status: 400, error: "unauthorized_client" }),
  "token (client_credentials): garbage Basic header": { ...token(form({ grant_type: "client_credentials" }), { status: 401, error: "invalid_client" }), headers: { ...FORM_TYPE, authorization: "Basic %%%not-base64" } },
  "token (client_credentials): Basic with broken percent-encoding": { ...token(form({ grant_type: "client_credentials" }), { status: 401, error: "invalid_client" }), headers: { ...FORM_TYPE, authorization: basic("%E0%A4%A", "x") } },
  "token (client_credentials): Basic with a 5,000-character client id": { ...token(form({ grant_type: "client_credentials" }), { status: 401, error: "invalid_client" }), headers: { ...FORM_TYPE, authorization: basic("c".repeat(5000), "x") } },
  "token (client_credentials): Basic and client_secret in the body": { ...token(form({ grant_type: "client_credentials", client_secret: "x" }), invalidRequest()), headers: () => ({ ...FORM_TYPE, authorization: basic(service.id, service.secret) }) },
  "token (client_credentials): client_secret is an object": token(json({ grant_type: "client_credentials", client_id: "badinput-svc", client_secret: { length: 1 } }), invalidRequest("client_secret"), JSON_TYPE),

  // --- POST /oauth/revoke ---
  "revoke: missing token": { method: "POST", path: "/oauth/revoke", body: form({ client_id: "tessera-web" }), headers: FORM_TYPE, expect: invalidRequest("token") },
  "revoke: token is an array": { method: "POST", path: "/oauth/revoke", body: json({ token: ["a", "b"] }), headers: JSON_TYPE, expect: invalidRequest("token") },
  "revoke: token over 4,096 characters": { method: "POST", path: "/oauth/revoke", body: form({ token: "t".repeat(5000) }), headers: FORM_TYPE, expect: invalidRequest("token") },
  "revoke: text/plain": { method: "POST", path: "/oauth/revoke", body: "token=x", headers: { "content-type": "text/plain" }, expect: invalidRequest() },
  "revoke: unknown client": { method: "POST", path: "/oauth/revoke", body: form({ token: "x", client_id: "no-such-client" }), headers: FORM_TYPE, expect: { status: 401, error: "invalid_client" } },
  "revoke: invalid JSON": { method: "POST", path: "/oauth/revoke", body: "{token:", headers: JSON_TYPE, expect: invalidRequest() },

  // --- POST /oauth/introspect ---
  "introspect: no client authentication": { method: "POST", path: "/oauth/introspect", body: form({ token: "x" }), headers: FORM_TYPE, expect: { status: 401, error: "invalid_client" } },
  "introspect: a public client": { method: "POST", path: "/oauth/introspect", body: form({ token: "x", client_id: "tessera-web" }), headers: FORM_TYPE, expect: { status: 401, error: "invalid_client" } },
  "introspect: missing token": { method: "POST", path: "/oauth/introspect", body: form({}), headers: () => ({ ...FORM_TYPE, authorization: basic(service.id, service.secret) }), expect: invalidRequest("token") },
  "introspect: token is an object": { method: "POST", path: "/oauth/introspect", body: json({ token: { a: 1 } }), headers: () => ({ ...JSON_TYPE, authorization: basic(service.id, service.secret) }), expect: invalidRequest("token") },
  "introspect: text/plain": { method: "POST", path: "/oauth/introspect", body: "token=x", headers: () => ({ "content-type": "text/plain", authorization: basic(service.id, service.secret) }), expect: invalidRequest() },
  "introspect: body over 16 KiB": { method: "POST", path: "/oauth/introspect", body: form({ token: over16KiB }), headers: FORM_TYPE, expect: { status: 413 } },

  // --- POST /auth/password (authenticated) ---
  "password: missing new_password": { method: "POST", path: "/auth/password", body: json({ current_password: "correct horse battery staple" }), headers: () => ({ ...JSON_TYPE, ...bearer() }), expect: invalidRequest("new_password") },
  "password: new_password too short": { method: "POST", path: "/auth/password", body: json({ current_password: "correct horse battery staple", new_password: "short" }), headers: () => ({ ...JSON_TYPE, ...bearer() }), expect: invalidRequest("new_password") },
  "password: current_password is an array": { method: "POST", path: "/auth/password", body: json({ current_password: ["x"], new_password: "a new long password" }), headers: () => ({ ...JSON_TYPE, ...bearer() }), expect: invalidRequest("current_password") },
  "password: invalid JSON": { method: "POST", path: "/auth/password", body: "{", headers: () => ({ ...JSON_TYPE, ...bearer() }), expect: invalidRequest() },
  "password: JSON null": { method: "POST", path: "/auth/password", body: "null", headers: () => ({ ...JSON_TYPE, ...bearer() }), expect: invalidRequest() },
  "password: no credentials": { method: "POST", path: "/auth/password", body: json({ current_password: "a", new_password: "b" }), headers: JSON_TYPE, expect: { status: 401 } },

  // --- DELETE /auth/sessions/:id with odd ids (authenticated) ---
  "sessions DELETE: unknown id": { method: "DELETE", path: "/auth/sessions/no-such-session", headers: bearer, expect: { status: 404, error: "not_found" } },
  "sessions DELETE: encoded NUL": { method: "DELETE", path: "/auth/sessions/%00", headers: bearer, expect: { status: 404 } },
  "sessions DELETE: encoded path traversal": { method: "DELETE", path: "/auth/sessions/..%2F..%2Fetc%2Fpasswd", headers: bearer, expect: { status: 404 } },
  "sessions DELETE: SQL-ish id": { method: "DELETE", path: `/auth/sessions/${encodeURIComponent("' OR 1=1 --")}`, headers: bearer, expect: { status: 404 } },
  "sessions DELETE: emoji and RTL id": { method: "DELETE", path: `/auth/sessions/${encodeURIComponent("\u{1F600}\u202E")}`, headers: bearer, expect: { status: 404 } },
  "sessions DELETE: 300-character id": { method: "DELETE", path: `/auth/sessions/${"s".repeat(300)}`, headers: bearer, expect: { status: 404 } },
  "sessions DELETE: empty id": { method: "DELETE", path: "/auth/sessions/", headers: bearer, expect: { status: 404 } },
  "sessions DELETE: broken percent-encoding": { method: "DELETE", path: "/auth/sessions/%E0%A4%A", headers: bearer, expect: { status: 400 } },
  "sessions DELETE: invalid JSON body": { method: "DELETE", path: "/auth/sessions/x", body: "{", headers: () => ({ ...JSON_TYPE, ...bearer() }), expect: { status: 400 } },

  // --- GET /oauth/revocations ---
  "feed: since is not a number": { method: "GET", path: "/oauth/revocations?since=abc", expect: invalidRequest("since") },
  "feed: since is negative": { method: "GET", path: "/oauth/revocations?since=-1", expect: invalidRequest("since") },
  "feed: since is empty": { method: "GET", path: "/oauth/revocations?since=", expect: invalidRequest("since") },
  "feed: since repeated": { method: "GET", path: "/oauth/revocations?since=1&since=2", expect: invalidRequest("since") },
  "feed: since of 40 digits": { method: "GET", path: `/oauth/revocations?since=${"9".repeat(40)}`, expect: invalidRequest("since") },
  "feed: since with a NUL": { method: "GET", path: "/oauth/revocations?since=1%00", expect: invalidRequest("since") },
  "feed: wait over 30": { method: "GET", path: "/oauth/revocations?wait=31", expect: invalidRequest("wait") },
  "feed: wait negative": { method: "GET", path: "/oauth/revocations?wait=-1", expect: invalidRequest("wait") },
  "feed: wait fractional": { method: "GET", path: "/oauth/revocations?wait=1.5", expect: invalidRequest("wait") },
  "feed: wait not a number": { method: "GET", path: "/oauth/revocations?wait=soon", expect: invalidRequest("wait") },

  // --- unknown routes and wrong methods ---
  "unknown route": { method: "GET", path: "/no/such/route", expect: { status: 404, error: "not_found" } },
  "unknown route with traversal": { method: "GET", path: "/%2e%2e/%2e%2e/etc/passwd", expect: { status: 404 } },
  "unknown route with a broken percent-encoding": { method: "GET", path: "/%", expect: { status: 400 } },
  "wrong method: GET /oauth/token": { method: "GET", path: "/oauth/token", expect: {} },
  "wrong method: PUT /userinfo": { method: "PUT", path: "/userinfo", expect: {} },
  "wrong method: DELETE /auth/register": { method: "DELETE", path: "/auth/register", expect: {} },
  "wrong method: PATCH /oauth/revoke": { method: "PATCH", path: "/oauth/revoke", body: "{}", headers: JSON_TYPE, expect: {} },
  "wrong method: POST /.well-known/jwks.json": { method: "POST", path: "/.well-known/jwks.json", body: "{}", headers: JSON_TYPE, expect: {} },
};

describe("malformed requests: 4xx with a JSON error, never 5xx", () => {
  for (const [name, c] of Object.entries(cases)) {
    test(name, async () => {
      const headers = typeof c.headers === "function" ? c.headers() : c.headers;
      assertClientError(await send(c.method, c.path, c.body, headers), c.expect);
    });
  }

  test("nothing above created an account", async () => {
    const names = ["alice2", "alice3", "big", "nullpass", "boolpass", "numemail", "nopass", "a1x", "b1x", "hugepass", "longpass", "shortpass",
      "lonepass", "nulmail", "rtlmail", "surmail", "proto1", "proto2"];
    for (const name of names) assert.equal(await server.tessera.parts.users.find(name), undefined, name);
  });

  test("no prototype was polluted", () => {
    const probe: Record<string, unknown> = {};
    assert.equal(probe.polluted, undefined);
    assert.equal(probe.roles, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted"), false);
  });
});

describe("property-based: random bodies never cause a 5xx", () => {
  const fieldNames = fc.constantFrom("grant_type", "username", "password", "refresh_token", "scope", "client_id", "client_secret", "email",
    "token", "__proto__", "constructor", "prototype", "toString");
  const oddChar = fc.constantFrom("\u0000", "\uD800", "\uDFFF", "\u202E", "\u200B", "\uFEFF", "%", "&", "=", "+", "\u{1F600}", "Ａ");
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.array(fc.oneof(oddChar, fc.string({ maxLength: 3 })), { maxLength: 12 }).map((parts) => parts.join("")),
    fc.constantFrom("password", "refresh_token", "client_credentials", "tessera-web", "fuzz-user", "correct horse battery staple", "tsr_", ""),
  );
  const value = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
  const object = fc.dictionary(fc.oneof(fieldNames, fc.string({ maxLength: 10 })), value, { maxKeys: 6 });
  const jsonBody = fc.oneof({ weight: 5, arbitrary: object.map((o) => JSON.stringify(o)) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) });
  const formBody = fc.oneof(
    fc.array(fc.tuple(fc.oneof(fieldNames, fc.string({ maxLength: 8 })), text), { maxLength: 6 })
      .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, "?"))}`).join("&")),
    fc.string({ maxLength: 60 }),
  );

  async function assertNo5xx(path: string, body: string, contentType: string): Promise<void> {
    const res = await send("POST", path, body, { "content-type": contentType });
    assert.ok(res.status < 500, `${path} ${contentType} ${JSON.stringify(body)} -> ${res.status} ${res.text}`);
    if (res.status >= 400) assertClientError(res);
  }

  for (const path of ["/oauth/token", "/auth/register"]) {
    test(`${path}: random JSON bodies`, async () => {
      await fc.assert(fc.asyncProperty(jsonBody, (body) => assertNo5xx(path, body, "application/json")), { numRuns: 150 });
    });

    test(`${path}: random form bodies`, async () => {
      await fc.assert(fc.asyncProperty(formBody, (body) => assertNo5xx(path, body, "application/x-www-form-urlencoded")), { numRuns: 150 });
    });
  }
});

describe("afterwards", () => {
  test("GET /healthz is 200", async () => {
    assert.equal((await send("GET", "/healthz")).status, 200);
  });

  test("a normal sign-in still works, and the token it gives is accepted", async () => {
    const res = await server.request<{ access_token: string }>("POST", "/oauth/token", {
      form: { grant_type: "password", username: "badinput-alice", password: "correct horse battery staple" },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal((await server.request("GET", "/userinfo", { token: res.body.access_token })).status, 200);
  });
});
