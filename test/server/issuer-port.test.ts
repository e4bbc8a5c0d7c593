// The issuer follows the listening port: without TESSERA_ISSUER it is
// http://localhost:<the port actually listened on>, so a server on a port of its
// own (here PORT=0, the port picked at listen) names that port in discovery,
// `iss`, the OpenAPI `servers` and the start-up line, and a verifier pointed at
// that URL accepts its tokens.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decodeJwt } from "jose";
import { loadConfig } from "../../src/core/config.js";
import { createVerifier } from "../../packages/verify/src/index.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("default issuer on a port of its own", () => {
  let server: TestServer;
  let port: number;
  // issuer: undefined is the default (no TESSERA_ISSUER): the helper's own fixed issuer is not used.
  before(async () => {
    server = await startTestServer({ config: { issuer: undefined as unknown as string, audience: undefined as unknown as string } });
    port = Number(new URL(server.url).port);
  });
  after(() => server.close());

  test("discovery, iss, aud and the OpenAPI servers name http://localhost:<bound port>", async () => {
    assert.notEqual(port, 0);
    const expected = `http://localhost:${port}`;
    assert.equal(server.tessera.config.issuer, expected);
    const discovery = await server.request<Record<string, string>>("GET", "/.well-known/oauth-authorization-server");
    assert.equal(discovery.body.issuer, expected);
    assert.equal(discovery.body.jwks_uri, `${expected}/.well-known/jwks.json`);
    const openapi = await server.request<{ servers: Array<{ url: string }> }>("GET", "/openapi.json");
    assert.equal(openapi.status, 200);
    assert.deepEqual(openapi.body.servers.map((s) => s.url), [expected]);
    const signedIn = await server.signUpAndSignIn();
    const claims = decodeJwt(signedIn.access_token);
    assert.equal(claims.iss, expected);
    assert.equal(claims.aud, expected, "the default audience is the issuer, on the same port");
    // The server accepts its own token (its check reads the issuer it has now).
    assert.equal((await server.request("GET", "/userinfo", { token: signedIn.access_token })).status, 200);
  });

  test("a verifier pointed at http://localhost:<port> accepts the server's tokens", async () => {
    const verifier = createVerifier({ issuer: `http://localhost:${port}`, revocation: false });
    try {
      const signedIn = await server.signUpAndSignIn();
      const claims = await verifier.verify(signedIn.access_token);
      assert.equal(claims.sub, signedIn.userId);
    } finally {
      verifier.close();
    }
  });

  test("cookie writes from the issuer's origin are trusted (the origin list follows the port too)", async () => {
    await server.request("POST", "/auth/register", { json: { username: "port-cookie", password: "port cookie password" } });
    const login = await server.request<{ csrf_token: string }>("POST", "/session/login", { json: { username: "port-cookie", password: "port cookie password" }, headers: { origin: server.issuer } });
    assert.equal(login.status, 200, login.text);
    const cookie = /__Host-tessera_session=[^;]+/.exec(login.headers.getSetCookie().join("\n"))![0];
    for (const origin of [`http://localhost:${port}`, `http://127.0.0.1:${port}`]) {
      const answer = await server.request("POST", "/auth/password", {
        headers: { cookie, origin, "x-csrf-token": login.body.csrf_token },
        json: { current_password: "wrong on purpose", new_password: "another long password" },
      });
      // Past the CSRF check (the origin is this server's): the wrong current password is what refuses it.
      assert.equal((answer.body as { error: string }).error, "invalid_credentials", `${origin}: ${answer.text}`);
    }
    const foreign = await server.request<{ error: string }>("POST", "/auth/password", {
      headers: { cookie, origin: "http://localhost:1", "x-csrf-token": login.body.csrf_token },
      json: { current_password: "wrong on purpose", new_password: "another long password" },
    });
    assert.equal(foreign.body.error, "csrf_failed");
  });
});

describe("issuer settings", () => {
  test("PORT=4700 without TESSERA_ISSUER: issuer and audience on 4700", () => {
    const config = loadConfig({ PORT: "4700" });
    assert.equal(config.issuer, "http://localhost:4700");
    assert.equal(config.audience, "http://localhost:4700");
  });

  test("TESSERA_ISSUER wins over the port, and stays as set after listen", async () => {
    assert.equal(loadConfig({ PORT: "4700", TESSERA_ISSUER: "https://auth.example.com" }).issuer, "https://auth.example.com");
    const server = await startTestServer({ config: { issuer: "http://tessera.test" } });
    try {
      assert.equal(server.issuer, "http://tessera.test");
      const discovery = await server.request<{ issuer: string }>("GET", "/.well-known/oauth-authorization-server");
      assert.equal(discovery.body.issuer, "http://tessera.test");
    } finally {
      await server.close();
    }
  });
});
