// What the calls of one engine operation share: the environment they see (the records file a
// command asked for, the project's name) and the state kept for the operation's length (shared
// reads, each provider object's configured context). The engine starts one provider process per
// operation, so there the process is the operation and this is plain module state. The fleet
// serves many stacks in one process (pulumi-runtime/inProcessProvider.ts, a server per stack),
// so each of its servers runs its calls in a scope of their own: no stack sees another's
// connection, records or reads.
import { AsyncLocalStorage } from "async_hooks";

export interface OperationScope {
  /** The environment of the operation: the provider process's own, or what the fleet set for the stack. */
  readonly env: NodeJS.ProcessEnv;
  readonly state: Map<symbol, unknown>;
}

// On globalThis, so that two copies of this file (the package's and one nested in a program's
// node_modules) agree on the operation in progress.
const STORE_KEY = Symbol.for("connectwise-iac.operation-scope");
type Global = typeof globalThis & { [STORE_KEY]?: AsyncLocalStorage<OperationScope> };
const store: AsyncLocalStorage<OperationScope> = ((globalThis as Global)[STORE_KEY] ??=
  new AsyncLocalStorage<OperationScope>());

/** The process as one operation: its environment read at each use. */
const processScope: OperationScope = {
  get env() {
    return process.env;
  },
  state: new Map(),
};

export function newOperationScope(env: NodeJS.ProcessEnv): OperationScope {
  return { env, state: new Map() };
}

/** Runs `work` (and everything it starts) in `scope`. */
export function runInOperation<T>(scope: OperationScope, work: () => T): T {
  return store.run(scope, work);
}

/** The operation in progress: a scope a server opened, else the process. */
export function currentOperation(): OperationScope {
  return store.getStore() ?? processScope;
}

/** The current operation's value under `key`, made by `make` on first use. */
export function operationState<T>(key: symbol, make: () => T): T {
  const { state } = currentOperation();
  if (!state.has(key)) state.set(key, make());
  return state.get(key) as T;
}
