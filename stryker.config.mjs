// Mutation testing (docs/testing.md): `npm run mutate -- <target>` breaks the
// target's rules one mutant at a time and runs only the test files that cover
// them, through Stryker's command runner, so one run fits in minutes on two
// cores. Each target: the code to mutate (file:line ranges) and its tests.
const targets = {
  // The rotation's compare-and-set in the store and the grace/reuse judgement in the core.
  refresh: {
    mutate: ["src/core/sessions.ts:175-190", "src/store/kysely-store.ts:187-195", "src/store/kysely-store.ts:292-296"],
    tests: ["test/store/conformance.test.ts", "test/server/single-use.test.ts"],
  },
  csrf: {
    mutate: ["src/server/shared/cookie-auth.ts:29-29", "src/server/shared/cookie-auth.ts:37-43", "src/server/shared/origins.ts:9-22"],
    tests: ["test/server/csrf-methods.test.ts"],
  },
  tokens: {
    mutate: ["src/verify/lib/check-claims.ts:26-75", "src/core/tokens/ring-key-source.ts:35-61"],
    tests: ["test/core/token-fuzz.test.ts"],
  },
  passwords: {
    mutate: ["src/core/passwords.ts:70-73", "src/core/passwords.ts:114-121", "src/core/users.ts:68-83"],
    tests: ["test/core/dummy-hash.test.ts"],
  },
};

const name = process.env.TESSERA_MUTATE ?? "";
const target = targets[name];
if (!target) throw new Error(`TESSERA_MUTATE must name a target: ${Object.keys(targets).join(", ")} (npm run mutate -- <target>)`);

export default {
  testRunner: "command",
  commandRunner: { command: `node --import tsx --test --test-concurrency=1 --test-reporter=dot ${target.tests.join(" ")}` },
  mutate: target.mutate,
  coverageAnalysis: "off",
  concurrency: 2, // two mutants at once, each one test command: both cores, no more
  timeoutMS: 120_000,
  timeoutFactor: 2,
  disableTypeChecks: true,
  ignorePatterns: ["/bench", "/web/dist", "/dist", "/docs", "/data", "/coverage"],
  reporters: ["clear-text", "progress-append-only", "json"],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
