// Documented ⊆ reachable, for the refusals many operations share: each
// operation of the OpenAPI document is sent the requests that provoke them,
// and must answer the status it documents. What each operation answers on
// its own (409, 404, 429...) is reached by the tests of its feature; the
// whole suite's answers are checked against the document by the runner
// (scripts/reached-statuses.js), and every answer of this file, like of any
// other, against the document by the test server (documented-statuses.ts).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { StatusRecorder } from "../helpers/documented-statuses.js";
import { startTestServer, type SignedIn, type TestServer } from "../helpers/server.js";

interface Operation { security?: Array<Record<string, string[]>>; responses: Record<string, unknown> }
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

async function send(method: string, url: string, body: string | undefined, headers: Record<string, string>) {
  const res = await fetch(server.url + url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, error: (text ? JSON.parse(text) as { error?: string } : {}).error };
}

describe("a body is parsed before anything else: every unsafe operation refuses a bad one, read or not", () => {
  const cases = [
    { name: "another content type", body: "x", headers: { "content-type": "text/plain" }, status: 415, error: "unsupported_media_type" },
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
        if (res.status !== c.status || res.error !== c.error) wrong.push(`${o.method} ${o.path}: ${res.status} ${res.error}`);
        if (!Object.hasOwn(o.op.responses, String(c.status))) wrong.push(`${o.method} ${o.path} does not document ${c.status}`);
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

  test("every other operation that needs a sign-in (and reads no body) answers 401 to a forged token", async () => {
    const needsSignIn = (op: Operation) => (op.security ?? []).length > 0 && op.security!.every((s) => "bearer" in s || "cookie" in s);
    const protectedOps = operations.filter((o) => !o.path.startsWith("/admin/") && needsSignIn(o.op));
    assert.ok(protectedOps.length > 10, `protected operations (${protectedOps.length})`);
    const wrong: string[] = [];
    for (const o of protectedOps) {
      // A JSON body of {} where one is read: the token is checked after the body's schema.
      const bodyless = o.method === "GET" || o.method === "DELETE";
      const res = await send(o.method, o.url, bodyless ? undefined : "{}", { authorization: "Bearer not.a.token", ...(bodyless ? {} : { "content-type": "application/json" }) });
      if (res.status === 400) continue; // its body schema refused {} first: reached by its own tests
      if (res.status !== 401 || res.error !== "invalid_token") wrong.push(`${o.method} ${o.path}: ${res.status} ${res.error}`);
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
