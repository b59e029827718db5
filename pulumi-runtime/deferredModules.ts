// Stand-ins for modules a dependency requires at load but uses only in features we never call:
// the require.cache entry is filled with an object that loads the real module on first use, so
// nothing changes for code that does use it. No file under node_modules is touched. Used by the
// program (pulumi-runtime/deferredSdkModules.ts) and the provider server, each before the dependency loads.

import { Module } from "module";

/**
 * What the requiring module sees: its `__importStar`/`__importDefault` keep an `__esModule`
 * object as it is, so the stand-in says it is one, and answers `default` as those helpers would
 * have for the real module. Only for modules read through such helpers or by property: a module
 * that is itself called as a function would not work through it.
 */
function standIn(load: () => Record<string | symbol, unknown>): object {
  const value = (key: string | symbol): unknown => {
    const real = load();
    return key === "default" && !real.__esModule ? real : real[key];
  };
  return new Proxy(
    {},
    {
      get: (_target, key) => (key === "__esModule" ? true : value(key)),
      has: (_target, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_target, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

/** Defers one resolved module file; false when it is already loaded. */
export function deferModule(file: string): boolean {
  if (require.cache[file]) return false;
  let real: Record<string | symbol, unknown> | undefined;
  const entry = new Module(file);
  entry.filename = file;
  entry.loaded = true;
  entry.exports = standIn(() => {
    if (!real) {
      delete require.cache[file];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      real = require(file) as Record<string | symbol, unknown>;
    }
    return real;
  });
  require.cache[file] = entry;
  return true;
}

/** Defers each request as a module in `fromDir` would resolve it; returns the files deferred. */
export function deferModules(requests: string[], fromDir: string): string[] {
  const deferred: string[] = [];
  for (const request of requests) {
    let file: string;
    try {
      file = require.resolve(request, { paths: [fromDir] });
    } catch {
      continue; // not installed there: nothing to defer
    }
    if (deferModule(file)) deferred.push(file);
  }
  return deferred;
}

/**
 * zod's message translations, every language at once (about 0.05 s), which zod's index requires
 * at load; only its default English, a module of its own, is used here.
 */
export const ZOD_LOCALES = "zod/v4/locales";
