// A node:test reporter that counts tests (suites excluded, as node's own
// summary does) and writes one JSON line at the end: scripts/run-tests.js adds
// the counts of its runs (SQLite, PostgreSQL) into one closing summary. The
// line also names the first failures (file, test, the error's first lines),
// so that a failure deep in a long log is repeated in its last lines.
// It also keeps the counts per file, and the files of which at least one test
// was queued: scripts/run-tests.js runs a file it had to kill once more (and
// counts that run instead) only if it hung before that, while loading.
import { resolve } from "node:path";

const MAX_FAILURES = 20;
const MESSAGE_CHARS = 800;

function describe(error) {
  const cause = error?.cause ?? error;
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS)}…` : text;
}

const QUEUED = new Set(["test:enqueue", "test:dequeue", "test:start", "test:pass", "test:fail"]);
const KEYS = ["tests", "pass", "fail", "cancelled", "skipped", "todo"];
const zero = () => Object.fromEntries(KEYS.map((key) => [key, 0]));

export default async function* counts(source) {
  const n = { ...zero(), failures: [], files: {} };
  const reachedATest = new Set();
  for await (const event of source) {
    // A test of the file, not the file's own entry (named by its path: absolute before Node 22, relative after).
    if (QUEUED.has(event.type) && event.data.file !== undefined && event.data.name !== undefined && resolve(event.data.name) !== event.data.file) {
      reachedATest.add(event.data.file);
    }
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const data = event.data;
    if (data.details?.type === "suite") continue;
    const file = data.file ?? "?";
    const kind = data.todo !== undefined && data.todo !== false ? "todo"
      : data.skip !== undefined && data.skip !== false ? "skipped"
        : event.type === "test:pass" ? "pass"
          : data.details?.error?.failureType === "cancelledByParent" ? "cancelled"
            : "fail";
    const perFile = (n.files[file] ??= zero());
    for (const counter of [n, perFile]) { counter.tests++; counter[kind]++; }
    if (kind === "fail" && n.failures.length < MAX_FAILURES) n.failures.push({ file, test: data.name, error: describe(data.details?.error) });
  }
  n.reachedATest = [...reachedATest];
  yield `${JSON.stringify(n)}\n`;
}
