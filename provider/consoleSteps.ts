// What the published API cannot write is handed to the operator as console steps: exact menu
// paths, in the order an operator clicks, and the values to set. SecurityRole and
// TableSetupAccess keep their pending steps as an output (`pendingSteps`); OperatorChecklist
// gathers them into ONE numbered checklist per stack, grouped by screen. Preview lines go
// through report(), in two shapes a fleet command parses:
//   `<Type> <label>: needs the operator: <step>`   and   `<Type> <label>: drift: <field>: <live> => <declared>`

import { MODULE_FUNCTIONS, functionKey } from "../catalog";
import { report as reportLine } from "./report";

/** One thing the operator sets in the Manage UI. */
export interface ConsoleStep {
  /** The menu path, e.g. ["System", "Security Roles", "ElementsAPI", "Finance", "Agreements"]. */
  menuPath: string[];
  /** The field on that page, e.g. "Add Level". */
  field: string;
  /** What to set it to (or the action, e.g. "add 'Service / Service Board'"). */
  value: string;
  /** What it is now, when known. */
  current?: string;
  /**
   * How the line reads: "set" (default) "set {field} to {value}"; "add"/"remove" for list
   * fields: "add '{value}' in {field}" / "remove '{value}' from {field}".
   */
  action?: "set" | "add" | "remove";
}

/**
 * A token POST whose answer never arrived: the API may have minted a key the stack never received
 * (the published API can neither list nor revoke keys), so the operator checks for it in the UI.
 */
export interface UnansweredToken {
  /** The member the token was asked for. */
  member: string;
  /** When the POST was sent (ISO 8601). */
  at: string;
  /** When such a token stops working at the latest: `at` plus the tenant's token lifetime, once a later mint told it. */
  expiresBy?: string;
}

/** The steps one resource has pending, as OperatorChecklist receives them. */
export interface PendingItem {
  /** `SecurityRole ElementsAPI`, `TableSetupAccess LifecycleManagerAPI/LMXMember`, `ApiKey for member X`. */
  resource: string;
  /** "companyId at host". */
  tenant: string;
  steps: ConsoleStep[];
  /** ApiKey only: tokens that may have been minted without an answer. */
  unansweredTokens?: UnansweredToken[];
}

/** Where the operator revokes a member's keys in the Manage UI. */
export const revokeWhere = (member: string): string => `System > Members > API Members > ${member} > API Keys`;

/** One line about an unanswered token: where to look, when it was asked for, what is known of it. */
export function unansweredTokenText(token: UnansweredToken): string {
  const expiry = token.expiresBy ? `; if it exists it stops working by ${token.expiresBy} at the latest` : "";
  return (
    `${revokeWhere(token.member)}: revoke the key minted at about ${token.at} if it is there ` +
    `(last 4 characters not known: they were in the answer that never arrived${expiry})`
  );
}

/** How many menu levels name a screen: "System > Security Roles > ElementsAPI" is one role's screen. */
const SCREEN_DEPTH = 3;

/** The action part of a step: "set Add Level to All (now None)". */
function actionText(step: ConsoleStep): string {
  const now = step.current === undefined ? "" : ` (now ${step.current})`;
  const what =
    step.action === "add"
      ? `add '${step.value}' in ${step.field}`
      : step.action === "remove"
        ? `remove '${step.value}' from ${step.field}`
        : `set ${step.field} to ${step.value}`;
  return `${what}${now}`;
}

/** One checklist line without its number: "System > ... > Agreements: set Add Level to All (now None)". */
export function formatStep(step: ConsoleStep): string {
  return `${step.menuPath.join(" > ")}: ${actionText(step)}`;
}

// ---- Preview lines ---------------------------------------------------------------------------

/**
 * Every line the role and Table Setup handlers print for a reviewer goes through here, into the
 * provider's one reporting function (provider/report.ts: a diagnostic on the resource under our
 * provider server, stderr otherwise). The lines of one call go as one message, so they keep
 * their (click) order.
 */
export function report(...lines: string[]): void {
  if (lines.length > 0) reportLine(lines.join("\n"));
}

/** `SecurityRole ElementsAPI: needs the operator: System > ... > Agreements: set Add Level to All (now None)`. */
export function operatorLine(resource: string, step: ConsoleStep): string {
  return `${resource}: needs the operator: ${formatStep(step)}`;
}

/** `SecurityRole ElementsAPI: drift: Finance/Agreements add: None => All`. */
export function driftLine(resource: string, field: string, live: string, declared: string): string {
  return `${resource}: drift: ${field}: ${live} => ${declared}`;
}

/** Every step as operator work, one line each. */
export function operatorLines(resource: string, steps: ConsoleStep[]): string[] {
  return steps.map((step) => operatorLine(resource, step));
}

const OPERATOR_LINE = /^(\S+) (.+?): needs the operator: (.+)$/;

/** The resource and the step text of a `needs the operator` line; undefined for any other line. */
export function parseOperatorLine(line: string): { resource: string; step: string } | undefined {
  const match = OPERATOR_LINE.exec(line.trim());
  return match ? { resource: `${match[1]} ${match[2]}`, step: match[3] } : undefined;
}

/** A step back from its formatted text (menu path, then the action), for a checklist rebuilt from preview lines. */
export function stepFromText(text: string): { menuPath: string[]; action: string } {
  const colon = text.indexOf(": ");
  const path = colon < 0 ? text : text.slice(0, colon);
  return { menuPath: path.split(" > "), action: colon < 0 ? "" : text.slice(colon + 2) };
}

// ---- The checklist ---------------------------------------------------------------------------

/** A step as the checklist lays it out: its screen, and the rest of the line. */
export interface ChecklistEntry {
  menuPath: string[];
  action: string;
}

export const toEntry = (step: ConsoleStep): ChecklistEntry => ({ menuPath: step.menuPath, action: actionText(step) });

export interface Checklist {
  /** The tenants the steps are for ("companyId at host"), usually one per stack. */
  tenants: string[];
  stack: string;
  /** Numbered in click order, one group per screen. */
  groups: { screen: string; steps: { number: number; text: string }[] }[];
  count: number;
}

/**
 * Groups the entries by screen (first appearance order, which the caller makes catalog order:
 * a role's levels in module order, then its Table Setup entries), numbers them 1..N in that
 * order, and drops repeats (two resources may ask for the same click).
 */
export function buildChecklist(tenants: string[], stack: string, entries: ChecklistEntry[]): Checklist {
  const groups = new Map<string, string[]>();
  for (const entry of entries) {
    const screen = screenOf(entry);
    const rest = entry.menuPath.slice(SCREEN_DEPTH);
    const text = rest.length > 0 ? `${rest.join(" > ")}: ${entry.action}` : entry.action;
    const lines = groups.get(screen) ?? [];
    if (!lines.includes(text)) lines.push(text);
    groups.set(screen, lines);
  }
  let number = 0;
  const numbered = [...groups].map(([screen, lines]) => ({
    screen,
    steps: lines.map((text) => ({ number: ++number, text })),
  }));
  return { tenants: [...new Set(tenants)].sort(), stack, groups: numbered, count: number };
}

const plural = (n: number) => `${n} console step${n === 1 ? "" : "s"}`;

const CATALOG_POSITION = new Map(MODULE_FUNCTIONS.map((f, i) => [functionKey(f.module, f.function), i]));
const screenOf = (entry: ChecklistEntry) => entry.menuPath.slice(0, SCREEN_DEPTH).join(" > ");

const FIELD_ORDER = ["Add Level", "Edit Level", "Delete Level", "Inquire Level"];

/**
 * A role's level step: its position in the catalog (module order), then the field as the screen
 * shows it (add, edit, delete, inquire); other steps come after the levels.
 */
function levelPosition(entry: ChecklistEntry): number {
  const [, , , module, fn, ...rest] = entry.menuPath;
  if (rest.length > 0 || module === undefined || fn === undefined) return Infinity;
  const field = FIELD_ORDER.findIndex((f) => entry.action.startsWith(`set ${f} `));
  // A function the catalog lacks (a newer Manage) comes after the catalog's, before other steps.
  const position = CATALOG_POSITION.get(functionKey(module, fn)) ?? CATALOG_POSITION.size;
  return position * FIELD_ORDER.length + Math.max(field, 0);
}

/**
 * Click order: screens in the order of `screens` (e.g. roles in declaration order), then as they
 * first appear; on a screen, the role's levels in catalog order, then the rest (Table Setup
 * customize entries) as given.
 */
export function inClickOrder(entries: ChecklistEntry[], screens: string[] = []): ChecklistEntry[] {
  const screenRank = new Map<string, number>();
  for (const screen of screens) if (!screenRank.has(screen)) screenRank.set(screen, screenRank.size);
  for (const e of entries) if (!screenRank.has(screenOf(e))) screenRank.set(screenOf(e), screenRank.size);
  return entries
    .map((entry, index) => ({ entry, index, screen: screenRank.get(screenOf(entry))!, level: levelPosition(entry) }))
    .sort((a, b) => a.screen - b.screen || a.level - b.level || a.index - b.index)
    .map(({ entry }) => entry);
}

/** What to run once the steps are done. */
export function nextStep(stack: string): string {
  return `Next: do these in the Manage UI, then run \`pulumi up --stack ${stack}\` again: it verifies them and converges. \`npm run checklist -- --stack ${stack}\` lists what is still pending.`;
}

/** The checklist as the failing `up` prints it: tenant heading, one heading per screen, numbered steps, what to run next. */
export function formatChecklistText(checklist: Checklist, runbook?: string): string {
  // "needs N console steps:" is what a fleet run recognises as a checklist (cli/fleet/fleetEvents.ts).
  const lines = [
    `Operator checklist for stack ${checklist.stack}: ${checklist.tenants.join(", ") || "the tenant"} needs ${plural(checklist.count)}:`,
    "what the published ConnectWise API cannot write; do them in the Manage UI, in this order.",
  ];
  for (const group of checklist.groups) {
    lines.push("", `${group.screen}`);
    for (const step of group.steps) lines.push(`  ${step.number}. ${step.text}`);
  }
  lines.push("");
  if (runbook) lines.push(`Runbook: ${runbook}`);
  lines.push(nextStep(checklist.stack));
  return lines.join("\n");
}

/** The runbook's section on keys that may exist unseen (none: no section). */
function unansweredSection(tokens: UnansweredToken[]): string[] {
  if (tokens.length === 0) return [];
  return [
    "## API keys that may exist without the stack knowing them",
    "",
    "A token POST got no answer: the API may have minted these keys, and the published API can neither",
    "list nor revoke keys. Look for each in the Manage UI and revoke it if it is there.",
    "",
    ...tokens.map((token) => `- [ ] ${unansweredTokenText(token)}`),
    "",
  ];
}

/** The same checklist as a Markdown runbook with checkboxes; then the keys that may exist unseen. */
export function formatRunbook(checklist: Checklist, unanswered: UnansweredToken[] = []): string {
  const lines = [
    `# Operator checklist: stack ${checklist.stack}`,
    "",
    `Tenant: ${checklist.tenants.join(", ") || "unknown"}`,
    "",
  ];
  if (checklist.count === 0) {
    lines.push("Nothing pending: the last `pulumi up` verified every console setting.", "");
    lines.push(...unansweredSection(unanswered));
    return lines.join("\n");
  }
  lines.push(`${plural(checklist.count)} the published ConnectWise API cannot do, in click order.`, "");
  for (const group of checklist.groups) {
    lines.push(`## ${group.screen}`, "");
    for (const step of group.steps) lines.push(`- [ ] ${step.number}. ${step.text}`);
    lines.push("");
  }
  lines.push(...unansweredSection(unanswered));
  lines.push(nextStep(checklist.stack), "");
  return lines.join("\n");
}
