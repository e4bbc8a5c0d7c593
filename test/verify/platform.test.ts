/**
 * Runtimes: the universal entry bundles for the browser/edge with no Node
 * import and verifies there through WebCrypto; on Node it takes the
 * synchronous node:crypto path; the node entry does so even without
 * process.getBuiltinModule.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { createVerifier } from "../../packages/verify/src/index.js";
import { claimsFor, makeKey, signToken } from "./helpers/tokens.js";

const key = makeKey("ES256");
const token = signToken(key, claimsFor("http://issuer.test"));
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tessera-verify-bundle-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function probe(entry: string): { crypto: string; sub: string; forcedNode: string } {
  const child = spawnSync(process.execPath, ["--import", "tsx", here("./helpers/runtime-probe.ts"), entry], {
    env: { ...process.env, TOKEN: token, JWK: JSON.stringify(key.jwk) }, encoding: "utf8",
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { crypto: string; sub: string; forcedNode: string };
}

describe("runtimes", () => {
  it("takes the synchronous node:crypto path on this Node", () => {
    const verifier = createVerifier({ issuer: "http://issuer.test", keys: [key.jwk], revocation: false });
    assert.equal(verifier.status().crypto, "node");
  });

  it("bundles for the browser with no Node import, and verifies there through WebCrypto", async () => {
    const outfile = join(dir, "verify.mjs");
    await build({ entryPoints: [here("../../packages/verify/src/index.ts")], bundle: true, platform: "browser", format: "esm", outfile, logLevel: "silent" });
    const code = readFileSync(outfile, "utf8");
    assert.doesNotMatch(code, /from\s*["'](node:|fastify|express|hono)/);
    assert.doesNotMatch(code, /require\(["']node:/);
    assert.deepEqual(probe(outfile), { crypto: "webcrypto", sub: "user-1", forcedNode: "TypeError" });
  });

  it("the node entry keeps the fast path without process.getBuiltinModule", () => {
    assert.deepEqual(probe(here("../../packages/verify/src/node.ts")), { crypto: "node", sub: "user-1", forcedNode: "accepted" });
  });
});
