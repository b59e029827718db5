// Loaded first by the program (index.ts), before anything requires @pulumi/pulumi. The SDK's
// index requires, at once, modules for features this program never calls:
// - runtime/closure/codePaths requires @npmcli/arborist (hundreds of modules: 0.25 to 0.45 s at
//   load 5 on a 2-core machine, up to 1 s at load 12) for computeCodePaths, the packaging of
//   function serialization's dependencies;
// - runtime/closure/parseFunction requires the SDK's typescript-shim, that is TypeScript's
//   compiler (0.3 to 0.45 s), to parse functions it serializes; our resources serialize none
//   (resources/runtimeProvider.ts);
// - the index requires ./automation, the Automation API (about 0.08 s), which runs the CLI.
// Their module entries are filled with stand-ins that load the real module on first use, so
// nothing changes for a program that does use them. No file under node_modules is touched.

import { Module } from "module";
import * as path from "path";

/** As @pulumi/pulumi resolves them: a dependency of it, and two of its own files. */
const DEFERRED = ["@npmcli/arborist", "./typescript-shim", "./automation"];

/** Defers one module; false when it is already loaded or cannot be resolved. */
export function deferModule(file: string): boolean {
  if (require.cache[file]) return false;
  let real: Record<string | symbol, unknown> | undefined;
  const load = (): Record<string | symbol, unknown> => {
    if (!real) {
      delete require.cache[file];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      real = require(file) as Record<string | symbol, unknown>;
    }
    return real;
  };
  // `__esModule` answers without loading: the SDK's __importStar then keeps this object as the
  // module, and its property reads (ts.createSourceFile, Arborist, LocalWorkspace) happen only
  // when the feature runs.
  const standIn = new Proxy(
    {},
    {
      get: (_target, key) => (key === "__esModule" ? true : load()[key]),
      has: (_target, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_target, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
  const entry = new Module(file);
  entry.filename = file;
  entry.loaded = true;
  entry.exports = standIn;
  require.cache[file] = entry;
  return true;
}

/** Defers the modules above; returns the files deferred. */
export function deferSdkModules(): string[] {
  let sdk: string;
  try {
    sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  } catch {
    return [];
  }
  const deferred: string[] = [];
  for (const request of DEFERRED) {
    let file: string;
    try {
      file = require.resolve(request, { paths: [sdk] });
    } catch {
      continue;
    }
    if (deferModule(file)) deferred.push(file);
  }
  return deferred;
}

deferSdkModules();
