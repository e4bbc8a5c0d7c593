// Documented ⊆ reachable, for the refusals many operations share: each
// operation of the OpenAPI document is sent the requests that provoke them,
// and must answer the status it documents. What each operation answers on
// its own (409, 404, 429...) is reached by the tests of its feature; the
// whole suite's answers are checked against the document by the runner
// (scripts/reached-statuses.js), and every answer of this file, like of any
// other, against the document by the test server (documented-statuses.ts).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { signInAdmin } from "../helpers/admin.js";
import { StatusRecorder } from "../helpers/documented-statuses.js";
import { startTestServer, type SignedIn, type TestServer } from "../helpers/server.js";

interface Schema { type?: string | string[]; required?: string[]; minProperties?: number; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; minItems?: number }
interface Operation { security?: Array<Record<string, string[]>>; responses: Record<string, unknown>; requestBody?: { content: Record<string, { schema: Schema }> } }
let server: TestServer;
let user: SignedIn;
let operations: Array<{ method: string; path: string; url: string; op: Operation }>;

const UNSAFE = ["POST", "PUT", "PATCH", "DELETE"];

before(async () => {
  server = await startTestServer();
  user = await server.signUpAndSignIn();
  const doc = server.app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({
    method: method.toUpperCase(), path, op,
    // A parameter no resource has: the refusals below come before any lookup.
    url: path.replace(/\{[^}]+\}/g, "status-probe"),
  })));
});
after(() => server.close());

/** A JSON body the operation's schema accepts: each required field filled by its type (the values name nothing that exists). */
function validBody(op: Operation): string {
  const fill = (schema: Schema, name = ""): unknown => {
    if (schema.enum) return schema.enum[0];
    const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
    if (name === "email") return "status-probe@example.test";
    if (type === "object") {
      // At least one property where the schema asks for some (`minProperties`) without naming which.
      const names = schema.required?.length ? schema.required : schema.minProperties ? Object.keys(schema.properties ?? {}).slice(0, 1) : [];
      return Object.fromEntries(names.map((n) => [n, fill(schema.properties?.[n] ?? {}, n)]));
    }
    if (type === "array") return Array.from({ length: schema.minItems ?? 0 }, () => fill(schema.items ?? {}));
    if (type === "boolean") return false;
    if (type === "integer" || type === "number") return 1;
    return "status-probe";
  };
  const schema = op.requestBody?.content["application/json"]?.schema;
  return JSON.stringify(schema ? fill(schema) : {});
}

async function send(method: string, url: string, body: string | undefined, headers: Record<string, string>) {
  const res = await fetch(server.url + url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, error: (text ? JSON.parse(text) as { error?: string } : {}).error };
}

describe("a body is parsed before anything else: every unsafe operation refuses a bad one, read or not", () => {
  const cases = [
    // On /oauth/* RFC 6749 §5.2 has 400 and 401 only: there another content type is a 400 invalid_request.
    { name: "another content type", body: "x", headers: { "content-type": "text/plain" }, status: 415, error: "unsupported_media_type", oauth: { status: 400, error: "invalid_request" } },
    { name: "over 16 KiB", body: JSON.stringify({ pad: "x".repeat(17 * 1024) }), headers: { "content-type": "application/json" }, status: 413, error: "payload_too_large" },
    { name: "JSON that does not parse", body: "{", headers: { "content-type": "application/json" }, status: 400, error: "invalid_request" },
  ];
  for (const c of cases) {
    test(`${c.name}: ${c.status} ${c.error}, and the operation documents it`, async () => {
      const unsafe = operations.filter((o) => UNSAFE.includes(o.method));
      assert.ok(unsafe.length > 40, `the document's unsafe operations (${unsafe.length})`);
      const wrong: string[] = [];
      for (const o of unsafe) {
        // From the server's own page: the cookie sign-ins check where a request comes from first.
        const res = await send(o.method, o.url, c.body, { ...c.headers, origin: server.url });
        const expected = (o.path.startsWith("/oauth/") && c.oauth) || c;
        if (res.status !== expected.status || res.error !== expected.error) wrong.push(`${o.method} ${o.path}: ${res.status} ${res.error}`);
        if (!Object.hasOwn(o.op.responses, String(expected.status))) wrong.push(`${o.method} ${o.path} does not document ${expected.status}`);
      }
      assert.deepEqual(wrong, []);
    });
  }
});

describe("the sign-in checks", () => {
  test("every admin operation answers 401 without credentials and 403 forbidden to a user without the admin role, before reading its input", async () => {
    const admin = operations.filter((o) => o.path.startsWith("/admin/"));
    assert.ok(admin.length > 25, `admin operations (${admin.length})`);
    const wrong: string[] = [];
    for (const o of admin) {
      const anonymous = await send(o.method, o.url, undefined, {});
      if (anonymous.status !== 401 || anonymous.error !== "unauthorized") wrong.push(`${o.method} ${o.path} anonymous: ${anonymous.status} ${anonymous.error}`);
      const plain = await send(o.method, o.url, undefined, { authorization: `Bearer ${user.access_token}` });
      if (plain.status !== 403 || plain.error !== "forbidden") wrong.push(`${o.method} ${o.path} as a user: ${plain.status} ${plain.error}`);
    }
    assert.deepEqual(wrong, []);
  });

  test("every other operation that needs a sign-in answers 401 to a forged token", async () => {
    const needsSignIn = (op: Operation) => (op.security ?? []).length > 0 && op.security!.every((s) => "bearer" in s || "cookie" in s);
    const protectedOps = operations.filter((o) => !o.path.startsWith("/admin/") && needsSignIn(o.op));
    assert.ok(protectedOps.length > 10, `protected operations (${protectedOps.length})`);
    const wrong: string[] = [];
    for (const o of protectedOps) {
      // A JSON body of {} where one is read: the token is checked after the body's schema.
      const bodyless = o.method === "GET" || o.method === "DELETE";
      const res = await send(o.method, o.url, bodyless ? undefined : validBody(o.op), { authorization: "Bearer not.a.token", ...(bodyless ? {} : { "content-type": "application/json" }) });
      if (res.status !== 401 || res.error !== "invalid_token") wrong.push(`${o.method} ${o.path}: ${res.status} ${res.error}`);
    }
    assert.deepEqual(wrong, []);
  });
});

describe("a cookie session's unsafe request without its CSRF token", () => {
  test("every unsafe operation open to a cookie session answers 403 csrf_failed, and the session survives", async () => {
    const username = `csrfprobe${process.pid}`;
    const password = "csrf probe pass phrase";
    assert.equal((await server.request("POST", "/auth/register", { json: { username, password } })).status, 201);
    const login = await server.request("POST", "/session/login", { json: { username, password }, headers: { origin: server.url } });
    assert.equal(login.status, 200, login.text);
    const cookie = /__Host-tessera_session=[^;]+/.exec(login.headers.getSetCookie().join("\n"))![0];
    const cookieWrites = operations.filter((o) => UNSAFE.includes(o.method) && !o.path.startsWith("/admin/") && !o.path.startsWith("/bff/")
      && (o.op.security ?? []).some((s) => "cookie" in s && "csrfToken" in s) && (o.op.security ?? []).some((s) => "bearer" in s));
    assert.ok(cookieWrites.length > 10, `cookie-session writes (${cookieWrites.length})`);
    const wrong: string[] = [];
    for (const o of cookieWrites) {
      const res = await send(o.method, o.url, validBody(o.op), { cookie, origin: server.url, "content-type": "application/json" });
      if (res.status !== 403 || res.error !== "csrf_failed") wrong.push(`${o.method} ${o.path}: ${res.status} ${res.error}`);
    }
    assert.deepEqual(wrong, []);
    assert.equal((await server.request("GET", "/userinfo", { headers: { cookie } })).status, 200, "the session survived");
  });
});

describe("admin operations on something that does not exist", () => {
  test("every admin operation with a path parameter that documents 404 answers it, to an admin just signed in", async () => {
    const admin = await signInAdmin(server);
    const named = operations.filter((o) => o.path.startsWith("/admin/") && o.path.includes("{") && Object.hasOwn(o.op.responses, "404"));
    assert.ok(named.length > 15, `admin operations naming a resource (${named.length})`);
    const wrong: string[] = [];
    for (const o of named) {
      const bodyless = o.method === "GET" || o.method === "DELETE";
      const body = o.path === "/admin/users/{id}" && o.method === "PATCH" ? JSON.stringify({ disabled: false }) : validBody(o.op);
      const res = await send(o.method, o.url, bodyless ? undefined : body, { authorization: `Bearer ${admin.access_token}`, ...(bodyless ? {} : { "content-type": "application/json" }) });
      if (res.status !== 404 || res.error !== "not_found") wrong.push(`${o.method} ${o.path}: ${res.status} ${res.error}`);
    }
    assert.deepEqual(wrong, []);
  });
});

describe("the recorder's own check (test/helpers/documented-statuses.ts)", () => {
  test("names an undocumented status and an operation the document lacks; passes documented, HEAD, default and hidden answers", () => {
    const doc = server.app.swagger() as unknown as Parameters<StatusRecorder["undocumented"]>[0];
    const recorder = new StatusRecorder();
    for (const entry of ["POST /admin/users 415", "HEAD /healthz 200", "GET /docs/static/* 200", "GET /assets/:file 200", "OPTIONS * 204",
      "GET /healthz 418", "DELETE /admin/users/:id 204", "GET /nowhere/:id 200"]) recorder.answered.add(entry);
    assert.deepEqual(recorder.undocumented(doc), [
      "DELETE /admin/users/:id answered 204, and the document has no such operation",
      "GET /healthz answered 418",
      "GET /nowhere/:id answered 200, and the document has no such operation",
    ]);
  });
});

describe("the rest, each once", () => {
  test("409 on admin creation and on marking an address another account verified; 400 on an outbox filter; enable answers the user", async () => {
    const admin = await signInAdmin(server);
    const as = { token: admin.access_token };
    assert.equal((await server.request("POST", "/admin/clients", { ...as, json: { name: "Twice", client_id: "twice-svc" } })).status, 201);
    const again = await server.request("POST", "/admin/clients", { ...as, json: { name: "Twice", client_id: "twice-svc" } });
    assert.deepEqual([again.status, again.body.error], [409, "client_exists"]);

    const address = `shared${process.pid}@example.test`;
    const first = await server.request<{ user: { id: string } }>("POST", "/admin/users", { ...as, json: { username: `first${process.pid}`, email: address } });
    const second = await server.request<{ user: { id: string } }>("POST", "/admin/users", { ...as, json: { username: `second${process.pid}`, email: address } });
    assert.deepEqual([first.status, second.status], [201, 201], "an unverified address may be on two accounts");
    assert.equal((await server.request("POST", `/admin/users/${first.body.user.id}/email/verify`, as)).status, 200);
    const taken = await server.request("POST", `/admin/users/${second.body.user.id}/email/verify`, as);
    assert.deepEqual([taken.status, taken.body.error], [409, "email_taken"]);

    const signedIn = await server.signUpAndSignIn();
    // Not 409: the change is accepted whatever the address (it does not tell whether one is taken);
    // the conflict comes when its link is spent (POST /auth/email/verify).
    const change = await server.request("POST", "/auth/email", { token: signedIn.access_token, json: { email: address, password: signedIn.password } });
    assert.equal(change.status, 202);

    const filter = await server.request("GET", "/admin/outbox?status=nope", as);
    assert.deepEqual([filter.status, filter.body.error], [400, "invalid_request"]);

    assert.equal((await server.request("POST", `/admin/users/${second.body.user.id}/disable`, as)).status, 200);
    const enabled = await server.request<{ disabled: boolean }>("POST", `/admin/users/${second.body.user.id}/enable`, as);
    assert.deepEqual([enabled.status, enabled.body.disabled], [200, false]);
  });

  test("the second steps of a sign-in answer 401 invalid_client to a client that does not exist", async () => {
    const wrong: string[] = [];
    for (const path of ["/auth/mfa-enrollment/totp", "/auth/mfa-enrollment/passkey/options", "/auth/passkeys/mfa-options"]) {
      const res = await send("POST", path, JSON.stringify({ mfa_token: "status-probe", client_id: "no-such-client" }), { "content-type": "application/json" });
      if (res.status !== 401 || res.error !== "invalid_client") wrong.push(`${path}: ${res.status} ${res.error}`);
    }
    assert.deepEqual(wrong, []);
  });
});

/**
 * Throttled operations whose throttle counts only after a step this probe
 * cannot take with a made-up body (a held poll, a real mfa_token, a pending
 * factor, a passkey challenge, an unverified address), with where their 429
 * is provoked, or that it is not yet (scripts/reached-statuses.js lists those).
 */
const THROTTLED_ELSEWHERE: Record<string, string> = {
  "GET /oauth/revocations": "test/server/revocation-feed.test.ts: too many held polls from one address",
  "POST /session/mfa": "test/server/mfa.test.ts: wrong codes past the second-factor throttle",
  "POST /auth/email/verify/send": "test/server/email.test.ts: resends past the per-address send throttle",
};

describe("the throttles", () => {
  test("every operation that documents 429 answers it once its throttle's limit is spent, with Retry-After", async () => {
    const limited = await startTestServer({
      config: {
        throttleSignInAccount: 1, throttleSignInIp: 1, throttleRegisterIp: 1, throttleTokenIp: 1, throttleSecondFactorAccount: 1,
        throttleEmailCodeAccount: 1, throttleEmailSendAddress: 1, throttleEmailSendIp: 1,
      },
    });
    try {
      // Signed up before the register throttle is spent by the loop below.
      const signedIn = await limited.signUpAndSignIn();
      const doc = limited.app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> };
      const throttled = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops)
        .filter(([, op]) => Object.hasOwn(op.responses, "429")).map(([method, op]) => ({ method: method.toUpperCase(), path, op })))
        .filter((o) => !Object.hasOwn(THROTTLED_ELSEWHERE, `${o.method} ${o.path}`));
      assert.ok(throttled.length >= 10, `throttled operations (${throttled.length})`);
      const never: string[] = [];
      for (const o of throttled) {
        const url = o.path.replace(/\{[^}]+\}/g, "status-probe");
        const body = o.method === "GET" ? undefined : o.path === "/oauth/token" ? new URLSearchParams({ grant_type: "password", username: signedIn.username, password: "wrong password" }).toString() : validBody(o.op);
        const headers = {
          origin: limited.url, authorization: `Bearer ${signedIn.access_token}`,
          ...(body === undefined ? {} : { "content-type": o.path === "/oauth/token" ? "application/x-www-form-urlencoded" : "application/json" }),
        };
        let hit = false;
        for (let i = 0; i < 4 && !hit; i++) {
          const res = await fetch(limited.url + url, { method: o.method, headers, ...(body === undefined ? {} : { body }) });
          await res.text();
          hit = res.status === 429 && res.headers.get("retry-after") !== null;
        }
        if (!hit) never.push(`${o.method} ${o.path}`);
      }
      assert.deepEqual(never, []);
    } finally {
      await limited.close();
    }
  });
});
