// Regressions found while hardening, each through the public entry.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { signJws } from "../../src/core/tokens/access-tokens.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
before(async () => { server = await startTestServer(); });
after(() => server.close());

test("a signed token whose typ is an object without toString is 401, not 500 (found by token-fuzz.test.ts)", async () => {
  const { kid, key } = server.tessera.parts.keys.signingKey();
  const token = signJws({ alg: "ES256", kid, typ: { toString: null } } as never, { sub: "x" }, key);
  const res = await server.request<{ error: string }>("GET", "/userinfo", { token });
  assert.equal(res.status, 401);
  assert.equal(res.body.error, "invalid_token");
  const unsigned = `${Buffer.from('{"alg":"ES256","typ":{"toString":null}}').toString("base64url")}.e30.AAAA`;
  assert.equal((await server.request("GET", "/userinfo", { token: unsigned })).status, 401);
  assert.equal((await server.request("POST", "/oauth/introspect", { form: { token: unsigned } })).status, 401, "invalid_client: no client credentials");
});
