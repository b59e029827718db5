// The one way the member and key handlers tell a reviewer what preview found: drift and adoption
// lines. A fleet command parses these lines, so their shapes are fixed:
//   `<Type> <label>: drift: <field>: <live> => <declared>`
//   `<Type> <label>: drift: inactive => active`
//   `<Type> <label>: adopts existing member <id> (<active|inactive>); up will change: <fields>`
// Under our provider server they are diagnostics attached to the resource (its URN in
// `pulumi preview --json`); under the SDK's server, stderr lines the engine shows under the stack.

import { diagnostics, type PropertyDiff } from "../pulumi-runtime/diagnostics";

/** Prints one line for the reviewer. Callers never pass key material. */
export function report(line: string): void {
  diagnostics.info(line);
}

export type { PropertyDiff };
export type DetailedDiff = Record<string, PropertyDiff>;

/** A value as a drift line shows it: on one line, "" as (empty). */
export function shown(value: string): string {
  return value === "" ? "(empty)" : value.replace(/\r?\n/g, "\\n");
}
