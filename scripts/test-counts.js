// A node:test reporter that counts tests (suites excluded, as node's own
// summary does) and writes one JSON line at the end: scripts/run-tests.js adds
// the counts of its runs (SQLite, PostgreSQL) into one closing summary. The
// line also names the first failures (file, test, the error's first lines),
// so that a failure deep in a long log is repeated in its last lines.
const MAX_FAILURES = 20;
const MESSAGE_CHARS = 800;

function describe(error) {
  const cause = error?.cause ?? error;
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS)}…` : text;
}

export default async function* counts(source) {
  const n = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0, failures: [] };
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const data = event.data;
    if (data.details?.type === "suite") continue;
    n.tests++;
    if (data.todo !== undefined && data.todo !== false) n.todo++;
    else if (data.skip !== undefined && data.skip !== false) n.skipped++;
    else if (event.type === "test:pass") n.pass++;
    else if (data.details?.error?.failureType === "cancelledByParent") n.cancelled++;
    else {
      n.fail++;
      if (n.failures.length < MAX_FAILURES) n.failures.push({ file: data.file ?? "?", test: data.name, error: describe(data.details?.error) });
    }
  }
  yield `${JSON.stringify(n)}\n`;
}
