// Answers to identical reads, shared by the handlers of one engine operation (see
// ConnectWiseClient.sharingReads). Kept apart from client.ts so that pulumi-runtime/providerServer.ts can turn
// sharing on without loading the client (axios, zod) before the engine's first call.
//
// Off unless the process turns it on: only a process that serves one engine operation may (our
// provider server: the engine starts one per operation), since an answer kept here is never asked
// again while the process lives. Every write the process sends empties it, so nothing read before
// a write is reused after it; a failure other than a definite 401 or 404 is not kept.

let sharing = false;
const answers = new Map<string, Promise<unknown>>();

/** Turns sharing on (or off) for the rest of this process; forgets every kept answer. */
export function shareReadsInThisProcess(on = true): void {
  sharing = on;
  answers.clear();
}

export function readsShared(): boolean {
  return sharing;
}

/** Forgets every kept answer (a write was sent). */
export function forgetSharedReads(): void {
  answers.clear();
}

/**
 * The kept answer of `key`, or `send()`'s, kept for the next asker (at once: callers asking at
 * the same time share one request). A rejection is kept only when `definite(error)`.
 */
export function sharedRead<T>(key: string, send: () => Promise<T>, definite: (error: unknown) => boolean): Promise<T> {
  const kept = answers.get(key) as Promise<T> | undefined;
  if (kept) return kept;
  const answer = send();
  answers.set(key, answer);
  answer.catch((error: unknown) => {
    if (!definite(error) && answers.get(key) === answer) answers.delete(key);
  });
  return answer;
}
