import type * as pulumi from "@pulumi/pulumi";

type Handlers = Required<pulumi.dynamic.ResourceProvider>;

/**
 * The provider object a resource class hands to Pulumi. Pulumi serializes it into the state
 * (`__provider`), so it is deliberately thin: it captures only the handler module's name and
 * loads `dist/provider/<handlerModule>.js` when a method runs. Hence no credential, client or
 * schema is ever captured, and refresh and destroy run the handlers installed now, not the
 * code stored at the last update.
 */
export function runtimeProvider(handlerModule: string): pulumi.dynamic.ResourceProvider {
  const load = (): Handlers => {
    // require() inside the function, not imports: the serialized closure must capture no module
    // object, and the handler module's path is only known in the provider process.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const path = require("path") as typeof import("path");
    const fs = require("fs") as typeof import("fs");
    // The provider process runs in the program's directory: find this package from there,
    // either as the program itself or as a dependency of it.
    const packageName = "connectwise-iac";
    let dir: string = process.cwd();
    for (;;) {
      const manifest = path.join(dir, "package.json");
      if (
        fs.existsSync(manifest) &&
        (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: unknown }).name === packageName
      )
        break;
      const dependency = path.join(dir, "node_modules", packageName);
      if (fs.existsSync(dependency)) {
        dir = dependency;
        break;
      }
      const parent = path.dirname(dir);
      if (parent === dir) throw new Error(`cannot find the ${packageName} package from ${process.cwd()}`);
      dir = parent;
    }
    return (require(path.join(dir, "dist", "provider", `${handlerModule}.js`)) as { provider: Handlers }).provider;
    /* eslint-enable @typescript-eslint/no-require-imports */
  };
  return {
    configure: (req) => load().configure(req),
    check: (olds, news) => load().check(olds, news),
    diff: (id, olds, news) => load().diff(id, olds, news),
    create: (inputs) => load().create(inputs),
    read: (id, props) => load().read(id, props),
    update: (id, olds, news) => load().update(id, olds, news),
    delete: (id, props) => load().delete(id, props),
  };
}
