// Loaded by the program (index.ts) before it declares anything.
//
// The SDK's runner installs source-map-support, so every stack trace formatted in the program is
// mapped back to TypeScript positions, and the SDK formats one for each promise it makes:
// debuggablePromise keeps `new Error().stack` on every promise, for its report of promises left
// unresolved at exit (PULUMI_DEBUG_PROMISE_LEAKS). A tenant stack makes several hundred (four per
// output property of every resource): mapped, they cost about 0.4 s of CPU per run on a busy
// 2-core machine, more than the rest of the program. Those traces only are formatted unmapped
// (JavaScript positions in dist/), as node formats them without source maps; every other trace,
// the resources' source positions included, is mapped as before. With PULUMI_DEBUG_PROMISE_LEAKS
// set, nothing changes.

type Prepare = (error: Error, stack: NodeJS.CallSite[]) => unknown;

/** Whether the trace is the one debuggablePromise keeps (its own frame on top). */
const isPromiseTrace = (stack: NodeJS.CallSite[]): boolean => stack[0]?.getFunctionName() === "debuggablePromise";

/** The trace as node prints it without source maps. */
function unmapped(error: Error, stack: NodeJS.CallSite[]): string {
  let head: string;
  try {
    head = String(error);
  } catch {
    head = "Error";
  }
  return head + stack.map((frame) => `\n    at ${(frame as { toString(): string }).toString()}`).join("");
}

/** Installs the unmapped formatting for debuggablePromise's traces; returns whether it did. */
export function unmappedPromiseTraces(env: NodeJS.ProcessEnv = process.env): boolean {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- a plain function, called unbound by V8 too
  const mapped = Error.prepareStackTrace as Prepare | undefined;
  if (!mapped || env.PULUMI_DEBUG_PROMISE_LEAKS) return false;
  Error.prepareStackTrace = (error: Error, stack: NodeJS.CallSite[]) =>
    isPromiseTrace(stack) ? unmapped(error, stack) : mapped(error, stack);
  return true;
}
