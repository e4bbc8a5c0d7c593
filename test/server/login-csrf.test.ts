// Login CSRF: a page on another site posts a plain HTML form (a CORS "simple"
// request, no preflight) to sign the visitor's browser into the attacker's
// account, ending the visitor's own session on the way. /session/login and
// /session/logout take JSON only from an allowed page; /auth/register takes
// JSON only.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let origin = "";
before(async () => {
  server = await startTestServer({ config: { allowedOrigins: ["https://app.example.com"] } });
  origin = new URL(server.issuer).origin;
});
after(() => server.close());

const PASSWORD = "login csrf password";
let counter = 0;
async function account(): Promise<{ username: string; password: string }> {
  const username = `csrf${++counter}`;
  const res = await server.request("POST", "/auth/register", { json: { username, password: PASSWORD } });
  assert.equal(res.status, 201, res.text);
  return { username, password: PASSWORD };
}

/** The victim, signed in with a cookie session from the real page. */
async function victim(): Promise<{ cookie: string; csrf: string }> {
  const res = await server.request<{ csrf_token: string }>("POST", "/session/login", { json: await account(), headers: { origin } });
  assert.equal(res.status, 200, res.text);
  const secret = /__Host-tessera_session=([^;]+)/.exec(res.headers.getSetCookie().join("\n"))![1]!;
  return { cookie: `__Host-tessera_session=${secret}`, csrf: res.body.csrf_token };
}

const stillSignedIn = async (v: { cookie: string }) => (await server.request("GET", "/userinfo", { headers: { cookie: v.cookie } })).status;
const errorOf = (body: unknown) => (body as { error?: string }).error;

describe("POST /session/login", () => {
  test("a form posted from another site gets no cookie, and the victim's session lives on", async () => {
    const v = await victim();
    const attacker = await account();
    // Exactly what a browser sends for <form method=post action=…/session/login> on https://evil.example.
    const res = await server.request("POST", "/session/login", {
      form: attacker,
      headers: { cookie: v.cookie, origin: "https://evil.example", "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" },
    });
    assert.equal(res.status, 415);
    assert.equal(errorOf(res.body), "unsupported_media_type");
    assert.deepEqual(res.headers.getSetCookie(), [], "no session cookie for the attacker's account");
    assert.equal(await stillSignedIn(v), 200, "the victim's session was not ended");
  });

  test("a form body is refused from an allowed page too: JSON only", async () => {
    const res = await server.request("POST", "/session/login", { form: await account(), headers: { origin } });
    assert.equal(res.status, 415);
    assert.equal(errorOf(res.body), "unsupported_media_type");
    const text = await server.request("POST", "/session/login", { body: JSON.stringify(await account()), headers: { origin, "content-type": "text/plain" } });
    assert.equal(text.status, 415, "text/plain is a simple request too");
    const none = await server.request("POST", "/session/login", { body: JSON.stringify(await account()), headers: { origin } });
    assert.equal(none.status, 415, "no content type at all");
  });

  test("JSON from a foreign, null or unnamed origin is csrf_failed; the victim's session lives on", async () => {
    const v = await victim();
    const attacker = await account();
    const cases: Array<[string, Record<string, string>]> = [
      ["foreign Origin", { origin: "https://evil.example" }],
      ["null Origin (sandboxed frame)", { origin: "null" }],
      ["foreign Referer", { referer: "https://evil.example/page" }],
      ["same-site, not same-origin", { origin: "https://sub.app.example.com", "sec-fetch-site": "same-site" }],
      ["no Origin, Referer or Sec-Fetch-Site", {}],
    ];
    for (const [name, headers] of cases) {
      const res = await server.request("POST", "/session/login", { json: attacker, headers: { cookie: v.cookie, ...headers } });
      assert.equal(res.status, 403, name);
      assert.equal(errorOf(res.body), "csrf_failed", name);
      assert.deepEqual(res.headers.getSetCookie(), [], name);
    }
    assert.equal(await stillSignedIn(v), 200);
  });

  test("JSON from the issuer's origin, an allowed origin, or with Sec-Fetch-Site: same-origin signs in", async () => {
    const pages: Array<Record<string, string>> = [{ origin }, { origin: "https://app.example.com" }, { "sec-fetch-site": "same-origin" }, { referer: `${origin}/` }];
    for (const headers of pages) {
      const res = await server.request("POST", "/session/login", { json: await account(), headers });
      assert.equal(res.status, 200, JSON.stringify(headers));
      assert.equal(res.headers.getSetCookie().length, 2);
    }
    const charset = await server.request("POST", "/session/login", { json: await account(), headers: { origin, "content-type": "application/json; charset=utf-8" } });
    assert.equal(charset.status, 200, "a charset parameter is fine");
  });

  test("30 forged logins at once: none gets a cookie, the victim stays signed in", async () => {
    const v = await victim();
    const attacker = await account();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => server.request("POST", "/session/login", i % 2
      ? { form: attacker, headers: { cookie: v.cookie, origin: "https://evil.example" } }
      : { json: attacker, headers: { cookie: v.cookie, origin: "https://evil.example" } })));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([403, 415]));
    assert.ok(answers.every((a) => a.headers.getSetCookie().length === 0));
    assert.equal(await stillSignedIn(v), 200);
  });
});

describe("POST /session/logout", () => {
  test("a form from another site does not end the victim's session", async () => {
    const v = await victim();
    const form = await server.request("POST", "/session/logout", { form: {}, headers: { cookie: v.cookie, origin: "https://evil.example" } });
    assert.equal(form.status, 415);
    // Even a request that somehow carries the CSRF token must come from an allowed page.
    const foreign = await server.request("POST", "/session/logout", { headers: { cookie: v.cookie, origin: "https://evil.example", "x-csrf-token": v.csrf } });
    assert.equal(foreign.status, 403);
    assert.equal(errorOf(foreign.body), "csrf_failed");
    assert.equal(await stillSignedIn(v), 200);
  });

  test("refused without an allowed origin even when there is no session; a form body is refused from the right page", async () => {
    const bare = await server.request("POST", "/session/logout");
    assert.equal(bare.status, 403);
    assert.deepEqual(bare.headers.getSetCookie(), [], "nothing cleared for a request from nowhere");
    const v = await victim();
    const form = await server.request("POST", "/session/logout", { form: { x: "1" }, headers: { cookie: v.cookie, origin, "x-csrf-token": v.csrf } });
    assert.equal(form.status, 415);
    assert.equal(await stillSignedIn(v), 200);
  });

  test("from the page, with no body or a JSON one, it ends the session", async () => {
    const a = await victim();
    assert.equal((await server.request("POST", "/session/logout", { headers: { cookie: a.cookie, origin, "x-csrf-token": a.csrf } })).status, 204);
    assert.equal(await stillSignedIn(a), 401);
    const b = await victim();
    assert.equal((await server.request("POST", "/session/logout", { json: {}, headers: { cookie: b.cookie, "sec-fetch-site": "same-origin", origin, "x-csrf-token": b.csrf } })).status, 204);
    assert.equal(await stillSignedIn(b), 401);
    assert.equal((await server.request("POST", "/session/logout", { headers: { origin } })).status, 204, "no session: a harmless 204");
  });
});

describe("POST /auth/register", () => {
  test("takes JSON only: a form body is 415 and creates nothing", async () => {
    const res = await server.request("POST", "/auth/register", { form: { username: "formuser", password: PASSWORD } });
    assert.equal(res.status, 415);
    assert.equal(errorOf(res.body), "unsupported_media_type");
    assert.equal(await server.tessera.parts.users.find("formuser"), undefined);
    const json = await server.request("POST", "/auth/register", { json: { username: "formuser", password: PASSWORD } });
    assert.equal(json.status, 201);
  });
});
