// The one secret-scrubbing policy: what the client removes from anything a server sends back
// before it can reach an error message, and what every command (discover, doctor, access-audit,
// fleet) removes from what it prints or writes, as a backstop behind the client.
//
// The policy: every occurrence of each secret is replaced, the longest secrets first (so a secret
// that contains another is never left half-masked); a value shorter than MIN_SECRET_LENGTH is not
// a key (ConnectWise keys are 16 characters) and is left alone, since masking every "a" or "12"
// would garble the text without protecting anything. A connection's secrets are its key pair and
// the Basic token made of them (`connectionSecrets`). The mask is "***", except in the fleet's
// reports, which beside the engine's own masked values use the engine's word, "[secret]".

/** What replaces a secret. */
export const MASK = "***";
/** The engine's mask for a secret value: the fleet's reports use it for theirs too. */
export const ENGINE_MASK = "[secret]";
/** A shorter value is not scrubbed. */
export const MIN_SECRET_LENGTH = 4;

/** The secrets of a connection: the key pair, and the Basic token the client sends (base64 of `companyId+public:private`). */
export function connectionSecrets(connection: { companyId: string; publicKey: string; privateKey: string }): string[] {
  const { companyId, publicKey, privateKey } = connection;
  const token = Buffer.from(`${companyId}+${publicKey}:${privateKey}`).toString("base64");
  return [privateKey, publicKey, token];
}

/** The secrets the policy masks: long enough, each once, the longest first. */
function usable(secrets: readonly string[]): string[] {
  return [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each secret replaced by `mask`. */
export function scrub(text: string, secrets: readonly string[], mask = MASK): string {
  return usable(secrets).reduce((out, secret) => out.split(secret).join(mask), text);
}

/** `value` (JSON data) with every string in it scrubbed. */
export function scrubValue<T>(value: T, secrets: readonly string[], mask = MASK): T {
  const list = usable(secrets);
  if (list.length === 0) return value;
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "string" ? scrub(v, list, mask) : v))) as T;
}

/**
 * A scrubber whose secrets are learnt as a command runs (a stack's connection once its config is
 * read, a state's keys once exported): what it scrubs later covers every secret added before.
 */
export class Scrubber {
  readonly #secrets: string[] = [];

  constructor(readonly mask = MASK) {}

  /** Adds secrets to scrub from now on. */
  add(...secrets: readonly string[]): this {
    this.#secrets.push(...secrets);
    return this;
  }

  /** `text` with every known secret masked. */
  text = (text: string): string => scrub(text, this.#secrets, this.mask);

  /** `value` (JSON data) with every known secret masked in its strings. */
  value<T>(value: T): T {
    return scrubValue(value, this.#secrets, this.mask);
  }
}
