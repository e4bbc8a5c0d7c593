// Look-alike, invisible and id-shaped usernames (UTS #39; docs/security.md "Look-alike usernames").
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { signInAdmin } from "../helpers/admin.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

type ErrorBody = { error: string; error_description: string };
let server: TestServer;
before(async () => { server = await startTestServer(); });
after(() => server.close());

const register = (username: string, password = "a long pass phrase") =>
  server.request<ErrorBody & { id: string; username: string }>("POST", "/auth/register", { json: { username, password } });

describe("look-alike usernames are one account", () => {
  test("a name that looks like a taken one is 409 username_taken, in one script or with digits for letters", async () => {
    assert.equal((await register("alice")).status, 201);
    assert.equal((await register("mary")).status, 201);
    assert.equal((await register("ape")).status, 201);
    assert.equal((await register("bob")).status, 201);
    // "аре" is Cyrillic а, р, е: one script, the same picture as Latin "ape".
    for (const name of ["a1ice", "A1ICE", "rnary", "\u0430\u0440\u0435", "b0b", "BOB"]) {
      const res = await register(name);
      assert.equal(res.status, 409, name);
      assert.equal(res.body.error, "username_taken", name);
    }
  });

  test("a dotted capital İ (U+0130) folds to i with a dot above: ERİN is erin's look-alike, either way round", async () => {
    assert.equal((await register("erin")).status, 201);
    for (const name of ["ERİN", "eri\u0307n", "er\u0131n"]) assert.equal((await register(name)).status, 409, name);
    assert.equal((await register("JİM")).status, 201);
    assert.equal((await register("jim")).status, 409, "the plain spelling after the dotted one");
  });

  test("full case folding: straße and STRASSE are one account, and either spelling signs in", async () => {
    assert.equal((await register("straße", "white river stones")).status, 201);
    const taken = await register("STRASSE");
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error, "username_taken");
    const signIn = await server.request<{ access_token?: string }>("POST", "/oauth/token", { form: { grant_type: "password", username: "STRASSE", password: "white river stones" } });
    assert.equal(signIn.status, 200);
    assert.ok(signIn.body.access_token);
  });

  test("concurrent look-alike registrations: exactly one account is created", async () => {
    const names = ["carol", "CAROL", "caro1", "Carol", "CaRoL", " carol "];
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => register(names[i % names.length]!)));
    assert.equal(answers.filter((a) => a.status === 201).length, 1);
    assert.ok(answers.every((a) => a.status === 201 || (a.status === 409 && a.body.error === "username_taken")), answers.map((a) => a.status).join());
  });
});

describe("names that are refused", () => {
  for (const [why, name] of [
    ["a Cyrillic а among Latin letters", "\u0430lice"],
    ["a Greek Α among Latin letters", "\u0391LICE"],
    ["three Hangul fillers (a blank-looking name)", "\u3164\u3164\u3164"],
    ["a halfwidth Hangul filler", "ab\uFFA0c"],
    ["a zero-width space", "ab\u200Bc"],
    ["a soft hyphen", "abc\u00AD"],
    ["a right-to-left override", "abc\u202Egnp"],
    ["a UUID, shaped like a user id", "3f2504e0-4f89-41d3-9a0c-0305e82c3301"],
    ["a UUID without dashes", "3F2504E04F8941D39A0C0305E82C3301"],
    ["a combining mark first", "\u0301abc"],
  ] as const) {
    test(`${why}: 400 invalid_request naming the field`, async () => {
      const res = await register(name);
      assert.equal(res.status, 400, name);
      assert.equal(res.body.error, "invalid_request");
      assert.match(res.body.error_description, /username/);
      assert.equal(await server.tessera.parts.users.find(`username:${name}`), undefined, "no account was written");
    });
  }
});

test("a mixed-script refusal says which mixes are allowed", async () => {
  const res = await register("\u0430lice");
  assert.equal(res.status, 400);
  assert.match(res.body.error_description, /^username: mixes scripts that look alike: .*Latin with one other script that is not Cyrillic or Greek/);
});

describe("ordinary names register: one script, or Latin with one other that is not Cyrillic or Greek", () => {
  for (const name of ["zoë", "Андрей", "山田", "山田たろう", "Ελένη", "देवनागरी", "kim한국", "José", "o'neil".replace("'", "-"), "user@example.com", "tanaka田中", "abcदेव"]) {
    test(name, async () => {
      const res = await register(name);
      assert.equal(res.status, 201, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.username, name);
    });
  }
  test("two characters of a Latin name are still too short", async () => {
    assert.equal((await register("ab")).status, 400);
  });
});

describe("admin selectors: an id is never taken for a username", () => {
  test("a bare UUID selects by id; `username:` and `id:` say which", async () => {
    const admin = await signInAdmin(server);
    const dave = await register("dave");
    const auth = { Authorization: `Bearer ${admin.access_token}` };
    const byId = await server.request<{ username: string }>("GET", `/admin/users/${dave.body.id}`, { headers: auth });
    assert.equal(byId.body.username, "dave");
    assert.equal((await server.request<{ username: string }>("GET", `/admin/users/id:${dave.body.id}`, { headers: auth })).body.username, "dave");
    assert.equal((await server.request<{ username: string }>("GET", "/admin/users/username:dave", { headers: auth })).body.username, "dave");
    assert.equal((await server.request<{ username: string }>("GET", "/admin/users/dave", { headers: auth })).body.username, "dave");
    // A UUID that is nobody's id never falls back to a username lookup.
    assert.equal((await server.request("GET", "/admin/users/00000000-0000-4000-8000-000000000000", { headers: auth })).status, 404);
    assert.equal((await server.request("GET", `/admin/users/username:${dave.body.id}`, { headers: auth })).status, 404);
  });
});
