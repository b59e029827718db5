// Answers to identical reads, shared by the handlers of one engine operation (see
// ConnectWiseClient.sharingReads). Kept apart from client.ts so that pulumi-runtime/providerServer.ts can turn
// sharing on without loading the client (axios, zod) before the engine's first call.
//
// Off unless the operation turns it on: only a server of one engine operation may (our provider
// server, which the engine starts per operation, or one of the fleet's in-process servers, each
// in its stack's operation scope), since an answer kept here is never asked again while the
// operation lasts. Every write the operation sends empties it, so nothing read before a write is
// reused after it; a failure other than a definite 401 or 404 is not kept.
import { operationState } from "./operationScope";

const KEY = Symbol("shared reads");
const shared = () => operationState(KEY, () => ({ sharing: false, answers: new Map<string, Promise<unknown>>() }));

/** Turns sharing on (or off) for the rest of the current operation; forgets every kept answer. */
export function shareReadsInThisOperation(on = true): void {
  shared().sharing = on;
  shared().answers.clear();
}

export function readsShared(): boolean {
  return shared().sharing;
}

/** Forgets every kept answer (a write was sent). */
export function forgetSharedReads(): void {
  shared().answers.clear();
}

/**
 * The kept answer of `key`, or `send()`'s, kept for the next asker (at once: callers asking at
 * the same time share one request). A rejection is kept only when `definite(error)`.
 */
export function sharedRead<T>(key: string, send: () => Promise<T>, definite: (error: unknown) => boolean): Promise<T> {
  const { answers } = shared();
  const kept = answers.get(key) as Promise<T> | undefined;
  if (kept) return kept;
  const answer = send();
  answers.set(key, answer);
  answer.catch((error: unknown) => {
    if (!definite(error) && answers.get(key) === answer) answers.delete(key);
  });
  return answer;
}
