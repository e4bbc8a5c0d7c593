/**
 * Loud by default: a verifier logs its background failures and the adapters'
 * refusal reasons, each distinct cause once, naming the fix where it can;
 * `logger: false` silences it. Against a real Tessera server, and a metadata
 * document that names another issuer (the mistake that made every request a
 * silent 503).
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import { createVerifier, expressAuth, type Verifier } from "../../packages/verify/src/index.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

function capture() {
  const lines: string[] = [];
  return { lines, logger: { warn: (message: string) => void lines.push(message) } };
}

async function serve(verifier: Verifier): Promise<{ get: (token: string) => Promise<number>; close: () => void }> {
  const app = express();
  app.use(expressAuth(verifier));
  app.get("/orders", (_req, res) => { res.json({ ok: true }); });
  const listening = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => listening.once("listening", resolve));
  const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  return {
    get: async (token) => (await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${token}` } })).status,
    close: () => listening.close(),
  };
}

let server: TestServer;
let token: string;
before(async () => {
  server = await startTestServer();
  token = (await server.signUpAndSignIn()).access_token;
});
after(() => server.close());

describe("an issuer whose metadata names another issuer", () => {
  let impostor: Server;
  let issuer: string;
  before(async () => {
    // What a server without TESSERA_ISSUER on another port used to publish.
    impostor = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ issuer: "http://localhost:3000", jwks_uri: "http://localhost:3000/.well-known/jwks.json" })));
    impostor.listen(0, "127.0.0.1");
    await new Promise((resolve) => impostor.once("listening", resolve));
    issuer = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
  });
  after(() => impostor.close());

  it("answers 503 and logs why, with the fix, once however many requests fail", async () => {
    const { lines, logger } = capture();
    const verifier = createVerifier({ issuer, logger, jwks: { cooldown: 0 } });
    const api = await serve(verifier);
    try {
      for (let i = 0; i < 5; i++) assert.equal(await api.get(token), 503);
      const mismatch = lines.filter((l) => l.includes("names http://localhost:3000"));
      assert.ok(mismatch.length >= 1, lines.join("\n"));
      assert.match(mismatch[0]!, new RegExp(`^tessera/verify: .*the issuer's metadata \\(${issuer}/\\.well-known/oauth-authorization-server\\) names http://localhost:3000, not ${issuer}; set issuer to that`));
      assert.equal(new Set(lines).size, lines.length, "each distinct cause once");
      assert.ok(lines.length <= 3, `five failed requests, ${lines.length} lines: ${lines.join("\n")}`);
      assert.ok(lines.every((l) => !l.includes(token)), "never the token");
    } finally {
      api.close();
      verifier.close();
    }
  });
});

describe("a refusal for the wrong audience", () => {
  it("is logged once, naming the audience and how to get a token for it", async () => {
    const { lines, logger } = capture();
    const verifier = createVerifier({ issuer: server.issuer, audience: "https://orders.example", logger });
    const api = await serve(verifier);
    try {
      assert.equal(await api.get(token), 401);
      assert.equal(await api.get(token), 401);
      const refusals = lines.filter((l) => l.includes("refused a request"));
      assert.equal(refusals.length, 1, lines.join("\n"));
      assert.match(refusals[0]!, /ERR_CLAIM_INVALID \(aud: no accepted audience\); this verifier accepts https:\/\/orders\.example: register the API with `tessera apis add https:\/\/orders\.example --scope …` and ask for tokens with resource=https:\/\/orders\.example/);
      assert.equal(await api.get("not-a-token"), 401);
      assert.equal(lines.filter((l) => l.includes("ERR_TOKEN_MALFORMED")).length, 1, "another cause, another line");
    } finally {
      api.close();
      verifier.close();
    }
  });
});

describe("the default and the off switch", () => {
  it("logs to console.warn by default", async (t) => {
    const warn = t.mock.method(console, "warn", () => undefined);
    const verifier = createVerifier({ issuer: server.issuer, audience: "https://elsewhere.example" });
    const api = await serve(verifier);
    try {
      assert.equal(await api.get(token), 401);
      assert.equal(warn.mock.callCount(), 1);
      assert.match(String(warn.mock.calls[0]!.arguments[0]), /^tessera\/verify: refused a request: ERR_CLAIM_INVALID/);
    } finally {
      api.close();
      verifier.close();
    }
  });

  it("logger: false says nothing, and onError still hears background failures", async (t) => {
    const warn = t.mock.method(console, "warn", () => undefined);
    const heard: Error[] = [];
    const verifier = createVerifier({ issuer: "http://127.0.0.1:1", logger: false, onError: (e) => heard.push(e), jwks: { timeout: 1 }, revocation: false });
    const api = await serve(verifier);
    try {
      assert.equal(await api.get(token), 503);
      assert.equal(warn.mock.callCount(), 0);
      assert.ok(heard.length >= 1);
    } finally {
      api.close();
      verifier.close();
    }
  });

  it("a logger without warn() is a TypeError at creation", () => {
    assert.throws(() => createVerifier({ issuer: server.issuer, logger: {} as never }), /logger must be an object with a warn\(message\) method, or false/);
  });
});
