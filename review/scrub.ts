// The one scrubbing: every known secret value (decrypted config secrets, keys read from a state)
// replaced wherever it appears in what a command prints or writes, longest first, so a secret
// that contains another is masked whole. A backstop: nothing is meant to carry a secret.

export interface ScrubOptions {
  /** What a secret becomes ("***" on the terminal; the fleet's reports say "[secret]"). */
  mask?: string;
  /** Values shorter than this are left alone (the fleet: 4, so a short value does not mangle its text). */
  minLength?: number;
}

const usable = (secrets: Iterable<string>, minLength: number) =>
  [...new Set(secrets)].filter((s) => s.length >= Math.max(minLength, 1)).sort((a, b) => b.length - a.length);

/** The text with every secret masked. */
export function scrub(text: string, secrets: Iterable<string>, options: ScrubOptions = {}): string {
  const mask = options.mask ?? "***";
  return usable(secrets, options.minLength ?? 1).reduce((acc, s) => acc.split(s).join(mask), text);
}

/** A JSON-shaped value with every string in it scrubbed (keys are left alone). */
export function scrubData<T>(value: T, secrets: Iterable<string>, options: ScrubOptions = {}): T {
  const list = usable(secrets, options.minLength ?? 1);
  if (list.length === 0) return value;
  const text = JSON.stringify(value, (_k, v: unknown) =>
    typeof v === "string" ? scrub(v, list, { ...options, minLength: 1 }) : v,
  );
  return JSON.parse(text) as T;
}
