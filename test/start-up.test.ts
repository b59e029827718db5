// What the program and the provider server do to start faster (issue 22.2; DECISIONS.md, "A no-op
// preview against the floor"): the SDK's promise traces unmapped, everything else mapped as
// before; the handlers' modules loaded ahead of the first call. In child processes: jest has its
// own module registry and its own Error.prepareStackTrace.

import { execFileSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

function run(script: string, env: NodeJS.ProcessEnv = {}): Record<string, unknown> {
  const out = execFileSync(process.execPath, ["-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>;
}

// A stand-in for source-map-support's formatter (which the SDK's runner installs): it marks what it formats.
const TRACES = `
  Error.prepareStackTrace = (error, stack) => "MAPPED " + stack.length;
  const installed = require("./dist/pulumi-runtime/leakStacks.js").unmappedPromiseTraces();
  function debuggablePromise() { return new Error().stack; }
  function somethingElse() { return new Error("boom").stack; }
  console.log(JSON.stringify({ installed, promise: debuggablePromise(), other: somethingElse() }));
`;

test("debuggablePromise's traces are formatted unmapped, every other trace by the installed formatter", () => {
  const result = run(TRACES, { PULUMI_DEBUG_PROMISE_LEAKS: "" });
  expect(result.installed).toBe(true);
  expect(result.promise).toMatch(/^Error\n {4}at debuggablePromise \(.*\[eval\]:\d+:\d+\)/);
  expect(result.other).toMatch(/^MAPPED \d+$/);
});

test("with PULUMI_DEBUG_PROMISE_LEAKS set, every trace is mapped as before", () => {
  const result = run(TRACES, { PULUMI_DEBUG_PROMISE_LEAKS: "true" });
  expect(result.installed).toBe(false);
  expect(result.promise).toMatch(/^MAPPED \d+$/);
});

test("the provider server's warm-up loads the handlers' dependencies and modules, in order", () => {
  const result = run(`
    const { warmHandlers } = require("./dist/pulumi-runtime/providerServer.js");
    const before = Object.keys(require.cache).filter((f) => f.includes("/dist/provider/")).length;
    warmHandlers().then((loaded) => {
      const handlers = Object.keys(require.cache).filter((f) => /dist\\/provider\\/[a-zA-Z]+\\.js$/.test(f));
      console.log(JSON.stringify({ before, loaded, handlers: handlers.map((f) => require("path").basename(f)) }));
    });
  `);
  expect(result.before).toBe(0);
  expect(result.loaded).toEqual([
    "zod",
    "axios",
    "securityRole",
    "apiMember",
    "apiKey",
    "tableSetupAccess",
    "operatorChecklist",
  ]);
  expect(result.handlers).toEqual(
    expect.arrayContaining([
      "securityRole.js",
      "apiMember.js",
      "apiKey.js",
      "tableSetupAccess.js",
      "operatorChecklist.js",
    ]),
  );
});
