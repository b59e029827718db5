// The one way the member and key handlers tell a reviewer what preview found: drift and adoption
// lines. A fleet command parses these lines, so their shapes are fixed:
//   `<Type> <label>: drift: <field>: <live> => <declared>`
//   `<Type> <label>: drift: inactive => active`
//   `<Type> <label>: adopts existing member <id> (<active|inactive>); up will change: <fields>`
// Today they go to stderr (the engine relays a provider's stderr under the stack); a provider
// server may later route them to diagnostics attached to the resource, here and nowhere else.

/** Prints one line for the reviewer. Callers never pass key material. */
export function report(line: string): void {
  console.error(line);
}

/** One entry of a diff's optional `detailedDiff` (the Node SDK's DiffResult does not declare it yet). */
export interface PropertyDiff {
  kind: "update" | "add" | "delete";
  /** false: the difference is between the live object and the declared value (drift), not in the inputs. */
  inputDiff: boolean;
}

export type DetailedDiff = Record<string, PropertyDiff>;

/** A value as a drift line shows it: on one line, "" as (empty). */
export function shown(value: string): string {
  return value === "" ? "(empty)" : value.replace(/\r?\n/g, "\\n");
}
