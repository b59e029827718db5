// Console steps as the stack's one checklist: grouped by screen, numbered in click order, as the
// failing `up` prints it (OperatorChecklist) and `npm run checklist` prints it (from records).
import { MODULE_FUNCTIONS, functionKey } from "../catalog";
import { actionText, stepCount } from "./renderLine";
import type { ConsoleStep } from "./records";

export interface Checklist {
  /** The tenants the steps are for ("companyId at host"), usually one per stack. */
  tenants: string[];
  stack: string;
  /** Numbered in click order, one group per screen. */
  groups: { screen: string; steps: { number: number; text: string }[] }[];
  count: number;
}

/** How many menu levels name a screen: "System > Security Roles > ElementsAPI" is one role's screen. */
const SCREEN_DEPTH = 3;

const screenOf = (step: ConsoleStep) => step.menuPath.slice(0, SCREEN_DEPTH).join(" > ");

/** A step as the checklist shows it under its screen's heading: the rest of the path, then the action. */
function stepText(step: ConsoleStep): string {
  const rest = step.menuPath.slice(SCREEN_DEPTH);
  return rest.length > 0 ? `${rest.join(" > ")}: ${actionText(step)}` : actionText(step);
}

/**
 * Groups the steps by screen (first appearance order, which the caller makes click order:
 * inClickOrder), numbers them 1..N in that order, and drops repeats (two resources may ask for
 * the same click).
 */
export function buildChecklist(tenants: string[], stack: string, steps: ConsoleStep[]): Checklist {
  const groups = new Map<string, string[]>();
  for (const step of steps) {
    const screen = screenOf(step);
    const text = stepText(step);
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

/** The steps once each (same screen, same text), in the order given. */
export function distinctSteps(steps: ConsoleStep[]): ConsoleStep[] {
  const seen = new Set<string>();
  return steps.filter((step) => {
    const key = `${screenOf(step)}\n${stepText(step)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const CATALOG_POSITION = new Map(MODULE_FUNCTIONS.map((f, i) => [functionKey(f.module, f.function), i]));

/**
 * A role's function row: its position in the catalog (module order, then function order, as the
 * Manage screens list them); other steps (Table Setup customize entries) come after the rows.
 */
function rowPosition(step: ConsoleStep): number {
  const [, , , module, fn, ...rest] = step.menuPath;
  if (rest.length > 0 || module === undefined || fn === undefined) return Infinity;
  // A function the catalog lacks (a newer Manage) comes after the catalog's, before other steps.
  return CATALOG_POSITION.get(functionKey(module, fn)) ?? CATALOG_POSITION.size;
}

/**
 * Click order: screens in the order of `screens` (e.g. roles in declaration order), then as they
 * first appear; on a screen, the role's function rows in catalog order, then the rest (Table Setup
 * customize entries) as given.
 */
export function inClickOrder(steps: ConsoleStep[], screens: string[] = []): ConsoleStep[] {
  const screenRank = new Map<string, number>();
  for (const screen of screens) if (!screenRank.has(screen)) screenRank.set(screen, screenRank.size);
  for (const s of steps) if (!screenRank.has(screenOf(s))) screenRank.set(screenOf(s), screenRank.size);
  return steps
    .map((step, index) => ({ step, index, screen: screenRank.get(screenOf(step))!, row: rowPosition(step) }))
    .sort((a, b) => a.screen - b.screen || a.row - b.row || a.index - b.index)
    .map(({ step }) => step);
}

/** What to run once the steps are done. */
export function nextStep(stack: string): string {
  return `Next: do these in the Manage UI, then run \`pulumi up --stack ${stack}\` again: it verifies them and converges. \`npm run checklist -- --stack ${stack}\` lists what is still pending.`;
}

/** The checklist as the failing `up` prints it: tenant heading, one heading per screen, numbered steps, what to run next. */
export function formatChecklistText(checklist: Checklist, runbook?: string): string {
  const lines = [
    `Operator checklist for stack ${checklist.stack}: ${checklist.tenants.join(", ") || "the tenant"} needs ${stepCount(checklist.count)}:`,
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
