/**
 * `@tessera/verify` and `@tessera/client` install apart from the server: each
 * is packed the way `npm publish` would pack it (`npm pack -w`, which builds it
 * first), installed into an empty folder with nothing else, and used there. An
 * API that verifies tokens gets the verifier and `jose`, no server
 * dependencies; a browser app gets the client and nothing at all. The old
 * import paths `tessera/verify` and `tessera/client` still give the same API.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "tessera-install-apart-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs npm with this process's Node (the npm next to it on PATH). */
function npm(args: string[], cwd: string): string {
  return execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** `npm pack -w <workspace>`, then `npm install <tarball>` into a fresh folder; resolves with that folder. */
function packAndInstall(workspace: string): { app: string; installed: string[] } {
  const packed = JSON.parse(npm(["pack", "-w", workspace, "--json", "--pack-destination", scratch], root)) as { filename: string; files: { path: string }[] }[];
  const tarball = join(scratch, packed[0]!.filename);
  const app = mkdtempSync(join(scratch, "app-"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  npm(["install", "--prefer-offline", tarball], app);
  const installed = readdirSync(join(app, "node_modules")).filter((n) => !n.startsWith("."))
    .flatMap((n) => (n.startsWith("@") ? readdirSync(join(app, "node_modules", n)).map((m) => `${n}/${m}`) : [n])).sort();
  return { app, installed };
}

/** Runs an ES module in `app` and parses the JSON it prints. */
function runIn(app: string, source: string): unknown {
  const file = join(app, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: app, encoding: "utf8" }));
}

describe("@tessera/verify, installed alone", () => {
  let app: string;
  let installed: string[];
  before(() => ({ app, installed } = packAndInstall("packages/verify")));

  it("brings jose and nothing of the server", () => {
    assert.deepEqual(installed, ["@tessera/verify", "jose"]);
  });

  it("verifies a token signed with a key it was given, and refuses one signed with another key", () => {
    const result = runIn(app, `
      import { SignJWT, exportJWK, generateKeyPair } from "jose";
      import { createVerifier, VerifyError } from "@tessera/verify";
      import { createVerifier as createNodeVerifier } from "@tessera/verify/node";
      const issuer = "http://localhost:3000";
      const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
      const other = await generateKeyPair("ES256");
      const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
      const now = Math.floor(Date.now() / 1000);
      const sign = (key) => new SignJWT({ client_id: "web", scope: "orders:read", roles: ["user"], jti: "j1", sid: "s1" })
        .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: "k1" })
        .setIssuer(issuer).setAudience(issuer).setSubject("user-1").setIssuedAt(now).setExpirationTime(now + 900).sign(key);
      const out = {};
      for (const [name, make] of [["universal", createVerifier], ["node", createNodeVerifier]]) {
        const verifier = make({ issuer, keys: [jwk], revocation: false });
        const claims = await verifier.verify(await sign(privateKey));
        let forged;
        try { await verifier.verify(await sign(other.privateKey)); forged = "accepted"; }
        catch (e) { forged = e instanceof VerifyError ? e.code : String(e); }
        out[name] = { sub: claims.sub, scope: claims.scope, forged };
      }
      console.log(JSON.stringify(out));
    `) as Record<string, { sub: string; scope: string; forged: string }>;
    for (const entry of ["universal", "node"]) {
      assert.equal(result[entry]!.sub, "user-1", entry);
      assert.equal(result[entry]!.scope, "orders:read", entry);
      assert.notEqual(result[entry]!.forged, "accepted", entry);
      assert.match(result[entry]!.forged, /^ERR_/, entry);
    }
  });
});

describe("@tessera/client, installed alone", () => {
  let app: string;
  let installed: string[];
  before(() => ({ app, installed } = packAndInstall("packages/client")));

  it("brings nothing else (its import of verify's types is erased from the JavaScript)", () => {
    assert.deepEqual(installed, ["@tessera/client"]);
  });

  it("imports and works: a client is made and a token's claims decode", () => {
    const result = runIn(app, `
      import { createClient, decodeJwt, memoryStorage, TesseraError } from "@tessera/client";
      const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
      const token = b64({ alg: "ES256", typ: "at+jwt" }) + "." + b64({ sub: "user-1", exp: 2000000000 }) + ".sig";
      const client = createClient({ baseUrl: "http://localhost:3000", storage: memoryStorage() });
      console.log(JSON.stringify({ sub: decodeJwt(token).claims.sub, client: typeof client.signIn, error: typeof TesseraError }));
    `);
    assert.deepEqual(result, { sub: "user-1", client: "function", error: "function" });
  });
});

describe("the server package's old import paths", () => {
  it("tessera/verify, tessera/verify/node and tessera/client re-export the packages", async () => {
    const [oldVerify, newVerify, oldNode, newNode, oldClient, newClient] = await Promise.all(
      ["tessera/verify", "@tessera/verify", "tessera/verify/node", "@tessera/verify/node", "tessera/client", "@tessera/client"]
        .map((name) => import(name) as Promise<Record<string, unknown>>),
    );
    assert.equal(oldVerify!.createVerifier, newVerify!.createVerifier);
    assert.equal(oldNode!.createVerifier, newNode!.createVerifier);
    assert.equal(oldClient!.createClient, newClient!.createClient);
    assert.deepEqual(Object.keys(oldVerify!).sort(), Object.keys(newVerify!).sort());
    assert.deepEqual(Object.keys(oldClient!).sort(), Object.keys(newClient!).sort());
  });
});
