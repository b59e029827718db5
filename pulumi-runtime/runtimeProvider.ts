// The `__provider` text our dynamic resources carry. Plain strings, no Pulumi import: the provider
// server recognises the text with the same function that writes it.

const PACKAGE_NAME = "connectwise-iac";
const MARKER = `// ${PACKAGE_NAME}:runtimeProvider `;

/**
 * The `__provider` text of a resource whose handlers are dist/provider/<handlerModule>.js: a
 * CommonJS module whose `handler()` finds this package from the process's directory (the
 * program's: as the program itself or as its dependency) and returns that module's provider.
 * Pulumi stores it with every resource and any dynamic-provider server can run it, so refresh and
 * destroy run the handlers installed now, not code stored at the last update. It holds no
 * credential, client or schema. Written here rather than serialized from a closure: the SDK's
 * closure serializer loads TypeScript's compiler in the program (0.3 to 0.4 s per run).
 */
export function runtimeProviderText(handlerModule: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(handlerModule)) throw new Error(`bad handler module name ${handlerModule}`);
  const file = JSON.stringify(`${handlerModule}.js`);
  return `${MARKER}${handlerModule}
exports.handler = function () {
  const path = require("path");
  const fs = require("fs");
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    let root;
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === "${PACKAGE_NAME}") root = dir;
    else if (fs.existsSync(path.join(dir, "node_modules", "${PACKAGE_NAME}"))) root = path.join(dir, "node_modules", "${PACKAGE_NAME}");
    if (root) return require(path.join(root, "dist", "provider", ${file})).provider;
    if (path.dirname(dir) === dir) throw new Error("cannot find the ${PACKAGE_NAME} package from " + process.cwd());
  }
};
`;
}

/** The handler module when `text` is exactly runtimeProviderText(module), else undefined. */
export function handlerModuleOfText(text: string): string | undefined {
  if (!text.startsWith(MARKER)) return undefined;
  const name = text.slice(MARKER.length, text.indexOf("\n"));
  try {
    return runtimeProviderText(name) === text ? name : undefined;
  } catch {
    return undefined;
  }
}
