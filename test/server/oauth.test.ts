// Discovery, JWKS (verified with an independent JOSE library), client_credentials,
// revocation (RFC 7009), introspection (RFC 7662) and the revocation feed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let service: { id: string; secret: string };
before(async () => {
  server = await startTestServer();
  const { client, secret } = await server.tessera.parts.clients.register({ name: "Billing API", id: "billing", scopes: ["openid", "profile"] });
  service = { id: client.id, secret: secret! };
});
after(() => server.close());

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

describe("discovery and keys", () => {
  test("metadata per RFC 8414, every URL built from the issuer", async () => {
    const res = await server.request<Record<string, unknown>>("GET", "/.well-known/oauth-authorization-server");
    assert.equal(res.status, 200);
    assert.equal(res.body.issuer, server.issuer);
    for (const key of ["token_endpoint", "revocation_endpoint", "introspection_endpoint", "jwks_uri"]) {
      assert.ok(String(res.body[key]).startsWith(server.issuer), key);
    }
    assert.deepEqual(res.body.grant_types_supported, ["password", "refresh_token", "client_credentials",
      "urn:tessera:params:oauth:grant-type:mfa", "urn:tessera:params:oauth:grant-type:passkey", "urn:tessera:params:oauth:grant-type:email-otp"]);
    assert.ok(Array.isArray(res.body.response_types_supported));
    assert.ok((res.body.scopes_supported as string[]).includes("openid"));
    assert.ok((res.body.token_endpoint_auth_methods_supported as string[]).includes("client_secret_basic"));
  });

  test("the JWKS is cacheable and holds public keys only", async () => {
    const res = await server.request<{ keys: Array<Record<string, unknown>> }>("GET", "/.well-known/jwks.json");
    assert.match(res.headers.get("cache-control")!, /^public, max-age=\d+$/);
    assert.equal(res.body.keys.length, 1);
    const key = res.body.keys[0]!;
    assert.equal(key.alg, "ES256");
    assert.equal(key.use, "sig");
    assert.equal(typeof key.kid, "string");
    assert.equal(key.d, undefined);
  });

  test("an access token verifies with jose against the published JWKS, with every RFC 9068 claim", async () => {
    const user = await server.signUpAndSignIn();
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(user.access_token, jwks, { issuer: server.issuer, audience: server.issuer, typ: "at+jwt", algorithms: ["ES256"] });
    assert.equal(protectedHeader.typ, "at+jwt");
    assert.equal(payload.sub, user.userId);
    assert.equal(payload.client_id, "tessera-web");
    assert.equal(typeof payload.sid, "string");
    assert.equal(typeof payload.jti, "string");
    assert.deepEqual(payload.roles, ["user"]);
    assert.equal(payload.scope, "openid profile email");
    assert.equal(payload.exp! - payload.iat!, 900);
  });

  for (const alg of ["RS256", "EdDSA"] as const) {
    test(`the ${alg} signing option issues ${alg} tokens that jose verifies`, async () => {
      const other = await startTestServer({ config: { signingAlg: alg } });
      try {
        const user = await other.signUpAndSignIn();
        assert.equal(decodeProtectedHeader(user.access_token).alg, alg);
        const jwks = (await other.request<{ keys: never[] }>("GET", "/.well-known/jwks.json")).body;
        await jwtVerify(user.access_token, createLocalJWKSet(jwks), { issuer: other.issuer, audience: other.issuer });
        assert.equal((await other.request("GET", "/userinfo", { token: user.access_token })).status, 200);
      } finally {
        await other.close();
      }
    });
  }

  test("TESSERA_AUDIENCE sets aud", async () => {
    const other = await startTestServer({ config: { audience: "https://api.example.com" } });
    try {
      const user = await other.signUpAndSignIn();
      const claims = JSON.parse(Buffer.from(user.access_token.split(".")[1]!, "base64url").toString());
      assert.equal(claims.aud, "https://api.example.com");
    } finally {
      await other.close();
    }
  });
});

describe("client_credentials", () => {
  test("issues a service token with client_secret_basic and with client_secret_post, without a refresh token", async () => {
    const viaBasic = await server.request<Record<string, unknown>>("POST", "/oauth/token", { form: { grant_type: "client_credentials", scope: "openid" }, headers: { authorization: basic(service.id, service.secret) } });
    const viaPost = await server.request<Record<string, unknown>>("POST", "/oauth/token", { form: { grant_type: "client_credentials", client_id: service.id, client_secret: service.secret } });
    for (const res of [viaBasic, viaPost]) {
      assert.equal(res.status, 200);
      assert.equal(res.body.refresh_token, undefined);
      const claims = JSON.parse(Buffer.from(String(res.body.access_token).split(".")[1]!, "base64url").toString());
      assert.equal(claims.sub, "billing");
      assert.equal(claims.sid, undefined);
    }
    assert.equal(viaBasic.body.scope, "openid");
  });

  test("a wrong secret is a 401 invalid_client, with a Basic challenge when Basic was used", async () => {
    const res = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "client_credentials" }, headers: { authorization: basic(service.id, "wrong") } });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, "invalid_client");
    assert.equal(res.headers.get("www-authenticate"), 'Basic realm="tessera"');
    const post = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "client_credentials", client_id: service.id, client_secret: "wrong" } });
    assert.equal(post.status, 401);
    const unknown = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "client_credentials", client_id: "nope", client_secret: "x" } });
    assert.equal(unknown.status, 401);
  });

  test("revoke and introspect answer a failed Basic authentication with the same Basic challenge (RFC 6749 §5.2); client_secret_post gets none", async () => {
    for (const path of ["/oauth/revoke", "/oauth/introspect"]) {
      for (const authorization of [basic(service.id, "wrong"), basic("no-such-client", "x")]) {
        const res = await server.request<{ error: string }>("POST", path, { form: { token: "x" }, headers: { authorization } });
        assert.equal(res.status, 401, path);
        assert.equal(res.body.error, "invalid_client", path);
        assert.equal(res.headers.get("www-authenticate"), 'Basic realm="tessera"', path);
      }
      const post = await server.request<{ error: string }>("POST", path, { form: { token: "x", client_id: service.id, client_secret: "wrong" } });
      assert.equal(post.status, 401, path);
      assert.equal(post.headers.get("www-authenticate"), null, `${path}: no Basic challenge when Basic was not tried`);
      const good = await server.request("POST", path, { form: { token: "x" }, headers: { authorization: basic(service.id, service.secret) } });
      assert.equal(good.status, 200, path);
      assert.equal(good.headers.get("www-authenticate"), null, path);
    }
  });

  test("public clients cannot use it; scopes beyond the client's are refused", async () => {
    const pub = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "client_credentials" } });
    assert.equal(pub.body.error, "unauthorized_client");
    const wide = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "client_credentials", scope: "email", client_id: service.id, client_secret: service.secret } });
    assert.equal(wide.body.error, "invalid_scope");
  });

  test("a service token is not a user: /userinfo refuses it", async () => {
    const res = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "client_credentials", client_id: service.id, client_secret: service.secret } });
    const me = await server.request("GET", "/userinfo", { token: res.body.access_token });
    assert.equal(me.status, 401);
  });
});

describe("revocation (RFC 7009)", () => {
  test("revoking a refresh token ends its session", async () => {
    const user = await server.signUpAndSignIn();
    const res = await server.request("POST", "/oauth/revoke", { form: { token: user.refresh_token, token_type_hint: "refresh_token" } });
    assert.equal(res.status, 200);
    assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 401);
  });

  test("revoking an access token ends the session it names", async () => {
    const user = await server.signUpAndSignIn();
    assert.equal((await server.request("POST", "/oauth/revoke", { json: { token: user.access_token } })).status, 200);
    const refreshed = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } });
    assert.equal(refreshed.body.error, "invalid_grant");
  });

  test("unknown tokens get 200 too; a missing token is invalid_request; bad client credentials 401", async () => {
    assert.equal((await server.request("POST", "/oauth/revoke", { form: { token: "whatever" } })).status, 200);
    assert.equal((await server.request("POST", "/oauth/revoke", { form: { token: "tsr_" + "x".repeat(43) } })).status, 200);
    const missing = await server.request<{ error: string }>("POST", "/oauth/revoke", { form: {} });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, "invalid_request");
    const bad = await server.request("POST", "/oauth/revoke", { form: { token: "x", client_id: service.id, client_secret: "wrong" } });
    assert.equal(bad.status, 401);
  });

  test("a client cannot revoke another client's tokens", async () => {
    const user = await server.signUpAndSignIn();
    await server.request("POST", "/oauth/revoke", { form: { token: user.refresh_token, client_id: service.id, client_secret: service.secret } });
    assert.equal((await server.request("GET", "/userinfo", { token: user.access_token })).status, 200);
  });
});

describe("introspection (RFC 7662)", () => {
  const introspect = (token: string) => server.request<Record<string, unknown>>("POST", "/oauth/introspect", { form: { token }, headers: { authorization: basic(service.id, service.secret) } });

  test("an access token of a live session is active, with its details", async () => {
    const user = await server.signUpAndSignIn();
    const res = await introspect(user.access_token);
    assert.equal(res.status, 200);
    assert.equal(res.body.active, true);
    assert.equal(res.body.sub, user.userId);
    assert.equal(res.body.username, user.username);
    assert.equal(res.body.token_type, "access_token");
    assert.deepEqual(res.body.roles, ["user"]);
    for (const key of ["client_id", "scope", "exp", "iat", "sid"]) assert.ok(key in res.body, key);
    const rt = await introspect(user.refresh_token);
    assert.equal(rt.body.active, true);
    assert.equal(rt.body.token_type, "refresh_token");
  });

  test("tokens of an ended session, spent refresh tokens and garbage are inactive", async () => {
    const user = await server.signUpAndSignIn();
    const rotated = await server.request<{ refresh_token: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } });
    assert.deepEqual((await introspect(user.refresh_token)).body, { active: false });
    await server.request("POST", "/auth/logout", { token: user.access_token });
    assert.deepEqual((await introspect(user.access_token)).body, { active: false });
    assert.deepEqual((await introspect(rotated.body.refresh_token)).body, { active: false });
    assert.deepEqual((await introspect("garbage")).body, { active: false });
  });

  test("public clients and wrong secrets are refused with 401 invalid_client", async () => {
    const user = await server.signUpAndSignIn();
    const pub = await server.request<{ error: string }>("POST", "/oauth/introspect", { form: { token: user.access_token } });
    assert.equal(pub.status, 401);
    assert.equal(pub.body.error, "invalid_client");
    const wrong = await server.request("POST", "/oauth/introspect", { form: { token: user.access_token }, headers: { authorization: basic(service.id, "nope") } });
    assert.equal(wrong.status, 401);
  });
});

describe("revocation feed", () => {
  type Page = { cursor: string; revoked: Array<{ sid: string; exp: number }> };

  test("lists ended sessions after a cursor, with the latest expiry of their tokens", async () => {
    const start = (await server.request<Page>("GET", "/oauth/revocations")).body.cursor;
    const user = await server.signUpAndSignIn();
    const sid = JSON.parse(Buffer.from(user.access_token.split(".")[1]!, "base64url").toString()).sid;
    await server.request("POST", "/auth/logout", { token: user.access_token });
    const page = (await server.request<Page>("GET", `/oauth/revocations?since=${start}`)).body;
    const entry = page.revoked.find((r) => r.sid === sid);
    assert.ok(entry);
    assert.ok(entry.exp >= Math.floor(Date.now() / 1000) + 899);
    assert.notEqual(page.cursor, start);
    const none = (await server.request<Page>("GET", `/oauth/revocations?since=${page.cursor}`)).body;
    assert.deepEqual(none, { cursor: page.cursor, revoked: [] });
  });

  test("a long-poll answers as soon as a session ends", async () => {
    const cursor = (await server.request<Page>("GET", "/oauth/revocations")).body.cursor;
    const user = await server.signUpAndSignIn();
    const started = Date.now();
    const waiting = server.request<Page>("GET", `/oauth/revocations?since=${cursor}&wait=20`);
    setTimeout(() => void server.request("POST", "/auth/logout", { token: user.access_token }), 200);
    const page = (await waiting).body;
    assert.equal(page.revoked.length, 1);
    assert.ok(Date.now() - started < 5000, "answered long before the 20 s wait");
  });

  test("a garbled cursor or wait is invalid_request", async () => {
    for (const query of ["since=abc", "since=-1", "wait=31", "wait=x"]) {
      const res = await server.request<{ error: string }>("GET", `/oauth/revocations?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error, "invalid_request");
    }
  });
});
