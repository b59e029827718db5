// A record as one terminal line: the diagnostic a handler prints on its resource (what plain
// `pulumi preview` users read), and the pieces the other renderings share (a step's text, a
// value on one line). The shapes users know:
//   `<Type> <name>: needs the operator: <screen path>: <action>`   (one step; a report's steps: `linesOf`)
//   `<Type> <name>: needs the operator: <n> console steps on <screens> (listed in ... checklist ...)`
//   `<Type> <name>: drift: <field>: <live> => <declared>`   (`drift: <live> => <declared>` for a whole object)
//   `<Type> <name>: <notice>`
import {
  type ConsoleChange,
  type ConsoleStep,
  type ResourceRef,
  type ReviewRecord,
  type UnansweredToken,
  changesOf,
} from "./records";

/** "SecurityRole ElementsAPI", as every line names its resource. */
export function resourceText(resource: ResourceRef): string {
  return resource.name ? `${resource.type} ${resource.name}` : resource.type;
}

/** A value as a drift line shows it: on one line, "" as (empty). */
export function shown(value: string): string {
  return value === "" ? "(empty)" : value.replace(/\r?\n/g, "\\n");
}

/** "Add, Edit and Inquire Level" from "Add Level", "Edit Level", "Inquire Level": the screen's labels, said once. */
function fieldsText(fields: string[]): string {
  const suffix = " Level";
  const leveled = fields.length > 1 && fields.every((f) => f.endsWith(suffix));
  const names = leveled ? fields.map((f) => f.slice(0, -suffix.length)) : fields;
  const joined = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names[0];
  return leveled ? `${joined}${suffix}` : joined;
}

/** `'A', 'B' and 'C'`. */
function entriesText(values: string[]): string {
  const quotedValues = values.map((v) => `'${v}'`);
  return quotedValues.length > 1
    ? `${quotedValues.slice(0, -1).join(", ")} and ${quotedValues[quotedValues.length - 1]}`
    : quotedValues[0];
}

/** Changes in first-seen order of their key, each key's members in the order given. */
function groupBy(changes: ConsoleChange[], key: (c: ConsoleChange) => string): ConsoleChange[][] {
  const groups = new Map<string, ConsoleChange[]>();
  for (const change of changes) groups.set(key(change), [...(groups.get(key(change)) ?? []), change]);
  return [...groups.values()];
}

/**
 * The action part of a step, its changes grouped where they share a value: "set Add, Edit and
 * Inquire Level to All (now None)", "set Add and Edit Level to All, Inquire Level to My",
 * "add 'A' and 'B' in Allow access to these; remove 'C' from Allow access to these".
 */
export function actionText(step: ConsoleStep): string {
  const changes = changesOf(step);
  const sets = changes.filter((c) => (c.action ?? "set") === "set");
  const parts: string[] = [];
  if (sets.length > 0) {
    const groups = groupBy(sets, (c) => `${c.value}\n${c.current ?? ""}`).map((group) => {
      const now = group[0].current === undefined ? "" : ` (now ${group[0].current})`;
      return `${fieldsText(group.map((c) => c.field))} to ${group[0].value}${now}`;
    });
    parts.push(`set ${groups.join(", ")}`);
  }
  for (const action of ["add", "remove"] as const) {
    for (const group of groupBy(
      changes.filter((c) => c.action === action),
      (c) => c.field,
    )) {
      const entries = entriesText(group.map((c) => c.value));
      parts.push(action === "add" ? `add ${entries} in ${group[0].field}` : `remove ${entries} from ${group[0].field}`);
    }
  }
  return parts.join("; ");
}

/** One step on one line, without a number: "System > ... > Agreements: set Add Level to All (now None)". */
export function formatStep(step: ConsoleStep): string {
  return `${step.menuPath.join(" > ")}: ${actionText(step)}`;
}

/** How many console steps, said as a count. */
export const stepCount = (n: number): string => `${n} console step${n === 1 ? "" : "s"}`;

/** The screens a resource's steps are on, "System > Security Roles > ElementsAPI" (role screens), once each. */
function screensOf(steps: ConsoleStep[]): string[] {
  return [...new Set(steps.map((s) => s.menuPath.slice(0, 3).join(" > ")))];
}

/**
 * The one line a resource's steps get in the terminal: a pointer to the checklist, which lists
 * them (the records carry each step; `npm run checklist` and the runbook print them).
 */
export function pointerLine(resource: ResourceRef, steps: ConsoleStep[]): string {
  return (
    `${resourceText(resource)}: needs the operator: ${stepCount(steps.length)} on ${screensOf(steps).join(", ")} ` +
    "(listed in the stack's operator checklist; `npm run checklist -- --stack <stack>` prints them)"
  );
}

/**
 * The lines of one report: each step record's resource once, as a pointer line where its first
 * step comes; every other record as its own line.
 */
export function linesOf(records: ReviewRecord[]): string[] {
  const steps = new Map<string, { resource: ResourceRef; steps: ConsoleStep[] }>();
  for (const record of records) {
    if (record.kind !== "step") continue;
    const key = resourceText(record.resource);
    const entry = steps.get(key) ?? { resource: record.resource, steps: [] };
    entry.steps.push(record.step);
    steps.set(key, entry);
  }
  const lines: string[] = [];
  for (const record of records) {
    if (record.kind === "step") {
      const entry = steps.get(resourceText(record.resource));
      if (!entry) continue;
      lines.push(pointerLine(entry.resource, entry.steps));
      steps.delete(resourceText(record.resource));
      continue;
    }
    const line = lineOf(record);
    if (line !== undefined) lines.push(line);
  }
  return lines;
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
