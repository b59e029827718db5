// Text helpers for messages that name catalog entries: did-you-mean suggestions and quoting.

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length];
}

/** The closest candidates to `value`, best first, within a distance that still reads as a typo. */
export function didYouMean(value: string, candidates: readonly string[], max = 3): string[] {
  const limit = Math.max(2, Math.floor(value.length / 3));
  return candidates
    .map((c) => ({ c, d: editDistance(value, c) }))
    .filter(({ d }) => d <= limit)
    .sort((p, q) => p.d - q.d)
    .slice(0, max)
    .map(({ c }) => c);
}

/** `"a", "b"`: names quoted for a message. */
export function quoted(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}

/** ` (did you mean "x"?)`, or nothing when there is no close candidate. */
export function suggestion(candidates: readonly string[]): string {
  return candidates.length > 0 ? ` (did you mean ${quoted(candidates)}?)` : "";
}
