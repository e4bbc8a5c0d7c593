// The HTTP suite runs on SQLite and on PostgreSQL (issue #6): every file in
// test/server has a twin here that re-runs it with TESSERA_TEST_STORE=postgres,
// except the few that test SQLite itself, listed with the reason.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

const SQLITE_ONLY: Record<string, string> = {
  "at-rest": "reads the SQLite file and its WAL byte by byte; at-rest.pg.test.ts here is the PostgreSQL counterpart",
};

const dir = (path: string) => new URL(`../${path}/`, import.meta.url);
const names = (path: string, suffix: string) => readdirSync(dir(path)).filter((f) => f.endsWith(suffix)).map((f) => f.slice(0, -suffix.length));

test("every test/server file has a PostgreSQL twin in test/server-pg (or a reason not to)", () => {
  // Files named after another service (*.browser.test.ts) test that service, not the store.
  const http = names("server", ".test.ts").filter((n) => !/\.(browser|redis|pg)$/.test(n));
  const missing = http.filter((n) => !(n in SQLITE_ONLY) && !names("server-pg", ".pg.test.ts").includes(n));
  assert.deepEqual(missing, [], `add test/server-pg/<name>.pg.test.ts (copy any twin) for: ${missing.join(", ")}`);
});

test("each twin sets the PostgreSQL store before importing its SQLite file", () => {
  for (const name of names("server-pg", ".pg.test.ts")) {
    if (name in SQLITE_ONLY) continue;
    const source = readFileSync(new URL(`${name}.pg.test.ts`, dir("server-pg")), "utf8");
    const setAt = source.indexOf('process.env.TESSERA_TEST_STORE = "postgres"');
    const importAt = source.indexOf(`await import("../server/${name}.test.js")`);
    assert.ok(setAt >= 0 && importAt > setAt, `${name}.pg.test.ts must set TESSERA_TEST_STORE, then import ../server/${name}.test.js`);
  }
});
