// Documentation that must follow the code: the error registry and the configuration table.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { errorCodes } from "../../src/core/errors.js";
import { BEGIN, configTable, END } from "../../scripts/config-table.js";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

test("docs/errors.md lists exactly the codes in src/core/errors.ts, with their statuses", () => {
  const doc = read("docs/errors.md");
  const documented = new Map([...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
  assert.deepEqual([...documented.keys()].sort(), Object.keys(errorCodes).sort());
  for (const [code, { status }] of Object.entries(errorCodes)) assert.equal(documented.get(code), status, code);
});

test("the README's configuration table is the one generated from src/core/config.ts", () => {
  const readme = read("README.md");
  const section = readme.slice(readme.indexOf(BEGIN) + BEGIN.length, readme.indexOf(END)).trim();
  assert.equal(section, configTable(), "run: node --import tsx scripts/config-table.ts");
});
