// The browser bundle of tessera/client must stay under 6 KB min+gzip.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const BUDGET = 6 * 1024;

test("tessera/client bundles for the browser under 6 KB min+gzip, with no Node built-ins", async () => {
  const result = await build({
    entryPoints: [new URL("../../packages/client/src/index.ts", import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`tessera/client: ${code.length} B minified, ${gzipped} B min+gzip (budget ${BUDGET} B)`);
  assert.ok(gzipped < BUDGET, `${gzipped} B over the ${BUDGET} B budget`);
  assert.doesNotMatch(new TextDecoder().decode(code), /\bBuffer\b|require\(|node:/);
});
