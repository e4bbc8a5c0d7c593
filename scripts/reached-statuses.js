// Documented ⊆ reached: every status the OpenAPI document lists for an
// operation was answered by that operation somewhere in the suite. Each test
// server appends one JSON line to the log (test/helpers/documented-statuses.ts):
// what it answered and what its document lists. A documented status that no
// test reached is either a test to write or a status the route cannot answer
// (then it comes out of the document).
import { readFileSync } from "node:fs";

/**
 * Statuses documented on purpose although no test answers them, with why.
 * Kept as small as possible: everything else is reached by a test.
 */
export const UNREACHED_ON_PURPOSE = {
  500: "server_error: an unexpected failure, answered by the error handler for any route (test/server/bad-input.test.ts checks its shape once); no route has a way to fail on purpose",
};

/** The documented statuses no server answered, as `METHOD /path NNN`, sorted. */
export function unreached(logFile) {
  const documented = new Set();
  const answered = new Set();
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (!line) continue;
    const entry = JSON.parse(line);
    for (const d of entry.documented) documented.add(d);
    for (const a of entry.answered) answered.add(a);
  }
  return [...documented].filter((d) => !answered.has(d) && !Object.hasOwn(UNREACHED_ON_PURPOSE, d.split(" ")[2])).sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const missing = unreached(process.argv[2]);
  console.log(missing.length === 0 ? "every documented status was answered" : `${missing.length} documented statuses no test answered:\n  ${missing.join("\n  ")}`);
}
