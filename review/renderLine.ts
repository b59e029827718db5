// A record as one terminal line: the diagnostic a handler prints on its resource (what plain
// `pulumi preview` users read), and the pieces the other renderings share (a step's text, a
// value on one line). The shapes users know:
//   `<Type> <name>: needs the operator: <screen path>: <action>`
//   `<Type> <name>: drift: <field>: <live> => <declared>`   (`drift: <live> => <declared>` for a whole object)
//   `<Type> <name>: <notice>`
import type { ConsoleStep, ResourceRef, ReviewRecord, UnansweredToken } from "./records";

/** "SecurityRole ElementsAPI", as every line names its resource. */
export function resourceText(resource: ResourceRef): string {
  return resource.name ? `${resource.type} ${resource.name}` : resource.type;
}

/** A value as a drift line shows it: on one line, "" as (empty). */
export function shown(value: string): string {
  return value === "" ? "(empty)" : value.replace(/\r?\n/g, "\\n");
}

/** The action part of a step: "set Add Level to All (now None)". */
export function actionText(step: ConsoleStep): string {
  const now = step.current === undefined ? "" : ` (now ${step.current})`;
  const what =
    step.action === "add"
      ? `add '${step.value}' in ${step.field}`
      : step.action === "remove"
        ? `remove '${step.value}' from ${step.field}`
        : `set ${step.field} to ${step.value}`;
  return `${what}${now}`;
}

/** One step on one line, without a number: "System > ... > Agreements: set Add Level to All (now None)". */
export function formatStep(step: ConsoleStep): string {
  return `${step.menuPath.join(" > ")}: ${actionText(step)}`;
}

/** The drift part of a line: "Finance/Agreements add: None => All", "inactive => active". */
export function driftText(field: string | undefined, from: string, to: string): string {
  return `${field === undefined ? "" : `${field}: `}${shown(from)} => ${shown(to)}`;
}

/** The record as the terminal line a handler prints (a checklist record has no line: its rendering is the error). */
export function lineOf(record: ReviewRecord): string | undefined {
  const resource = resourceText(record.resource);
  switch (record.kind) {
    case "step":
      return `${resource}: needs the operator: ${formatStep(record.step)}`;
    case "drift":
      return `${resource}: drift: ${driftText(record.field, record.from, record.to)}${record.remedy ? `; ${record.remedy}` : ""}`;
    case "notice":
      return `${resource}: ${record.text}`;
    case "checklist":
      return undefined;
  }
}

/** Where the operator revokes a member's keys in the Manage UI. */
export const revokeWhere = (member: string): string => `System > Members > API Members > ${member} > API Keys`;

/** One line about an unanswered token: where to look, when it was asked for, what is known of it. */
export function unansweredTokenText(token: UnansweredToken): string {
  const expiry = token.expiresBy ? `; if it exists it stops working by ${token.expiresBy} at the latest` : "";
  if (token.hint)
    return (
      `${revokeWhere(token.member)}: revoke the key ending "...${token.hint}" minted at about ${token.at} ` +
      `(its run died before saving it: the stack never held it${expiry})`
    );
  return (
    `${revokeWhere(token.member)}: revoke the key minted at about ${token.at} if it is there ` +
    `(last 4 characters not known: they were in the answer that never arrived${expiry})`
  );
}
