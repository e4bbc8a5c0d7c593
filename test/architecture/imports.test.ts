// The doors between the parts, checked on the sources: the server and the CLI
// reach the core only through its declared API (core/api.ts, plus errors.ts
// and config.ts; the composition root core/tessera.ts from server/start.ts and
// cli/commands.ts alone), never the store; the two packages import nothing of
// the repository's src/.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Every module specifier of a TypeScript source: static imports and re-exports (one line or several), `import("…")`, `import x = require("…")`. */
export function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.push(m[1]!);
  return found;
}

/** A specifier as a path from the repository root (`src/core/api.ts`), or the bare package name it names. */
function target(fromFile: string, specifier: string): string {
  if (!specifier.startsWith(".")) return specifier;
  return relative(ROOT, resolve(dirname(join(ROOT, fromFile)), specifier)).split(sep).join("/").replace(/\.(c|m)?js$/, ".$1ts");
}

/** Where the composition root is opened; everything else is handed its API. */
const OPENERS = new Set(["src/server/start.ts", "src/cli/commands.ts"]);

/** What a server or CLI file may import from src/core: the declared API and the two modules beside it; the composition root from its openers only. */
export function serverViolations(file: string, source: string): string[] {
  const doors = new Set(["src/core/api.ts", "src/core/errors.ts", "src/core/config.ts"]);
  if (OPENERS.has(file)) doors.add("src/core/tessera.ts");
  return specifiers(source).flatMap((s) => {
    const t = target(file, s);
    if (t.startsWith("src/store/") || t === "kysely") return [`${file} imports the store (${s})`];
    if (t.startsWith("src/core/") && !doors.has(t)) return [`${file} imports ${t}, not the core's API`];
    return [];
  });
}

/** A package file may import its own folder, its dependencies, and (the client) the verification library; nothing of src/. */
export function packageViolations(file: string, source: string): string[] {
  return specifiers(source).flatMap((s) => {
    const t = target(file, s);
    if (t === "src" || t.startsWith("src/") || t === "tessera" || t.startsWith("tessera/")) return [`${file} imports ${s} (server code)`];
    return [];
  });
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return /\.(c|m)?tsx?$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

describe("the checker", () => {
  test("finds imports written on one line, on several, as types, re-exports and dynamic imports", () => {
    const source = [
      'import { a } from "./one.js";',
      'import type {\n  B,\n  C,\n} from "./two.js";',
      'export { d } from "./three.js";',
      'export * from "./four.js";',
      'const e = await import("./five.js");',
      'import "./six.js";',
      '// import { no } from "./commented.js";',
    ].join("\n");
    assert.deepEqual(specifiers(source).sort(), ["./five.js", "./four.js", "./one.js", "./six.js", "./three.js", "./two.js"]);
  });

  test("refuses a route importing a feature folder, the composition root or the store", () => {
    const file = "src/server/routes/admin/users.ts";
    assert.deepEqual(serverViolations(file, 'import { userView } from "../../../core/admin/admin-users.js";'), [`${file} imports src/core/admin/admin-users.ts, not the core's API`]);
    assert.equal(serverViolations(file, 'import type {\n  CoreParts } from "../../../core/tessera.js";').length, 1);
    assert.equal(serverViolations(file, 'import type { Store } from "../../../store/index.js";').length, 1);
    assert.equal(serverViolations(file, 'const m = await import("../../../core/crypto-utils.js");').length, 1);
    assert.deepEqual(serverViolations(file, 'import type { Tessera } from "../../../core/api.js";\nimport { TesseraError } from "../../../core/errors.js";'), []);
    assert.deepEqual(serverViolations("src/server/start.ts", 'import { createTessera } from "../core/tessera.js";'), []);
  });

  test("refuses a package importing the server's sources", () => {
    assert.equal(packageViolations("packages/verify/src/lib/x.ts", 'import { a } from "../../../../src/core/errors.js";').length, 1);
    assert.equal(packageViolations("packages/client/src/index.ts", 'export { b } from "tessera/server";').length, 1);
    assert.deepEqual(packageViolations("packages/client/src/index.ts", 'import type { AccessTokenClaims } from "@tessera/verify";\nimport { c } from "./c.js";'), []);
  });
});

describe("the tree", () => {
  test("src/server reaches the core only through core/api.ts (and errors.ts, config.ts; tessera.ts in start.ts)", () => {
    const files = sources("src/server");
    assert.ok(files.length > 50, `found ${files.length} server files`);
    assert.deepEqual(files.flatMap((f) => serverViolations(f, readFileSync(join(ROOT, f), "utf8"))), []);
  });

  test("src/cli reaches the core only through core/api.ts (and errors.ts, config.ts; tessera.ts in commands.ts)", () => {
    const files = sources("src/cli");
    assert.ok(files.length > 5, `found ${files.length} CLI files`);
    assert.deepEqual(files.flatMap((f) => serverViolations(f, readFileSync(join(ROOT, f), "utf8"))), []);
  });

  test("packages/verify and packages/client import nothing from src/", () => {
    const files = [...sources("packages/verify/src"), ...sources("packages/client/src")];
    assert.ok(files.length > 5, `found ${files.length} package files`);
    assert.deepEqual(files.flatMap((f) => packageViolations(f, readFileSync(join(ROOT, f), "utf8"))), []);
  });
});
