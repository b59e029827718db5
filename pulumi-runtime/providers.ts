// Turns the `__provider` text a dynamic resource carries into a configured provider object.
//
// Our resources' text is runtimeProviderText(handlerModule) (pulumi-runtime/runtimeProvider.ts), or, in
// state written before it, the serialized closure of the runtimeProvider(handlerModule) function
// it replaced; both only find this package from the process's directory and require
// dist/provider/<handlerModule>.js. Recognised, either is short-circuited: the same file is
// required directly, with the same search, and nothing is evaluated. Any other text (a program's
// own dynamic resource) is evaluated as a CommonJS module whose require() resolves from the
// process's directory, as the SDK server does, and its `handler()` export returns the provider.

import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { findPackageRoot, PACKAGE_NAME } from "./packageRoot";
import { handlerModuleOfText } from "./runtimeProvider";

export type Provider = pulumi.dynamic.ResourceProvider;

/**
 * The handler module our `__provider` text loads, or undefined for any other text. Besides
 * runtimeProviderText's exact text, the closure earlier versions serialized: the serializer
 * writes captured variables as `with({ name: value, ... })`, so the module name is
 * `handlerModule`'s captured value, and two further literals tie the text to that closure:
 * either its explicit marker (`"connectwise-iac:runtimeProvider"`), or the package name it
 * searches for together with the dist/provider path it loads from.
 */
export function handlerModuleOf(text: string): string | undefined {
  const current = handlerModuleOfText(text);
  if (current) return current;
  const marked =
    text.includes(`"${PACKAGE_NAME}:runtimeProvider"`) ||
    (text.includes(`const packageName = "${PACKAGE_NAME}";`) && text.includes(`"dist", "provider"`));
  if (!marked) return undefined;
  const names = new Set([...text.matchAll(/\bwith\(\{ handlerModule: "([A-Za-z][A-Za-z0-9_]*)",/g)].map((m) => m[1]));
  return names.size === 1 ? [...names][0] : undefined;
}

let packageRoot: string | undefined;

/** This package as runtimeProvider finds it: the program itself or its dependency, from the cwd up. */
function programPackageRoot(): string | undefined {
  return (packageRoot ??= findPackageRoot(process.cwd()));
}

/** dist/provider/<name>.js's `provider`, or undefined (then the text is evaluated instead). */
function loadHandlerModule(name: string, root = programPackageRoot()): Provider | undefined {
  if (!root) return undefined;
  const file = path.join(root, "dist", "provider", `${name}.js`);
  if (!fs.existsSync(file)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = (require(file) as { provider?: Provider }).provider;
  return loaded && typeof loaded === "object" ? loaded : undefined;
}

/** The handler modules of this package's resources (resources/*.ts), the first one the one a run loads first. */
export const HANDLER_MODULES = ["securityRole", "apiMember", "apiKey", "tableSetupAccess", "operatorChecklist"];

/**
 * Loads the handler module `name` ahead of the call that needs it (its require is then a cache
 * hit); false when this package or the module is not found or does not load (the call that needs
 * it reports that, as before).
 */
export function preloadHandlerModule(name: string): boolean {
  try {
    return loadHandlerModule(name) !== undefined;
  } catch {
    return false;
  }
}

/** The handlers' largest dependencies, loaded one at a time before them (as this package resolves them). */
export const HANDLER_DEPENDENCIES = ["zod", "axios"];

/** Loads one of HANDLER_DEPENDENCIES as the handler modules will; false when it is not found. */
export function preloadDependency(request: string): boolean {
  const root = programPackageRoot();
  if (!root) return false;
  try {
    createRequire(path.join(root, "package.json"))(request);
    return true;
  } catch {
    return false;
  }
}

/** Evaluates serialized closure text as a module in the process's directory; returns its provider. */
export function evaluateProvider(text: string): Provider {
  const filename = path.join(process.cwd(), "__dynamic_provider__.js");
  const module = { exports: {} as { handler?: () => Provider } };
  // The serializer's output is sloppy-mode script text (it uses `with`): compile it as such.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const body = new Function("exports", "require", "module", "__filename", "__dirname", text) as (
    ...args: unknown[]
  ) => void;
  body(module.exports, createRequire(filename), module, filename, path.dirname(filename));
  if (typeof module.exports.handler !== "function") throw new Error("the __provider module has no handler export");
  return module.exports.handler();
}

export interface ResolvedProvider {
  provider: Provider;
  /** Our handler module's name when the closure was short-circuited. */
  handlerModule?: string;
}

/**
 * Provider objects by `__provider` text, each configured once before first use (with the
 * Configure call's values) however many calls ask for it at the same time.
 */
export class ProviderCache {
  private readonly byText = new Map<string, Promise<ResolvedProvider>>();
  private readonly configured = new WeakMap<Provider, Promise<void>>();

  /** `root`: this package's folder when known (else found from the process's directory, as runtimeProvider does). */
  constructor(
    private readonly config: () => pulumi.dynamic.Config,
    private readonly root?: string,
  ) {}

  get(text: unknown): Promise<ResolvedProvider> {
    if (typeof text !== "string") return Promise.reject(new Error("the resource has no __provider text"));
    let entry = this.byText.get(text);
    if (!entry) {
      entry = this.resolve(text);
      this.byText.set(text, entry);
      // A failed configure is retried by the next call, as it may succeed once config is fixed.
      entry.catch(() => this.byText.delete(text));
    }
    return entry;
  }

  private async resolve(text: string): Promise<ResolvedProvider> {
    const handlerModule = handlerModuleOf(text);
    const direct = handlerModule ? loadHandlerModule(handlerModule, this.root) : undefined;
    const resolved: ResolvedProvider = direct
      ? { provider: direct, handlerModule }
      : { provider: evaluateProvider(text) };
    await this.configure(resolved.provider);
    return resolved;
  }

  private configure(provider: Provider): Promise<void> {
    if (!provider.configure) return Promise.resolve();
    let done = this.configured.get(provider);
    if (!done) {
      done = provider.configure({ config: this.config() });
      this.configured.set(provider, done);
      done.catch(() => this.configured.delete(provider));
    }
    return done;
  }
}
