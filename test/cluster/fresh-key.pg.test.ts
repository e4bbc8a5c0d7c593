// A key minted a moment ago on another instance: introspection, revocation and
// /userinfo all take the one path that reloads the key ring for an unknown kid.
// Three servers on one PostgreSQL schema and no Redis, so no notice tells B or C
// about A's new key: only the store does (their key tick runs once a minute).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { dropSchema, newSchemaName, PG_TEST_URL } from "../helpers/pg-schema.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { kidOf, sidOf } from "../helpers/tokens.js";

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

describe("a token signed with a key another instance minted a moment ago", () => {
  const schema = newSchemaName();
  const shared = {
    databaseUrl: PG_TEST_URL, pgSchema: schema, pgPoolSize: 3, redisUrl: "",
    masterKey: randomBytes(32).toString("base64url"), issuer: "http://tessera.test",
  };
  let a: TestServer;
  let b: TestServer;
  let c: TestServer;
  let service: { id: string; secret: string };

  before(async () => {
    a = await startTestServer({ config: shared });
    b = await startTestServer({ config: shared });
    c = await startTestServer({ config: shared });
    const registered = await a.tessera.parts.clients.register({ name: "resource server", grantTypes: ["client_credentials"] });
    service = { id: registered.client.id, secret: registered.secret! };
  });
  after(async () => {
    await Promise.all([a, b, c].map((s) => s?.close()));
    await dropSchema(schema);
  });

  test("is active on B's introspection, and revoked by C, at once", async () => {
    // A's key is compromised: A refuses it and signs with a fresh key from now on.
    await a.tessera.parts.keyRotation.revoke(a.tessera.parts.keys.signingKey().kid, "test");
    const user = await a.signUpAndSignIn();
    const kid = kidOf(user.access_token);
    assert.equal(kid, a.tessera.parts.keys.signingKey().kid);
    assert.equal(b.tessera.parts.keys.verificationKey(kid), undefined, "B has not loaded the new key");
    assert.equal(c.tessera.parts.keys.verificationKey(kid), undefined, "C has not loaded the new key");

    const introspected = await b.request<{ active: boolean; sid?: string }>("POST", "/oauth/introspect", {
      form: { token: user.access_token }, headers: { authorization: basic(service.id, service.secret) },
    });
    assert.equal(introspected.status, 200);
    assert.equal(introspected.body.active, true, "B reloads its keys for the unknown kid instead of answering inactive");
    assert.equal(introspected.body.sid, sidOf(user.access_token));

    const revoked = await c.request("POST", "/oauth/revoke", { form: { token: user.access_token, client_id: "tessera-web" } });
    assert.equal(revoked.status, 200);
    assert.equal((await a.request("GET", "/userinfo", { token: user.access_token })).status, 401, "C ended the session");
    const after = await b.request<{ active: boolean }>("POST", "/oauth/introspect", {
      form: { token: user.access_token }, headers: { authorization: basic(service.id, service.secret) },
    });
    assert.equal(after.body.active, false);
  });

  test("a forged kid costs at most one store read per 5 s, on every one of the three paths", async () => {
    const user = await a.signUpAndSignIn();
    const [header, payload, signature] = user.access_token.split(".");
    const forgedHeader = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header!, "base64url").toString()), kid: "forged" })).toString("base64url");
    const forged = `${forgedHeader}.${payload}.${signature}`;
    let reads = 0;
    const list = b.tessera.parts.store.listSigningKeys.bind(b.tessera.parts.store);
    b.tessera.parts.store.listSigningKeys = async () => { reads++; return list(); };
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => {
      if (i % 3 === 0) return b.request("GET", "/userinfo", { token: forged }).then((r) => r.status);
      if (i % 3 === 1) return b.request<{ active: boolean }>("POST", "/oauth/introspect", {
        form: { token: forged }, headers: { authorization: basic(service.id, service.secret) },
      }).then((r) => (r.body.active ? 500 : r.status));
      return b.request("POST", "/oauth/revoke", { form: { token: forged } }).then((r) => r.status);
    }));
    b.tessera.parts.store.listSigningKeys = list;
    assert.deepEqual(answers, Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 401 : 200)));
    assert.ok(reads <= 1, `${reads} key reloads for 30 forged tokens`);
    assert.equal((await a.request("GET", "/userinfo", { token: user.access_token })).status, 200, "the forged revocation ended nothing");
  });
});
