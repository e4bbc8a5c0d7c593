// The password policy: 8–128 characters, no
// composition rules, refused when common or breached (a packaged list of
// ≥100,000 entries), when it contains the username or the service's name;
// Unicode-normalised. Applied on every path that sets a password.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { commonPasswords, isCommonPassword } from "../../src/core/accounts/common-passwords.js";
import { passwordProblem } from "../../src/core/accounts/passwords.js";
import { signInAdmin } from "../helpers/admin.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

type Body = { error: string; error_description: string };

describe("the list", () => {
  test("holds at least 100,000 entries, each 8 to 128 characters", () => {
    const list = commonPasswords();
    assert.ok(list.size >= 100_000, `only ${list.size}`);
    for (const entry of list) assert.ok([...entry].length >= 8 && [...entry].length <= 128, entry);
  });

  test("refuses password1 and its common disguises; accepts a long random phrase", () => {
    for (const p of ["password1", "Password1", "PASSWORD1", "p@ssw0rd", "P@$$w0rd", "qwertyuiop", "iloveyou2", "dragon2020", "monkey123", "11111111", "1q2w3e4r5t", "abc12345", "Ｐａｓｓｗｏｒｄ１"]) {
      assert.ok(isCommonPassword(p), p);
    }
    for (const p of ["correct horse battery staple", "tangerine-orbit-quarry-57", "zq8#Lm2p!xV0"]) assert.ok(!isCommonPassword(p), p);
  });

  test("passwordProblem: length, list, username, service name; no composition rules", () => {
    assert.equal(passwordProblem("short"), "must be at least 8 characters");
    assert.equal(passwordProblem("x".repeat(129)), "must be at most 128 characters");
    assert.match(passwordProblem("password1")!, /^is too common/);
    assert.equal(passwordProblem("zelda-the-brave-99", { username: "Zelda" }), "must not contain the username");
    assert.equal(passwordProblem("my tessera login", {}), "must not contain the name of this service");
    assert.equal(passwordProblem("all lowercase letters only"), undefined, "no composition rules");
    assert.equal(passwordProblem("ａｌｌ ｆｕｌｌ ｗｉｄｔｈ ｔｅｘｔ"), undefined);
  });
});

describe("over HTTP", () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(() => server.close());

  test("registration refuses password1 with invalid_request naming the field and saying why", async () => {
    const res = await server.request<Body>("POST", "/auth/register", { json: { username: "newcomer", password: "password1" } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "invalid_request");
    assert.match(res.body.error_description, /^password: is too common/);
    assert.equal(await server.tessera.parts.users.find("newcomer"), undefined);
  });

  test("registration accepts a long random phrase, and refuses one containing the username", async () => {
    assert.equal((await server.request("POST", "/auth/register", { json: { username: "newcomer", password: "tangerine orbit quarry fifty" } })).status, 201);
    const res = await server.request<Body>("POST", "/auth/register", { json: { username: "mallory", password: "xMALLORYx rules all" } });
    assert.deepEqual(res.body, { error: "invalid_request", error_description: "password: must not contain the username" });
  });

  test("a password change and an admin-created user follow the same policy", async () => {
    const user = await server.signUpAndSignIn("changer", "first long phrase");
    const res = await server.request<Body>("POST", "/auth/password", { token: user.access_token, json: { current_password: user.password, new_password: "Summer2024" } });
    assert.equal(res.status, 400);
    assert.match(res.body.error_description, /^new_password: is too common/);
    const admin = await signInAdmin(server);
    const created = await server.request<Body>("POST", "/admin/users", { token: admin.access_token, json: { username: "by-admin", password: "letmein123" } });
    assert.match(created.body.error_description, /^password: is too common/);
  });
});
