// docs/events.md lists exactly the events of AuthEventMap (src/core/events.ts), both ways.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

test("docs/events.md has one row per core event, and no row for an event that is gone", () => {
  const source = read("src/core/events.ts");
  const map = source.slice(source.indexOf("export interface AuthEventMap"), source.indexOf("export class AuthEvents"));
  const declared = [...map.matchAll(/^\s+"([a-z-]+)": \[/gm)].map((m) => m[1]!).sort();
  assert.ok(declared.length >= 5, "control: the event map was read");
  const doc = read("docs/events.md");
  const section = doc.slice(doc.indexOf("## Core events"), doc.indexOf("## Cluster messages"));
  const documented = [...section.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!).sort();
  assert.deepEqual(documented, declared);
});
