/**
 * Every export of `tessera/verify` carries TSDoc with an @example (STYLE.md),
 * checked with the TypeScript compiler on the entry's real exports.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

it("every export of tessera/verify has TSDoc with an @example", () => {
  const entry = fileURLToPath(new URL("../../packages/verify/src/index.ts", import.meta.url));
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  assert.ok(source);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  assert.ok(moduleSymbol);
  const missing: string[] = [];
  const exports = checker.getExportsOfModule(moduleSymbol);
  for (const exported of exports) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const documented = (symbol.declarations ?? []).some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === "example"));
    if (!documented) missing.push(exported.name);
  }
  assert.ok(exports.length >= 25, `only ${exports.length} exports found`);
  assert.deepEqual(missing, []);
});
