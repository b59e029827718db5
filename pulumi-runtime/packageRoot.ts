// The one search for this package's root. The `__provider` text (runtimeProvider.ts) carries the
// same search written out, because it runs where no module of ours is loaded yet.
import * as fs from "fs";
import * as path from "path";

export const PACKAGE_NAME = "connectwise-iac";

/**
 * The connectwise-iac package seen from `from` up: a folder whose package.json is named
 * connectwise-iac (this project, or a module of it when `from` is its own __dirname), or a
 * node_modules/connectwise-iac beside a program that depends on it. Undefined when none is.
 */
export function findPackageRoot(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && manifestName(manifest) === PACKAGE_NAME) return dir;
    const dependency = path.join(dir, "node_modules", PACKAGE_NAME);
    if (fs.existsSync(dependency)) return dependency;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** This code's own package root (from pulumi-runtime/ under ts-node or dist/pulumi-runtime/ compiled). */
export function packageRoot(): string {
  const root = findPackageRoot(__dirname);
  if (!root) throw new Error(`cannot find the ${PACKAGE_NAME} package above ${__dirname}`);
  return root;
}

function manifestName(file: string): unknown {
  try {
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}
