// The failures a suite run recorded (scripts/test-counts.js), printed again at
// the end of a long log: scripts/run-tests.js after its runs, and
// scripts/sum-test-runs.js after every Node version's.
export function printFailures(list) {
  if (list.length === 0) return;
  console.log(`\nfailed (first ${list.length}):`);
  for (const f of list) console.log(`- [${f.run}] ${f.file}: ${f.test}\n    ${f.error.replaceAll("\n", "\n    ")}`);
}
