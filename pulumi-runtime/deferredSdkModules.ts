// Loaded first by the program (index.ts), before anything requires @pulumi/pulumi or zod. The
// SDK's index requires, at once, modules for features this program never calls:
// - runtime/closure/codePaths requires @npmcli/arborist (hundreds of modules: 0.25 to 0.45 s at
//   load 5 on a 2-core machine, up to 1 s at load 12), fdir and normalize-package-data (about
//   0.05 s) for computeCodePaths, the packaging of function serialization's dependencies;
// - runtime/closure/parseFunction requires the SDK's typescript-shim, that is TypeScript's
//   compiler (0.3 to 0.45 s), to parse functions it serializes; our resources serialize none
//   (pulumi-runtime/runtimeProvider.ts);
// - the index requires ./automation, the Automation API (about 0.08 s), which runs the CLI.
// They, and zod's translations (pulumi-runtime/deferredModules.ts), get stand-ins that load the real
// module on first use.

import * as path from "path";
import { deferModules, ZOD_LOCALES } from "./deferredModules";

/** As @pulumi/pulumi resolves them: its dependencies, and two of its own files. */
const SDK_DEFERRED = ["@npmcli/arborist", "fdir", "normalize-package-data", "./typescript-shim", "./automation"];

/** Defers the modules above; returns the files deferred. */
function deferSdkModules(): string[] {
  const deferred = deferModules([ZOD_LOCALES], __dirname);
  try {
    const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    return [...deferred, ...deferModules(SDK_DEFERRED, sdk)];
  } catch {
    return deferred;
  }
}

/** The files deferred when the program started. */
export const deferredFiles = deferSdkModules();
