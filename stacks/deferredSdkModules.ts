// Loaded first by the program (index.ts), before anything requires @pulumi/pulumi. The SDK's
// runtime index requires runtime/closure/codePaths, which requires @npmcli/arborist at once
// (hundreds of modules: 0.25 to 0.45 s at load 5 on a 2-core machine, up to 1 s at load 12) for
// computeCodePaths, the packaging of function serialization's dependencies, which this program
// never calls. Its module entry is filled with a stand-in that loads the real module on first
// use, so nothing changes for a program that does use it. No file under node_modules is touched.

import { Module } from "module";
import * as path from "path";

/** Defers @npmcli/arborist as @pulumi/pulumi resolves it; false when it is already loaded or not found. */
export function deferArborist(): boolean {
  let file: string;
  try {
    const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    file = require.resolve("@npmcli/arborist", { paths: [sdk] });
  } catch {
    return false;
  }
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
  // module and reads `Arborist` from it only when computeCodePaths runs.
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

deferArborist();
