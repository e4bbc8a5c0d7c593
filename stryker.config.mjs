// Mutation testing (docs/testing.md): `npm run mutate -- <target>` breaks the
// target's rules one mutant at a time and runs only the test files that cover
// them, through Stryker's command runner, one mutant at a time (the machine is
// shared). Each target: the code to mutate and the tests that check it.
// Incremental reruns see changed code, not changed tests (the command runner
// is one test): after adding tests, rerun with `--force`.
//
// The code is named by anchors, not line numbers, so edits elsewhere in a file
// leave the targets right: `from` is a piece of the first mutated line, and the
// range ends at the line holding `to` (a piece of it, searched from `from` on),
// or, without `to`, at the closing brace of the block `from` opens. When a file
// moves, only its path here changes.
import { readFileSync } from "node:fs";

const targets = {
  // The grace/reuse judgement and the lost compare-and-set in the core; the store's compare-and-set.
  refresh: {
    mutate: [
      { file: "src/core/sessions/refresh.ts", from: "export async function rotateCurrent(" },
      { file: "src/core/sessions/refresh.ts", from: "export function withinGraceWindow(" },
      { file: "src/core/sessions/refresh.ts", from: "export async function judgeSpentToken(" },
      { file: "src/store/sessions/kysely-session-store.ts", from: "async rotateRefreshToken(" },
      { file: "src/store/sessions/kysely-session-store.ts", from: "advanceGeneration: prepared(", to: `.where("revoked_at", "is", null)),` },
    ],
    // The core's steps on a real store, with no server and no password hash (seconds per mutant;
    // the server suites cost a minute or more each), and the store's compare-and-set.
    tests: ["test/core/refresh-rotation.test.ts", "test/store/conformance.test.ts"],
    // Only the rotation, grace and reuse tests (not the conformance suite's revocations and views).
    testNamePattern: "compare-and-set|grace|reuse|refresh",
  },
  // Reserving before the work and settling by the outcome (the Throttle's limits, one Backoff each),
  // the count, window, lease and block rules of the memory counters, and the block lengths.
  // (The Redis counters' rules are Lua, which Stryker does not mutate.)
  throttle: {
    mutate: [
      { file: "src/core/abuse/throttle.ts", from: "function tooMany(", to: "const isOurs" },
      { file: "src/core/abuse/throttle.ts", from: "export class Throttle {" },
      { file: "src/core/abuse/backoff.ts", from: "  async reserve(key: string)" },
      { file: "src/core/abuse/counters.ts", from: "export function blockMs(" },
      { file: "src/core/abuse/counters.ts", from: "leaseMs: number): Promise<ReserveResult> {" },
      { file: "src/core/abuse/counters.ts", from: "outcome: Outcome): Promise<void> {" },
    ],
    // The shared rules on memory and on the Redis at 127.0.0.1:6379 (both a few seconds).
    tests: ["test/core/throttle.test.ts", "test/core/throttle.redis.test.ts"],
  },
  // Which requests need the CSRF token, the token and origin check, the trusted origins.
  csrf: {
    mutate: [
      { file: "src/server/shared/cookie-auth.ts", from: "const SAFE_METHODS", to: "const SAFE_METHODS" },
      { file: "src/server/shared/cookie-auth.ts", from: "if (!SAFE_METHODS.has(", to: "if (!SAFE_METHODS.has(" },
      { file: "src/server/shared/cookie-auth.ts", from: "export function assertCsrf(" },
      { file: "src/server/shared/origins.ts", from: "export function allowedOrigins(" },
      { file: "src/server/shared/origins.ts", from: "function originsOf(" },
      { file: "src/server/shared/origins.ts", from: "export function requestOrigin(" },
    ],
    tests: ["test/server/csrf-methods.test.ts", "test/server/cookie-sessions.test.ts"],
    testNamePattern: "CSRF|csrf",
  },
  // The access-token check (the verification library's claim rules, the key ring as its key source).
  tokens: {
    mutate: [
      { file: "packages/verify/src/lib/check-claims.ts", from: "function checkTime(" },
      { file: "packages/verify/src/lib/check-claims.ts", from: "function checkAudience(" },
      { file: "packages/verify/src/lib/check-claims.ts", from: "export function checkClaims(" },
      { file: "src/core/tokens/ring-key-source.ts", from: "  touch(): void {" },
      { file: "src/core/tokens/ring-key-source.ts", from: "  async get(kid: string)" },
    ],
    // The server's check (cache on, injected clock) and the library's own claim tests (its default 30 s tolerance).
    tests: ["test/core/token-fuzz.test.ts", "test/verify/claims.test.ts"],
  },
  // Password verification, the rehash rule, the dummy hash and the sign-in check.
  passwords: {
    mutate: [
      { file: "src/core/accounts/passwords.ts", from: "async verify(storedHash: string" },
      { file: "src/core/accounts/passwords.ts", from: "async verifyDummy(" },
      { file: "src/core/accounts/passwords.ts", from: "#isWeakerThanPolicy(storedHash: string): boolean {" },
      { file: "src/core/accounts/users.ts", from: "async authenticate(username: string" },
    ],
    tests: ["test/core/dummy-hash.test.ts"],
  },
};

/** `file:first-last` for Stryker, from an anchor (see the top of this file). */
function lineRange({ file, from, to }) {
  const lines = readFileSync(new URL(file, import.meta.url), "utf8").split("\n");
  const first = lines.findIndex((line) => line.includes(from));
  if (first < 0) throw new Error(`stryker.config.mjs: "${from}" not found in ${file}`);
  const indent = lines[first].match(/^ */)[0];
  const last = to === undefined
    ? lines.findIndex((line, i) => i > first && line.startsWith(`${indent}}`))
    : lines.findIndex((line, i) => i >= first && line.includes(to));
  if (last < 0) throw new Error(`stryker.config.mjs: no end for "${from}" in ${file}`);
  return `${file}:${first + 1}-${last + 1}`;
}

const name = process.env.TESSERA_MUTATE ?? "";
const target = targets[name];
if (!target) throw new Error(`TESSERA_MUTATE must name a target: ${Object.keys(targets).join(", ")} (npm run mutate -- <target>)`);
const namePattern = target.testNamePattern ? ` --test-name-pattern="${target.testNamePattern}"` : "";

export default {
  testRunner: "command",
  // sandbox-workspaces.js: a workspace package (packages/verify) resolves to the sandbox's mutated copy.
  commandRunner: { command: `node --import ./scripts/sandbox-workspaces.js --conditions=tessera-source --import tsx --test --test-concurrency=1 --test-reporter=dot${namePattern} ${target.tests.join(" ")}` },
  mutate: target.mutate.map(lineRange),
  coverageAnalysis: "off",
  concurrency: 1, // one mutant at a time: the machine is shared
  incremental: true, // a rerun tests only the mutants whose code or tests changed
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  timeoutMS: 60_000, // on top of the dry run's time: a mutant that hangs (a lost await) ends here
  timeoutFactor: 1.5,
  disableTypeChecks: true,
  ignorePatterns: ["/bench", "/web/dist", "/dist", "/docs", "/data", "/coverage", "/reports", "/test-results", "/.stryker-tmp"],
  reporters: ["clear-text", "progress-append-only", "json"],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  tempDirName: `.stryker-tmp/${name}`, // one folder per target: two targets may run side by side
  cleanTempDir: "always",
};
