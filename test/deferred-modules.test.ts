// The modules the program defers at start (pulumi-runtime/deferredSdkModules.ts, pulumi-runtime/deferredModules.ts)
// are not loaded by loading @pulumi/pulumi and zod, and each feature that needs one still works.
// In a child process: jest has its own module registry, the stand-ins live in Node's.

import { execFileSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

test("the program loads none of them at start, and each loads on first use", () => {
  const script = `
    const { deferredFiles } = require("./dist/pulumi-runtime/deferredSdkModules.js");
    const standIns = new Set(deferredFiles.map((f) => require.cache[f].exports));
    const real = (re) =>
      Object.keys(require.cache).filter((f) => re.test(f) && !standIns.has(require.cache[f].exports)).length;
    const count = () => ({
      typescript: real(/node_modules\\/typescript\\//),
      arborist: real(/@npmcli\\/arborist\\/lib\\//),
      fdir: real(/node_modules\\/fdir\\//),
      normalize: real(/normalize-package-data\\//),
      automation: real(/@pulumi\\/pulumi\\/automation\\//),
      locales: real(/zod\\/v4\\/locales\\/(?!en\\.)/),
    });
    const pulumi = require("@pulumi/pulumi");
    const z = require("zod");
    const atStart = count();
    (async () => {
      const serialized = (await pulumi.runtime.serializeFunction(() => 42)).text.includes("42");
      const codePaths = (await pulumi.runtime.computeCodePaths()).size > 0;
      const automation = typeof pulumi.automation.LocalWorkspace.create;
      // codePaths calls fdir for npm workspaces only (this project has none): as it would.
      const sdk = require("path").dirname(require.resolve("@pulumi/pulumi/package.json"));
      const fdir = typeof new (require(require.resolve("fdir", { paths: [sdk] })).fdir)().crawl;
      const french = z.string().safeParse(3, { error: z.locales.fr().localeError }).error.issues[0].message;
      const english = z.string().safeParse(3).error.issues[0].message;
      console.log(JSON.stringify({ deferred: deferredFiles.length, atStart, serialized, codePaths, automation, fdir, french, english, afterUse: count() }));
    })().catch((e) => console.log(JSON.stringify({ error: String((e && e.stack) || e) })));
  `;
  const out = execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  const result = JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>;
  expect(result).toEqual({
    deferred: 6,
    atStart: { typescript: 0, arborist: 0, fdir: 0, normalize: 0, automation: 0, locales: 0 },
    serialized: true,
    codePaths: true,
    automation: "function",
    fdir: "function",
    french: expect.stringMatching(/^Entrée invalide/),
    english: "Invalid input: expected string, received number",
    afterUse: {
      typescript: expect.any(Number),
      arborist: expect.any(Number),
      fdir: expect.any(Number),
      normalize: expect.any(Number),
      automation: expect.any(Number),
      locales: expect.any(Number),
    },
  });
  // Each was loaded for real by its first use.
  for (const n of Object.values(result.afterUse as Record<string, number>)) expect(n).toBeGreaterThan(0);
});
