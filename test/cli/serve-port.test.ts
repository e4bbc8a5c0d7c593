// `tessera serve` without TESSERA_ISSUER: the start-up line names the issuer on
// the port actually listened on (PORT=0: the one picked), and discovery agrees.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { masterKey, spawnServer } from "../helpers/process.js";

test("PORT=0: the start-up line and discovery name http://localhost:<bound port>", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-port-"));
  const server = await spawnServer({ TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: masterKey(), PORT: "0" });
  try {
    const port = new URL(server.url).port;
    assert.notEqual(port, "0");
    assert.match(server.output(), new RegExp(`Tessera listening on http://127\\.0\\.0\\.1:${port} \\(issuer http://localhost:${port},`));
    const discovery = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as { issuer: string };
    assert.equal(discovery.issuer, `http://localhost:${port}`);
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});
