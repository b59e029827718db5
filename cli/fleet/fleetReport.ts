// The fleet's results as data (the --json file), as a terminal table, and as one pull-request
// comment in Markdown that fits GitHub's limit.
import { ENGINE_MASK, scrubValue } from "../../connectwise/scrub";
import { type Drift, type Operation, type PolicyFinding, type ResourceChange, UNKNOWN_VALUE } from "./fleetEvents";

export const MARKER = "<!-- connectwise-iac fleet -->";
/** GitHub refuses issue and pull-request comments longer than this (characters). */
export const GITHUB_COMMENT_LIMIT = 65_536;

export type StackResult = "no changes" | "changes pending" | "steps pending" | "drift" | "failed" | "cancelled";

export interface StackReport {
  stack: string;
  /** "companyId at site", from the stack's config file. */
  tenant: string;
  result: StackResult;
  creates: number;
  updates: number;
  deletes: number;
  replacements: number;
  consoleSteps: string[];
  drift: Drift[];
  changes: ResourceChange[];
  errors: string[];
  seconds: number;
  /** `up` with console steps pending: the runbook its checklist was written to. */
  runbook?: string;
  /** The guardrails' findings; absent when the stack's config does not ask for them. */
  policy?: PolicyFinding[];
  /**
   * The stack's token keys that expire within EXPIRY_WARNING_DAYS (or have expired), from its
   * state: "ElementsAPI 2026-12-10". Absent in reports of older versions.
   */
  expiringKeys?: string[];
}

export interface FleetReport {
  tool: "connectwise-iac fleet";
  operation: Operation;
  /** `refresh --preview-only` or `preview --refresh`. */
  options: string[];
  startedAt: string;
  stacks: StackReport[];
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_PENDING = 2;

/** 0 when nothing is pending, 2 when changes, drift or operator steps are, 1 when any stack failed. */
export function exitCode(report: Pick<FleetReport, "stacks">): number {
  if (report.stacks.some((s) => s.result === "failed" || s.result === "cancelled")) return EXIT_FAILED;
  if (report.stacks.some((s) => s.result !== "no changes")) return EXIT_PENDING;
  return EXIT_OK;
}

/** Several JSON reports (one per matrix chunk) as one; stacks sorted by name. */
export function mergeReports(reports: FleetReport[]): FleetReport {
  if (reports.length === 0) throw new Error("no report to merge");
  const operations = new Set(reports.map((r) => r.operation));
  if (operations.size > 1) throw new Error(`reports of different operations: ${[...operations].join(", ")}`);
  return {
    ...reports[0],
    startedAt: reports.map((r) => r.startedAt).sort()[0],
    stacks: reports.flatMap((r) => r.stacks).sort((a, b) => a.stack.localeCompare(b.stack)),
  };
}

/**
 * Replaces every known secret value (decrypted config secrets) wherever it appears, by the one
 * scrubbing policy (connectwise/scrub.ts), masked as the engine masks the values beside them.
 */
export function redact<T>(value: T, secrets: readonly string[]): T {
  return scrubValue(value, secrets, ENGINE_MASK);
}

const COLUMNS = [
  "stack",
  "tenant",
  "creates",
  "updates",
  "deletes",
  "replacements",
  "console steps",
  "drift",
  "keys expiring",
  "result",
];

/** The guardrails column, shown when any stack runs them: "2 (1 mandatory)", "0", or "-". */
const guarded = (report: Pick<FleetReport, "stacks">) => report.stacks.some((s) => s.policy !== undefined);

function policyCell(s: StackReport): string {
  if (s.policy === undefined) return "-";
  const mandatory = s.policy.filter((f) => f.level === "mandatory").length;
  return mandatory > 0 ? `${s.policy.length} (${mandatory} mandatory)` : String(s.policy.length);
}

function columns(report: Pick<FleetReport, "stacks">): string[] {
  return guarded(report) ? [...COLUMNS.slice(0, -1), "policy", COLUMNS[COLUMNS.length - 1]] : COLUMNS;
}

function row(s: StackReport, withPolicy = false): string[] {
  const cells = baseRow(s);
  return withPolicy ? [...cells.slice(0, -1), policyCell(s), cells[cells.length - 1]] : cells;
}

function baseRow(s: StackReport): string[] {
  return [
    s.stack,
    s.tenant,
    String(s.creates),
    String(s.updates),
    String(s.deletes),
    String(s.replacements),
    String(s.consoleSteps.length),
    String(s.drift.length),
    s.expiringKeys?.length ? s.expiringKeys.join(", ") : "-",
    s.result,
  ];
}

/** The summary as an aligned plain-text table, for the terminal. */
export function textTable(report: FleetReport): string {
  const header = columns(report);
  const rows = [header, ...report.stacks.map((s) => row(s, guarded(report)))];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
// A value that closes the code fence would end the diff block early.
const fenced = (text: string) => text.replace(/```/g, "'''");

function markdownTable(report: FleetReport): string {
  const header = columns(report);
  const lines = [
    `| ${header.join(" | ")} |`,
    `| ${header.map((c, i) => (i >= 2 && i < header.length - 1 ? "---:" : "---")).join(" | ")} |`,
  ];
  for (const s of report.stacks) lines.push(`| ${row(s, guarded(report)).map(cell).join(" | ")} |`);
  return lines.join("\n");
}

const show = (v: unknown) =>
  v === undefined
    ? "(none)"
    : v === UNKNOWN_VALUE
      ? "(known after up)"
      : typeof v === "string"
        ? v
        : Array.isArray(v) && v.every((e) => typeof e === "string")
          ? v.join(", ")
          : JSON.stringify(v).split(JSON.stringify(UNKNOWN_VALUE)).join('"(known after up)"');

const SIGN: Record<ResourceChange["op"], string> = { create: "+", delete: "-", update: "!", replace: "!" };

function changeLines(c: ResourceChange): string[] {
  const what = c.type === "ApiKey" && c.op === "replace" ? "replace (key rotation)" : c.op;
  const head = `${SIGN[c.op]} ${what} ${c.type} ${c.name}`;
  // A new resource: what it is declared with (its role, member settings, key description); a
  // removed one: what it was.
  if (c.op === "create") return [head, ...c.fields.map((f) => `+   ${f.field}: ${show(f.new)}`)];
  if (c.op === "delete") return [head, ...c.fields.map((f) => `-   ${f.field}: ${show(f.old)}`)];
  const lines = [head];
  for (const f of c.fields) {
    if (f.old === undefined && f.new === undefined) lines.push(`!   ${f.field} changes`);
    else lines.push(`-   ${f.field}: ${show(f.old)}`, `+   ${f.field}: ${show(f.new)}`);
  }
  return lines;
}

/** The headings of a stack's section: a refresh is a drift report, preview speaks of the merge. */
function headings(operation: Operation) {
  const pendingSteps = "the API cannot write them; `up` verifies them";
  return {
    drift:
      operation === "refresh"
        ? "Drift (the live tenant differs from the state):"
        : "Drift (the live tenant differs from the state: changed by hand, not by this pull request):",
    steps:
      operation === "preview"
        ? `Console steps the merge will require (${pendingSteps}):`
        : `Console steps pending (${pendingSteps}):`,
  };
}

function section(s: StackReport, operation: Operation): string {
  const out: string[] = [];
  // A refresh changes only the state: what it finds is counted as drift.
  const pending = operation === "refresh" ? 0 : s.creates + s.updates + s.deletes + s.replacements;
  const summary = [
    pending ? `${pending} change${pending === 1 ? "" : "s"}` : "",
    s.consoleSteps.length ? `${s.consoleSteps.length} console step${s.consoleSteps.length === 1 ? "" : "s"}` : "",
    s.drift.length ? `${s.drift.length} drifted` : "",
  ].filter(Boolean);
  out.push(
    `<details><summary><b>${s.stack}</b> (${s.tenant}): ${s.result}${summary.length ? `, ${summary.join(", ")}` : ""}</summary>`,
    "",
  );
  const titles = headings(operation);
  // A refresh changes nothing but the state: what it finds is the drift below.
  const changes = operation === "refresh" ? [] : s.changes.filter((c) => !c.driftOnly);
  if (changes.length) {
    out.push("Changes (the program or config differs from the state):", "", "```diff");
    for (const c of changes) out.push(...changeLines(c).map(fenced));
    out.push("```", "");
  }
  if (s.drift.length) {
    out.push(titles.drift, "", "```diff");
    for (const d of s.drift) {
      out.push(
        fenced(`- ${d.type} ${d.label}: ${d.field === undefined ? "" : `${d.field}: `}${d.live} (live)`),
        fenced(`+ ${d.type} ${d.label}: ${d.field === undefined ? "" : `${d.field}: `}${d.declared} (declared)`),
      );
      if (d.remedy) out.push(fenced(`!   remedy: ${d.remedy}`));
    }
    out.push("```", "");
  }
  if (s.consoleSteps.length) {
    out.push(titles.steps, "", "```diff");
    s.consoleSteps.forEach((step, i) => out.push(fenced(`! ${i + 1}. ${step}`)));
    out.push("```", "");
    if (s.runbook) out.push(`Runbook: \`${s.runbook}\``, "");
  }
  if (s.policy?.length) {
    const blocked = s.policy.some((f) => f.level === "mandatory");
    out.push(
      `Guardrails (least-privilege policies${blocked ? "; a mandatory one blocks this change" : ""}):`,
      "",
      "```diff",
    );
    for (const f of s.policy)
      out.push(fenced(`${f.level === "mandatory" ? "-" : "!"} [${f.level}] ${f.policy}: ${f.message}`));
    out.push("```", "");
  }
  if (s.errors.length) {
    out.push("Errors:", "", "```");
    for (const e of s.errors) out.push(fenced(e));
    out.push("```", "");
  }
  if (!changes.length && !s.drift.length && !s.consoleSteps.length && !s.errors.length) out.push("Nothing to do.", "");
  out.push("</details>");
  return out.join("\n");
}

const TITLE: Record<Operation, string> = {
  preview: "Fleet preview",
  up: "Fleet up",
  refresh: "Fleet refresh",
};

/**
 * One comment for the whole fleet: the marker, the summary table, then a collapsible section per
 * stack. Sections are cut last-first, with a line naming them, until the comment fits `limit`.
 */
export function markdown(report: FleetReport, limit = GITHUB_COMMENT_LIMIT): string {
  const title = `### ${TITLE[report.operation]}${report.options.length ? ` (${report.options.join(" ")})` : ""}: ${report.stacks.length} stack${report.stacks.length === 1 ? "" : "s"}`;
  const exit = exitCode(report);
  const verdict =
    exit === EXIT_OK
      ? "Nothing pending."
      : exit === EXIT_PENDING
        ? "Changes, drift or console steps are pending."
        : "At least one stack failed.";
  const head = [MARKER, title, "", verdict, "", markdownTable(report), ""].join("\n");
  const sections = report.stacks.map((s) => section(s, report.operation));
  const assemble = (kept: number) => {
    const cut = report.stacks.slice(kept).map((s) => s.stack);
    const note = cut.length
      ? `\n_Details of ${cut.length} stack${cut.length === 1 ? "" : "s"} cut to fit GitHub's ${limit}-character comment limit: ${cut.join(", ")}. The workflow run's JSON artifact has them._\n`
      : "";
    return `${head}\n${sections.slice(0, kept).join("\n\n")}${kept ? "\n" : ""}${note}`;
  };
  for (let kept = sections.length; kept > 0; kept--) {
    const text = assemble(kept);
    if (text.length <= limit) return text;
  }
  return assemble(0);
}
