/**
 * Against a real Tessera server on loopback: its tokens verify through
 * discovery; every way a session ends reaches the verifier through the
 * revocation feed within 2 s; a key rotation on the live server causes no
 * failure; a revoked signing key stops verifying.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import { createVerifier, expressAuth, VerifyError, type Verifier } from "../../packages/verify/src/index.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";

const LOGOUT_BUDGET_MS = 2000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Verifies `token` until it is refused with `expected` (ERR_TOKEN_REVOKED unless
 * said otherwise; any other refusal fails); returns the ms that took and the error.
 */
async function untilRefused(verifier: Verifier, token: string, limitMs = 5000, expected = "ERR_TOKEN_REVOKED"): Promise<{ ms: number; error: VerifyError | undefined }> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    try {
      await verifier.verify(token);
    } catch (error) {
      assert.equal((error as VerifyError).code, expected, String(error));
      return { ms: Date.now() - started, error: error as VerifyError };
    }
    await sleep(10);
  }
  return { ms: Number.POSITIVE_INFINITY, error: undefined };
}

describe("against a real Tessera server", () => {
  let server: TestServer;
  let verifier: Verifier;

  before(async () => {
    server = await startTestServer();
    verifier = createVerifier({ issuer: server.issuer });
  });
  after(async () => {
    verifier.close();
    await server.close();
  });

  it("verifies the server's access token with nothing but the issuer URL", async () => {
    const user = await server.signUpAndSignIn();
    const claims = await verifier.verify(user.access_token);
    assert.equal(claims.sub, user.userId);
    assert.equal(claims.iss, server.issuer);
    assert.equal(claims.aud, server.issuer);
    assert.ok(claims.roles.includes("user"));
    assert.equal(typeof claims.sid, "string");
    assert.equal(verifier.status().crypto, "node");
  });

  it("refuses the token within 2 s of POST /auth/logout", async (t) => {
    const user = await server.signUpAndSignIn();
    await verifier.verify(user.access_token); // now cached: the hit must still see the logout
    assert.equal((await server.request("POST", "/auth/logout", { token: user.access_token })).status, 204);
    const { ms, error } = await untilRefused(verifier, user.access_token);
    t.diagnostic(`logout reached the verifier in ${ms} ms`);
    assert.ok(ms < LOGOUT_BUDGET_MS, `took ${ms} ms`);
    assert.equal(error?.code, "ERR_TOKEN_REVOKED");
  });

  it("refuses every session's token within 2 s of logout-all", async () => {
    const user = await server.signUpAndSignIn();
    const second = await server.request<{ access_token: string }>("POST", "/oauth/token", {
      form: { grant_type: "password", username: user.username, password: user.password },
    });
    await verifier.verify(second.body.access_token);
    assert.equal((await server.request("POST", "/auth/logout-all", { token: user.access_token })).status, 204);
    for (const token of [user.access_token, second.body.access_token]) {
      const { ms } = await untilRefused(verifier, token);
      assert.ok(ms < LOGOUT_BUDGET_MS, `took ${ms} ms`);
    }
  });

  it("refuses within 2 s once the refresh token is revoked (RFC 7009)", async () => {
    const user = await server.signUpAndSignIn();
    await verifier.verify(user.access_token);
    const revoked = await server.request("POST", "/oauth/revoke", { form: { token: user.refresh_token, client_id: "tessera-web" } });
    assert.equal(revoked.status, 200);
    assert.ok((await untilRefused(verifier, user.access_token)).ms < LOGOUT_BUDGET_MS);
  });

  it("refuses other sessions within 2 s of a password change", async () => {
    const user = await server.signUpAndSignIn();
    const other = await server.request<{ access_token: string }>("POST", "/oauth/token", {
      form: { grant_type: "password", username: user.username, password: user.password },
    });
    const changed = await server.request("POST", "/auth/password", {
      token: user.access_token, json: { current_password: user.password, new_password: "another long passphrase 42" },
    });
    assert.equal(changed.status, 204);
    assert.ok((await untilRefused(verifier, other.body.access_token)).ms < LOGOUT_BUDGET_MS);
  });

  it("a verifier started after the logout refuses on its first verify", async () => {
    const user = await server.signUpAndSignIn();
    await server.request("POST", "/auth/logout", { token: user.access_token });
    const late = createVerifier({ issuer: server.issuer });
    try {
      await assert.rejects(late.verify(user.access_token), (e: unknown) => e instanceof VerifyError && e.code === "ERR_TOKEN_REVOKED");
    } finally {
      late.close();
    }
  });

  it("Express end to end: 200 with the server's token, 401 invalid_token after logout", async () => {
    const app = express();
    app.use(expressAuth(verifier));
    app.get("/me", (req, res) => { res.json({ sub: req.auth?.sub }); });
    const http = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => http.once("listening", resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const user = await server.signUpAndSignIn();
      const headers = { authorization: `Bearer ${user.access_token}` };
      const ok = await fetch(`${base}/me`, { headers });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { sub: user.userId });
      await server.request("POST", "/auth/logout", { token: user.access_token });
      await untilRefused(verifier, user.access_token);
      const refused = await fetch(`${base}/me`, { headers });
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get("www-authenticate") ?? "", /error="invalid_token", error_description="The token's session has ended."/);
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});

describe("key rotation on a live server", () => {
  let server: TestServer;
  let verifier: Verifier;
  const clock = testClock();

  before(async () => {
    server = await startTestServer({ clock });
    verifier = createVerifier({ issuer: server.issuer, clock: clock.now, revocation: false });
  });
  after(async () => {
    verifier.close();
    await server.close();
  });

  it("keeps verifying every valid token through a rotation (zero failures)", async () => {
    const before = await server.signUpAndSignIn();
    await verifier.verify(before.access_token);
    const oldKid = server.tessera.parts.keys.signingKey().kid;
    await server.tessera.parts.keys.rotate();
    const failures: string[] = [];
    // Walk past the publish-ahead window in steps, signing in and verifying at each.
    for (let step = 0; step < 8; step++) {
      clock.advance(60_000);
      const user = await server.signUpAndSignIn();
      const results = await Promise.allSettled([user.access_token, before.access_token, user.access_token].map((t) => verifier.verify(t)));
      for (const r of results) if (r.status === "rejected") failures.push(String((r.reason as VerifyError).code));
    }
    assert.deepEqual(failures, []);
    assert.notEqual(server.tessera.parts.keys.signingKey().kid, oldKid, "the new key signs by now");
  });

  it("stops accepting tokens of a revoked signing key once the JWKS is re-read (max-age)", async () => {
    const user = await server.signUpAndSignIn();
    await verifier.verify(user.access_token); // cached
    await server.tessera.parts.keys.revoke(server.tessera.parts.keys.signingKey().kid);
    clock.advance(301_000); // the JWKS max-age (300 s) has passed: the next verify re-reads it in the background
    const { ms, error } = await untilRefused(verifier, user.access_token, 1000, "ERR_KEY_NOT_FOUND");
    assert.ok(ms < 1000, `took ${ms} ms`);
    assert.equal(error?.code, "ERR_KEY_NOT_FOUND");
    const fresh = await server.signUpAndSignIn();
    assert.equal((await verifier.verify(fresh.access_token)).sub, fresh.userId);
  });
});
