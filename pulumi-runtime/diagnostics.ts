// Handler-facing extensions that our dynamic-provider server (pulumi-runtime/providerServer.ts) understands and
// the SDK's server ignores, so a handler can use them whichever server the engine started:
//
//  - diagnostics.info/warn/debug(message): under our server, a diagnostic sent to the engine's Log
//    RPC with the URN of the resource being handled (the CLI shows it under that resource); under
//    the SDK server, or outside a provider call, a plain stderr line as before (debug: nothing).
//  - currentUrn(): the URN of the resource whose call is in progress (undefined under the SDK).
//  - DiffWithDetails: a diff result may carry `detailedDiff`, which our server puts in the
//    DiffResponse (per-property kinds, shown by `pulumi preview --diff` and `--json`).
//
// This module is loaded by every handler, so it must stay cheap: no gRPC, no SDK import.

import { AsyncLocalStorage } from "async_hooks";
import type * as pulumi from "@pulumi/pulumi";

export type Severity = "debug" | "info" | "warning";

/** Where diagnostics of a call go: the server's connection to the engine. */
export type DiagnosticSink = (severity: Severity, message: string, urn: string) => Promise<void>;

interface CallContext {
  urn: string;
  sink: DiagnosticSink;
  /** Log RPCs still in flight: the server waits for them before answering the call. */
  pending: Promise<void>[];
}

// Kept on globalThis so that two copies of this file (say the package's own and one nested in a
// program's node_modules) share the call in progress instead of silently losing it.
const STORE_KEY = Symbol.for("connectwise-iac.provider.diagnostics");
type Global = typeof globalThis & { [STORE_KEY]?: AsyncLocalStorage<CallContext> };
const store: AsyncLocalStorage<CallContext> = ((globalThis as Global)[STORE_KEY] ??=
  new AsyncLocalStorage<CallContext>());

/** The URN of the resource whose provider call is in progress, under our server. */
export function currentUrn(): string | undefined {
  return store.getStore()?.urn;
}

function emit(severity: Severity, message: string): void {
  const context = store.getStore();
  if (!context || !context.urn) {
    if (severity !== "debug") console.error(message);
    return;
  }
  context.pending.push(
    context.sink(severity, message, context.urn).catch(() => {
      // The engine is unreachable (or is not an engine): keep the line rather than lose it.
      if (severity !== "debug") console.error(message);
    }),
  );
}

export const diagnostics = {
  /** Engine debug log (shown with `--debug` or `-v`); dropped when no engine is attached. */
  debug: (message: string): void => emit("debug", message),
  info: (message: string): void => emit("info", message),
  warn: (message: string): void => emit("warning", message),
};

/**
 * For the server: runs one provider call with `urn` as the current resource, then waits (at most
 * `flushMs`) for the diagnostics it sent, so they reach the engine before the call's answer.
 */
export async function runInCall<T>(
  urn: string,
  sink: DiagnosticSink,
  fn: () => Promise<T>,
  flushMs = 5000,
): Promise<T> {
  const context: CallContext = { urn, sink, pending: [] };
  const flush = async () => {
    if (context.pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, flushMs)));
    await Promise.race([Promise.allSettled(context.pending), timeout]);
    clearTimeout(timer);
  };
  try {
    return await store.run(context, fn);
  } finally {
    await flush();
  }
}

/** How one property changes; the names of the engine's PropertyDiff kinds. */
export type PropertyDiffKind = "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";

export interface PropertyDiff {
  kind: PropertyDiffKind;
  /** True when the difference is between old and new inputs rather than old state and new inputs. */
  inputDiff?: boolean;
}

/**
 * A diff result with per-property details, keyed by property path (`name`, `permissions["A/B"].add`).
 * Keep `replaces` consistent with the `-replace` kinds: the SDK server only sees `replaces`.
 */
export interface DiffWithDetails extends pulumi.dynamic.DiffResult {
  detailedDiff?: Record<string, PropertyDiff>;
}
