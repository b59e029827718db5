// Two tiers, one jest run (`npm test`, every suite):
//   unit - the unit, handler, sandbox, contract and engine suites: loopback servers and child
//          Node processes, no Pulumi CLI. `npm run test:unit` runs this tier alone, in parallel.
//   cli  - the suites that drive a real CLI (Pulumi through the Automation API or a compiled
//          command of ours that runs it, actionlint, Chromium, moto): `npm run test:cli`.
// CLI_SUITES is the one list that decides; a new suite belongs to the unit tier unless named here.

const CLI_SUITES = [
  "access-audit",
  "discover",
  "doctor",
  "e2e-adoption",
  "e2e-fleet-guardrails",
  "e2e-guardrails",
  "e2e-loop",
  "e2e-recovery",
  "e2e-smoke",
  "e2e-tenant",
  "fleet",
  "help",
  "integrations-cli",
  "keys",
  "library",
  "new-client",
  "reviewer",
  "reliability",
  "s3-backend",
  "user-mistakes",
  "verbose-logs",
  "walkthrough",
  "workflows",
];

const tsJest = [
  "ts-jest",
  {
    tsconfig: {
      types: ["node", "jest"],
      esModuleInterop: true,
      strict: true,
      target: "ES2022",
      module: "commonjs",
      resolveJsonModule: true,
      skipLibCheck: true,
      // Transpile only: type-checking in each worker costs more than the tests; `npm test` and
      // `npm run test:unit` type-check the suites once instead (tsc -p test/tsconfig.json).
      isolatedModules: true,
    },
  },
];

const cliPaths = CLI_SUITES.map((name) => `<rootDir>/test/${name}.test.ts`);
const base = {
  preset: "ts-jest",
  testEnvironment: "node",
  transform: { "^.+\\.ts$": tsJest },
  // Each worker's own create journal (CW_IAC_JOURNAL_DIR), inherited by the CLIs and providers it starts.
  setupFiles: ["<rootDir>/test/journal-dir.ts"],
};

/** @type {import('jest').Config} */
module.exports = {
  // One worker more than this machine's 2 cores: jest's default (cores - 1) would run every suite
  // one after another, and a worker spends minutes waiting on idle processes (reliability waits up
  // to 5.5 min for the language host a kill -9 leaves), so a third keeps both cores busy meanwhile.
  // Measured on a clean clone: jest 518 s with 2 workers, 428 s with 3.
  maxWorkers: 3,
  // The real-CLI tier first, the short unit suites last (test/sequencer.js).
  testSequencer: "<rootDir>/test/sequencer.js",
  testTimeout: 60000,
  projects: [
    {
      ...base,
      displayName: "unit",
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", ...CLI_SUITES.map((name) => `/test/${name}\\.test\\.ts$`)],
    },
    {
      ...base,
      displayName: "cli",
      testMatch: cliPaths,
      // A folder for the fixtures the tier's suites share (test/e2e/tenantFixture.ts).
      globalSetup: "<rootDir>/test/e2e/globalSetup.ts",
      globalTeardown: "<rootDir>/test/e2e/globalTeardown.ts",
    },
  ],
};
