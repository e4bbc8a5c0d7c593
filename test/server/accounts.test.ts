// Registration and the password grant: API.md "Accounts" and "Tokens".
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";

type ErrorBody = { error: string; error_description: string };
let server: TestServer;
before(async () => { server = await startTestServer(); });
after(() => server.close());

describe("POST /auth/register", () => {
  test("creates a user with the role user and answers 201 without secrets", async () => {
    const res = await server.request<Record<string, unknown>>("POST", "/auth/register", { json: { username: "Alice", password: "long enough pw", email: "alice@example.com" } });
    assert.equal(res.status, 201);
    assert.equal(res.body.username, "Alice");
    assert.match(String(res.body.id), /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(String(res.body.created_at))));
    assert.ok(!res.text.includes("long enough pw") && !res.text.includes("argon2"));
    const user = await server.tessera.parts.users.find("alice");
    assert.deepEqual(JSON.parse(user!.roles), ["user"]);
  });

  test("usernames are unique without case and after NFKC normalisation", async () => {
    for (const username of ["alice", "ALICE", " Alice ", "Ａｌｉｃｅ"]) {
      const res = await server.request<ErrorBody>("POST", "/auth/register", { json: { username, password: "another password" } });
      assert.equal(res.status, 409, username);
      assert.equal(res.body.error, "username_taken");
    }
  });

  const refusals: Array<[string, Record<string, unknown>, string]> = [
    ["short username", { username: "ab", password: "12345678" }, "username"],
    ["long username", { username: "a".repeat(65), password: "12345678" }, "username"],
    ["bad characters", { username: "bob smith", password: "12345678" }, "username"],
    ["angle brackets", { username: "<script>", password: "12345678" }, "username"],
    ["short password", { username: "bob", password: "1234567" }, "password"],
    ["long password", { username: "bob", password: "x".repeat(129) }, "password"],
    ["missing password", { username: "bob" }, "password"],
    ["missing username", { password: "12345678" }, "username"],
    ["number username", { username: 12345, password: "12345678" }, "username"],
    ["bad email", { username: "bob", password: "12345678", email: "not-an-email" }, "email"],
  ];
  for (const [name, body, field] of refusals) {
    test(`refuses ${name} with 400 invalid_request naming ${field}`, async () => {
      const res = await server.request<ErrorBody>("POST", "/auth/register", { json: body });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, "invalid_request");
      assert.match(res.body.error_description, new RegExp(`^${field}\\b`));
    });
  }

  test("a password of 8 code points counts characters, not UTF-16 units", async () => {
    const res = await server.request("POST", "/auth/register", { json: { username: "emoji-user", password: "😀😀😀😀😀😀😀😀" } });
    assert.equal(res.status, 201);
  });
});

describe("password grant", () => {
  before(async () => {
    await server.request("POST", "/auth/register", { json: { username: "carol", password: "violet garden gate" } });
  });

  test("signs in with a form body and with a JSON body", async () => {
    const form = await server.request<Record<string, unknown>>("POST", "/oauth/token", { form: { grant_type: "password", username: "carol", password: "violet garden gate" } });
    const json = await server.request<Record<string, unknown>>("POST", "/oauth/token", { json: { grant_type: "password", username: "CAROL", password: "violet garden gate" } });
    for (const res of [form, json]) {
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.equal(res.body.token_type, "Bearer");
      assert.equal(res.body.expires_in, 900);
      assert.match(String(res.body.refresh_token), /^tsr_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{64}$/);
      assert.equal(res.body.scope, "openid profile email");
      assert.equal(String(res.body.access_token).split(".").length, 3);
    }
    assert.notEqual(form.body.refresh_token, json.body.refresh_token);
  });

  test("wrong password, unknown user and disabled account get one identical answer", async () => {
    await server.request("POST", "/auth/register", { json: { username: "dave", password: "dusty road ahead" } });
    const dave = await server.tessera.parts.users.find("dave");
    await server.tessera.parts.admin.users.setDisabled(dave!.id, true, { id: "test" });
    const attempts = [
      { username: "carol", password: "wrong password" },
      { username: "nobody-here", password: "whatever pw" },
      { username: "dave", password: "dusty road ahead" },
    ];
    const bodies = [];
    for (const a of attempts) {
      const res = await server.request("POST", "/oauth/token", { form: { grant_type: "password", ...a } });
      assert.equal(res.status, 400);
      bodies.push(res.text);
    }
    assert.equal(new Set(bodies).size, 1);
    assert.deepEqual(JSON.parse(bodies[0]!), { error: "invalid_grant", error_description: "The username or password is incorrect." });
  });

  test("an unknown user costs an argon2 verification, like a wrong password", async () => {
    const hasher = server.tessera.parts.hasher;
    let verifications = 0;
    const original = hasher.verify.bind(hasher);
    hasher.verify = async (hash, password) => { verifications++; return original(hash, password); };
    try {
      await server.request("POST", "/oauth/token", { form: { grant_type: "password", username: "ghost-user", password: "whatever pw" } });
      assert.equal(verifications, 1);
    } finally {
      hasher.verify = original;
    }
  });

  test("names the missing parameter", async () => {
    const res = await server.request<ErrorBody>("POST", "/oauth/token", { form: { grant_type: "password", username: "carol" } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { error: "invalid_request", error_description: "password: is required" });
  });

  test("a scope is granted only if known", async () => {
    const ok = await server.request<Record<string, unknown>>("POST", "/oauth/token", { form: { grant_type: "password", username: "carol", password: "violet garden gate", scope: "openid" } });
    assert.equal(ok.body.scope, "openid");
    const bad = await server.request<ErrorBody>("POST", "/oauth/token", { form: { grant_type: "password", username: "carol", password: "violet garden gate", scope: "openid admin:everything" } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, "invalid_scope");
  });

  test("third-party clients may not use the password grant", async () => {
    const { secret } = await server.tessera.parts.clients.register({ name: "Third party", id: "third-party", grantTypes: ["password", "client_credentials"] });
    const res = await server.request<ErrorBody>("POST", "/oauth/token", { form: { grant_type: "password", username: "carol", password: "violet garden gate", client_id: "third-party", client_secret: secret! } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "unauthorized_client");
  });

  test("an unknown grant type is unsupported_grant_type", async () => {
    const res = await server.request<ErrorBody>("POST", "/oauth/token", { form: { grant_type: "authorization_code", code: "x" } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "unsupported_grant_type");
  });

  test("raising the argon2 cost re-hashes the password at the next sign-in", async () => {
    const masterKey = randomBytes(32).toString("base64url");
    const first = await startTestServer({ keepData: true, config: { masterKey } });
    await first.signUpAndSignIn("erin", "quiet harbour light");
    assert.match((await first.tessera.parts.users.find("erin"))!.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await first.close();
    const second = await startTestServer({ dataDir: first.dataDir, config: { masterKey, argon2Iterations: 3 } });
    try {
      const res = await second.request("POST", "/oauth/token", { form: { grant_type: "password", username: "erin", password: "quiet harbour light" } });
      assert.equal(res.status, 200);
      assert.match((await second.tessera.parts.users.find("erin"))!.password_hash, /^\$argon2id\$v=19\$m=19456,t=3,p=1\$/);
      const again = await second.request("POST", "/oauth/token", { form: { grant_type: "password", username: "erin", password: "quiet harbour light" } });
      assert.equal(again.status, 200, "the new hash verifies");
    } finally {
      await second.close();
    }
  });
});
