/**
 * One behaviour, four frameworks: every adapter test builds the same small app
 * (GET /me, /orders needing scope orders:read, /write needing orders:write,
 * /admin needing role admin) and runs these RFC 6750 cases against it.
 */
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createVerifier, type AuthOptions, type Verifier } from "../../../packages/verify/src/index.js";
import { claimsFor, makeKey, signToken } from "./tokens.js";

export interface Answer { status: number; headers: Headers; body: string }
export interface AppUnderTest {
  request(path: string, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}
export type BuildApp = (verifier: Verifier, options: AuthOptions) => Promise<AppUnderTest>;

const ISSUER = "http://issuer.test";
const key = makeKey("ES256");
const good = signToken(key, claimsFor(ISSUER));
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

function challenge(answer: Answer): string {
  return answer.headers.get("www-authenticate") ?? "";
}

function assertNoLeak(answer: Answer, token: string): void {
  assert.ok(!answer.body.includes(token.split(".")[1]!), "the body echoes the token");
  assert.ok(!challenge(answer).includes(token.split(".")[1]!), "the challenge echoes the token");
}

export function adapterSuite(name: string, build: BuildApp): void {
  describe(`${name} adapter`, () => {
    let app: AppUnderTest;
    let lenient: AppUnderTest;
    let down: AppUnderTest;
    const verifiers: Verifier[] = [];
    const refused: (string | null)[] = [];
    const local = (): Verifier => {
      const v = createVerifier({ issuer: ISSUER, keys: [key.jwk], revocation: false });
      verifiers.push(v);
      return v;
    };

    before(async () => {
      app = await build(local(), { onRefused: (e) => refused.push(e?.code ?? null) });
      lenient = await build(local(), { optional: true, realm: "orders" });
      const unreachable = createVerifier({ issuer: ISSUER, jwksUri: "http://127.0.0.1:9/jwks.json", revocation: false, jwks: { timeout: 1 } });
      verifiers.push(unreachable);
      down = await build(unreachable, {});
    });
    after(async () => {
      for (const v of verifiers) v.close();
      await Promise.all([app.close(), lenient.close(), down.close()]);
    });

    it("puts the claims on the request for a valid token", async () => {
      const answer = await app.request("/me", bearer(good));
      assert.equal(answer.status, 200);
      assert.deepEqual(JSON.parse(answer.body), { sub: "user-1" });
    });

    it("answers 401 with a bare challenge (no error) when no credentials are sent", async () => {
      const answer = await app.request("/me");
      assert.equal(answer.status, 401);
      assert.equal(challenge(answer), 'Bearer realm="tessera"');
      assert.equal(answer.headers.get("cache-control"), "no-store");
      assert.equal(JSON.parse(answer.body).error, "unauthorized");
    });

    it("treats another scheme (Basic) as no credentials", async () => {
      const answer = await app.request("/me", { authorization: "Basic dXNlcjpwYXNz" });
      assert.equal(answer.status, 401);
      assert.equal(challenge(answer), 'Bearer realm="tessera"');
    });

    it("never accepts a token from the query string", async () => {
      const answer = await app.request(`/me?access_token=${good}`);
      assert.equal(answer.status, 401);
      assert.equal(challenge(answer), 'Bearer realm="tessera"');
    });

    it("answers 401 invalid_token with a safe description for a bad token", async () => {
      const expired = signToken(key, claimsFor(ISSUER, Date.now() - 3_600_000));
      const answer = await app.request("/me", bearer(expired));
      assert.equal(answer.status, 401);
      assert.equal(challenge(answer), 'Bearer realm="tessera", error="invalid_token", error_description="The token has expired."');
      assert.deepEqual(JSON.parse(answer.body), { error: "invalid_token", error_description: "The token has expired." });
      assertNoLeak(answer, expired);
      assert.ok(refused.includes("ERR_TOKEN_EXPIRED"), "onRefused saw the code");
    });

    it("answers 401 invalid_token for a Bearer header that holds no b64token", async () => {
      for (const authorization of ["Bearer", "Bearer a b", 'Bearer "x"']) {
        const answer = await app.request("/me", { authorization });
        assert.equal(answer.status, 401, authorization);
        assert.match(challenge(answer), /error="invalid_token"/);
      }
    });

    it("accepts the scheme name in any case", async () => {
      assert.equal((await app.request("/me", { authorization: `bEaReR ${good}` })).status, 200);
    });

    it("lets a request with the scope through", async () => {
      assert.equal((await app.request("/orders", bearer(good))).status, 200);
    });

    it("answers 403 insufficient_scope naming the scope", async () => {
      const answer = await app.request("/write", bearer(good));
      assert.equal(answer.status, 403);
      assert.equal(challenge(answer),
        'Bearer realm="tessera", error="insufficient_scope", error_description="The token lacks a scope this resource requires.", scope="orders:write"');
      assert.equal(JSON.parse(answer.body).error, "insufficient_scope");
    });

    it("answers 403 insufficient_scope for a missing role, and lets an admin through", async () => {
      const answer = await app.request("/admin", bearer(good));
      assert.equal(answer.status, 403);
      assert.match(challenge(answer), /error="insufficient_scope"/);
      const admin = signToken(key, claimsFor(ISSUER, Date.now(), { roles: ["user", "admin"] }));
      assert.equal((await app.request("/admin", bearer(admin))).status, 200);
    });

    it("in optional mode lets anonymous requests through but still refuses bad tokens", async () => {
      const anonymous = await lenient.request("/me");
      assert.equal(anonymous.status, 200);
      assert.deepEqual(JSON.parse(anonymous.body), { sub: null });
      const forged = await lenient.request("/me", bearer(`${good.slice(0, -4)}AAAA`));
      assert.equal(forged.status, 401);
      assert.match(challenge(forged), /^Bearer realm="orders", error="invalid_token"/);
    });

    it("a guard after optional auth answers 401 without credentials, in the adapter's realm", async () => {
      const answer = await lenient.request("/orders");
      assert.equal(answer.status, 401);
      assert.equal(challenge(answer), 'Bearer realm="orders"');
    });

    it("answers 503 with Retry-After when the issuer's keys cannot be fetched", async () => {
      const answer = await down.request("/me", bearer(good));
      assert.equal(answer.status, 503);
      assert.equal(answer.headers.get("retry-after"), "5");
      assert.equal(JSON.parse(answer.body).error, "temporarily_unavailable");
    });
  });
}

/** Routes' shared answer for /me. */
export function meBody(sub: string | undefined): string {
  return JSON.stringify({ sub: sub ?? null });
}

/** An app under test over real HTTP on loopback: `server` is listening, or about to. */
export async function overHttp(server: Server): Promise<AppUnderTest> {
  if (!server.listening) await new Promise<void>((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async request(path, headers = {}) {
      const response = await fetch(base + path, { headers });
      return { status: response.status, headers: response.headers, body: await response.text() };
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
