// A node:test reporter that counts tests (suites excluded, as node's own
// summary does) and writes one JSON line at the end: scripts/run-tests.js adds
// the counts of its runs (SQLite, PostgreSQL) into one closing summary.
export default async function* counts(source) {
  const n = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const data = event.data;
    if (data.details?.type === "suite") continue;
    n.tests++;
    if (data.todo !== undefined && data.todo !== false) n.todo++;
    else if (data.skip !== undefined && data.skip !== false) n.skipped++;
    else if (event.type === "test:pass") n.pass++;
    else if (data.details?.error?.failureType === "cancelledByParent") n.cancelled++;
    else n.fail++;
  }
  yield `${JSON.stringify(n)}\n`;
}
