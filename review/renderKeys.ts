// What the operator does with a key `up` has just minted or rotated: enter it in the integration's
// own setup screen (the vendor's tool), before the key it replaces expires. Rendered by the stack's
// OperatorChecklist from the keys its ApiKey items hold (PendingItem.key), as data in, lines out.
import type { HeldKey, PendingItem } from "./records";

/** A key newly minted since `before`: a token whose expiration is new (first mint or a rotation). */
export interface MintedKey {
  key: HeldKey;
  /** The expiration of the key it replaces, when there was one. */
  replaces?: string;
}

const heldKeys = (items: PendingItem[] | undefined): HeldKey[] =>
  (items ?? []).flatMap((item) => (item.key ? [item.key] : []));

/** The token keys in `now` whose expiration differs from `before`'s (all of them when there is no `before`). */
export function mintedKeys(before: PendingItem[] | undefined, now: PendingItem[] | undefined): MintedKey[] {
  const old = new Map(heldKeys(before).map((k) => [k.member, k]));
  // An item of the same key from before this field existed: nothing tells whether it changed.
  const unknown = new Set(
    (before ?? []).filter((item) => !item.key).map((item) => item.resource.replace(/^ApiKey for member /, "")),
  );
  return heldKeys(now)
    .filter((k) => k.source === "token" && k.expiration && !unknown.has(k.member))
    .filter((k) => old.get(k.member)?.expiration !== k.expiration)
    .map((k) => ({ key: k, ...(old.get(k.member)?.expiration ? { replaces: old.get(k.member)!.expiration } : {}) }));
}

/** One line per minted key: where to enter it, by when, and the command that prints it. */
export function mintedKeyLines(minted: MintedKey[], stack: string): string[] {
  return minted.map(({ key, replaces }) => {
    const by = replaces
      ? `before the key it replaces stops working at ${replaces.slice(0, 16).replace("T", " ")} UTC`
      : "so the integration can connect";
    return (
      `Enter the new API key of member ${key.member} (expires ${key.expiration.slice(0, 10)}) in the ` +
      `${key.description || "integration's"} setup screen ${by}: npm run keys -- --stack ${stack} --show-secrets`
    );
  });
}

/** The block the checklist and the runbook end with, "" when no key was minted. */
export function mintedKeysText(minted: MintedKey[], stack: string): string {
  const lines = mintedKeyLines(minted, stack);
  return lines.length === 0 ? "" : ["Keys for the vendors' tools:", ...lines.map((l) => `  - ${l}`)].join("\n");
}
