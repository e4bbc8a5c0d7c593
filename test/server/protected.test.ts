// Protected routes: /userinfo, sessions, logout, logout-all, password change (API.md).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";

type Session = { id: string; current: boolean; created_at: string; last_used_at: string; expires_at: string; user_agent: string | null; ip: string | null };
let server: TestServer;
before(async () => { server = await startTestServer(); });
after(() => server.close());

function signInAgain(username: string, password: string) {
  return server.request<{ access_token: string; refresh_token: string; error?: string }>("POST", "/oauth/token", {
    form: { grant_type: "password", username, password }, headers: { "user-agent": "second-device/1.0" },
  });
}

describe("authentication of protected routes", () => {
  test("no credentials: 401 with a bare Bearer challenge", async () => {
    const res = await server.request("GET", "/userinfo");
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="tessera"');
  });

  test("a token in the query string is never accepted", async () => {
    const user = await server.signUpAndSignIn();
    const res = await server.request("GET", `/userinfo?access_token=${user.access_token}`);
    assert.equal(res.status, 401);
  });

  test("a malformed Authorization header is invalid_token", async () => {
    for (const value of ["Bearer", "Bearer a b", "Basic abc", "Token x"]) {
      const res = await server.request<{ error: string }>("GET", "/userinfo", { headers: { authorization: value } });
      assert.equal(res.status, 401, value);
      assert.equal(res.body.error, "invalid_token");
    }
  });

  test("GET /userinfo describes the caller", async () => {
    const user = await server.signUpAndSignIn();
    const res = await server.request<Record<string, unknown>>("GET", "/userinfo", { token: user.access_token });
    assert.equal(res.status, 200);
    const { auth_time: authTime, ...rest } = res.body;
    assert.deepEqual(rest, { sub: user.userId, username: user.username, email: null, email_verified: false, roles: ["user"], auth: "bearer", amr: ["pwd"] });
    assert.equal(typeof authTime, "number", "how and when the user signed in (RFC 8176, RFC 9470)");
  });
});

describe("sessions", () => {
  test("lists the caller's live sessions and marks the current one", async () => {
    const user = await server.signUpAndSignIn();
    await signInAgain(user.username, user.password);
    const res = await server.request<Session[]>("GET", "/auth/sessions", { token: user.access_token });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 2);
    assert.equal(res.body.filter((s) => s.current).length, 1);
    assert.deepEqual(Object.keys(res.body[0]!).sort(), ["client_id", "created_at", "current", "expires_at", "id", "ip", "kind", "last_used_at", "user_agent"]);
    assert.ok(res.body.some((s) => s.user_agent === "second-device/1.0"));
  });

  test("DELETE /auth/sessions/:id ends one of mine, and not someone else's", async () => {
    const alice = await server.signUpAndSignIn();
    const second = await signInAgain(alice.username, alice.password);
    const mallory = await server.signUpAndSignIn();
    const sessions = (await server.request<Session[]>("GET", "/auth/sessions", { token: alice.access_token })).body;
    const other = sessions.find((s) => !s.current)!;
    const stolen = await server.request("DELETE", `/auth/sessions/${other.id}`, { token: mallory.access_token });
    assert.equal(stolen.status, 404);
    const ended = await server.request("DELETE", `/auth/sessions/${other.id}`, { token: alice.access_token });
    assert.equal(ended.status, 204);
    assert.equal((await server.request("GET", "/userinfo", { token: second.body.access_token })).status, 401);
    const refreshed = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: second.body.refresh_token } });
    assert.equal(refreshed.body.error, "invalid_grant");
    assert.equal((await server.request("GET", "/userinfo", { token: alice.access_token })).status, 200, "the current session lives on");
    const again = await server.request("DELETE", `/auth/sessions/${other.id}`, { token: alice.access_token });
    assert.equal(again.status, 404);
  });

  test("POST /auth/logout ends the current session only", async () => {
    const user = await server.signUpAndSignIn();
    const second = await signInAgain(user.username, user.password);
    const res = await server.request("POST", "/auth/logout", { token: user.access_token });
    assert.equal(res.status, 204);
    assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 401);
    const refreshed = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } });
    assert.equal(refreshed.body.error, "invalid_grant");
    assert.equal((await server.request("GET", "/userinfo", { token: second.body.access_token })).status, 200);
  });

  test("POST /auth/logout-all ends every session of the caller", async () => {
    const user = await server.signUpAndSignIn();
    const second = await signInAgain(user.username, user.password);
    const bystander = await server.signUpAndSignIn();
    assert.equal((await server.request("POST", "/auth/logout-all", { token: user.access_token })).status, 204);
    for (const token of [user.access_token, second.body.access_token]) {
      assert.equal((await server.request("GET", "/userinfo", { token })).status, 401);
    }
    assert.equal((await server.request("GET", "/userinfo", { token: bystander.access_token })).status, 200);
  });
});

describe("POST /auth/password", () => {
  test("changes the password, keeps the current session, ends the others", async () => {
    const user = await server.signUpAndSignIn();
    const other = await signInAgain(user.username, user.password);
    const res = await server.request("POST", "/auth/password", { token: user.access_token, json: { current_password: user.password, new_password: "a brand new passphrase" } });
    assert.equal(res.status, 204);
    assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 200);
    assert.equal((await server.request("GET", "/userinfo", { token: other.body.access_token })).status, 401);
    assert.equal((await signInAgain(user.username, user.password)).body.error, "invalid_grant");
    assert.ok((await signInAgain(user.username, "a brand new passphrase")).body.access_token);
  });

  test("refuses a wrong current password and a too-short new one", async () => {
    const user = await server.signUpAndSignIn();
    const wrong = await server.request<{ error: string }>("POST", "/auth/password", { token: user.access_token, json: { current_password: "not it at all", new_password: "a brand new passphrase" } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, "invalid_credentials");
    const short = await server.request<{ error: string; error_description: string }>("POST", "/auth/password", { token: user.access_token, json: { current_password: user.password, new_password: "short" } });
    assert.equal(short.status, 400);
    assert.match(short.body.error_description, /^new_password:/);
    assert.equal((await signInAgain(user.username, user.password)).status, 200, "nothing changed");
  });
});
