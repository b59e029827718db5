// The least-privilege audit's results as data (the --json file), as terminal text and as Markdown.
// cli/audit/access-audit.ts fills them; cli/audit/accessAuditHtml.ts draws the fleet's matrix from the same data.
import { table } from "../shared/command";
import type { FieldDifference, Verdict } from "../shared/roleMatch";

/**
 * A declared integration's member against its table; "missing": no such member (or role) in the
 * tenant; "unknown": its role's settings came back in a shape the client refuses (never "exact").
 */
export type Status = Verdict | "missing" | "unknown";

export interface IntegrationAudit {
  /** The integration's kind (its table) and its name in the stack. */
  kind: string;
  name: string;
  /** The vendor's name for it. */
  integration: string;
  /** The member the stack declares for it. */
  member: string;
  /** The role the member is on in the tenant ("" when missing). */
  role: string;
  memberActive: boolean;
  status: Status;
  /** What the role grants beyond the table, and what it lacks, field by field. */
  beyond: FieldDifference[];
  lacks: FieldDifference[];
  notes: string[];
}

export interface UndeclaredMember {
  identifier: string;
  role: string;
  active: boolean;
  /** The member the stack connects as: listed, not a finding. */
  connection: boolean;
  /** The closest known table (as discover matches roles), when one is close. */
  closest?: { kind: string; verdict: Verdict; beyond: FieldDifference[]; lacks: FieldDifference[] };
  /** What its role grants, per function. */
  grants: string[];
}

export interface UnusedRole {
  role: string;
  /** Functions granted above None. */
  grants: string[];
  /** Inactive members still on it. */
  inactiveHolders: string[];
}

export interface InactiveMember {
  identifier: string;
  kind: "API member" | "member";
  role: string;
}

export type KeyStatus = "expired" | "near expiry" | "ok" | "no expiry";

export interface KeyAudit {
  /** The member the key authenticates as. */
  member: string;
  /** The integration (name in the stack) whose member that is, if declared. */
  integration: string;
  /** ISO time; "" for a console key (no expiry known). */
  expiration: string;
  daysLeft: number | null;
  status: KeyStatus;
}

export interface StackAudit {
  stack: string;
  tenant: string;
  /** Set when the stack could not be audited (then the lists are empty). */
  error?: string;
  integrations: IntegrationAudit[];
  undeclared: UndeclaredMember[];
  unusedRoles: UnusedRole[];
  inactiveMembers: InactiveMember[];
  keys: KeyAudit[];
  /** Why the keys' expiry is unknown (no state, state unreadable); "" when the state was read. */
  stateNote: string;
  findings: number;
}

export interface AccessAudit {
  tool: "connectwise-iac access-audit";
  generatedAt: string;
  expiryDays: number;
  stacks: StackAudit[];
}

export const EXIT_CLEAN = 0;
export const EXIT_ERROR = 1;
export const EXIT_FINDINGS = 2;

const flaggedKey = (k: KeyAudit) => k.status === "expired" || k.status === "near expiry";

/** The findings of one stack: each flagged line once. */
export function countFindings(s: Omit<StackAudit, "findings">): number {
  return (
    s.integrations.filter((i) => i.status !== "exact").length +
    s.undeclared.filter((u) => !u.connection).length +
    s.unusedRoles.length +
    s.inactiveMembers.length +
    s.keys.filter(flaggedKey).length
  );
}

/** 1 when a stack could not be audited, 2 when anything is flagged, else 0. */
export function exitCode(audit: AccessAudit): number {
  if (audit.stacks.some((s) => s.error)) return EXIT_ERROR;
  return audit.stacks.some((s) => s.findings > 0) ? EXIT_FINDINGS : EXIT_CLEAN;
}

export interface Summary {
  stacks: number;
  failed: number;
  members: number;
  exact: number;
  grantsMore: number;
  grantsLess: number;
  differs: number;
  missing: number;
  unknown: number;
  undeclared: number;
  unusedRoles: number;
  inactiveMembers: number;
  keysFlagged: number;
  findings: number;
}

export function summarize(audit: AccessAudit): Summary {
  const all = audit.stacks;
  const integrations = all.flatMap((s) => s.integrations);
  const count = (status: Status) => integrations.filter((i) => i.status === status).length;
  return {
    stacks: all.length,
    failed: all.filter((s) => s.error).length,
    members: integrations.length,
    exact: count("exact"),
    grantsMore: count("grants more"),
    grantsLess: count("grants less"),
    differs: count("differs"),
    missing: count("missing"),
    unknown: count("unknown"),
    undeclared: all.flatMap((s) => s.undeclared).filter((u) => !u.connection).length,
    unusedRoles: all.flatMap((s) => s.unusedRoles).length,
    inactiveMembers: all.flatMap((s) => s.inactiveMembers).length,
    keysFlagged: all.flatMap((s) => s.keys).filter(flaggedKey).length,
    findings: all.reduce((n, s) => n + s.findings, 0),
  };
}

/** "Finance/Invoicing add All (table: None)". */
export function describeField(d: FieldDifference): string {
  return `${d.function} ${d.field} ${d.have} (table: ${d.need})`;
}

/** The same, grouped per function: "Finance/Invoicing: add All, edit All (table: None)" style, one string per function. */
export function byFunction(list: FieldDifference[]): string[] {
  const grouped = new Map<string, FieldDifference[]>();
  for (const d of list) grouped.set(d.function, [...(grouped.get(d.function) ?? []), d]);
  return [...grouped].map(
    ([fn, ds]) => `${fn}: ${ds.map((d) => `${d.field} ${d.have} (table: ${d.need})`).join(", ")}`,
  );
}

const closestText = (u: UndeclaredMember) =>
  u.connection ? "(this stack's connection)" : u.closest ? `${u.closest.kind}: ${u.closest.verdict}` : "undeclared";

const keyDays = (k: KeyAudit) => (k.daysLeft === null ? "-" : String(k.daysLeft));

/** One stack, as the terminal shows it. */
export function stackText(s: StackAudit, expiryDays: number): string {
  const out: string[] = [];
  out.push(`Stack ${s.stack}: ${s.tenant}`);
  if (s.error) {
    out.push(`  cannot audit: ${s.error}`, "");
    return out.join("\n");
  }
  out.push("", "API members of the declared integrations (their role against the integration's table):");
  if (s.integrations.length === 0) out.push("  (the stack declares no integration)");
  else
    out.push(
      table(
        ["integration", "member", "role", "status", "beyond", "lacks"],
        s.integrations.map((i) => [
          i.name === i.kind ? i.kind : `${i.name} (${i.kind})`,
          i.member + (i.memberActive || i.status === "missing" ? "" : " (inactive)"),
          i.role || "-",
          i.status,
          String(i.beyond.length),
          String(i.lacks.length),
        ]),
      ).trimEnd(),
    );
  for (const i of s.integrations) {
    const lines = [
      ...byFunction(i.beyond).map((t) => `    beyond its table: ${t}`),
      ...byFunction(i.lacks).map((t) => `    lacks:            ${t}`),
      ...i.notes.map((n) => `    note: ${n}`),
    ];
    if (lines.length > 0) out.push(`  ${i.name} (${i.member}):`, ...lines);
  }
  out.push("", "API members no integration of the stack declares (against the closest known table):");
  if (s.undeclared.length === 0) out.push("  none");
  else {
    out.push(
      table(
        ["member", "role", "active", "closest table"],
        s.undeclared.map((u) => [u.identifier, u.role || "-", u.active ? "yes" : "no", closestText(u)]),
      ).trimEnd(),
    );
    for (const u of s.undeclared.filter((x) => !x.connection)) {
      const lines = u.closest
        ? [
            ...byFunction(u.closest.beyond).map((t) => `    beyond ${u.closest!.kind}: ${t}`),
            ...byFunction(u.closest.lacks).map((t) => `    lacks:  ${t}`),
          ]
        : u.grants.map((g) => `    grants: ${g}`);
      if (lines.length > 0) out.push(`  ${u.identifier}:`, ...lines);
    }
  }
  out.push("", "Roles no active member uses:");
  out.push(
    s.unusedRoles.length === 0
      ? "  none"
      : table(
          ["role", "functions granted", "inactive members on it"],
          s.unusedRoles.map((r) => [r.role, String(r.grants.length), r.inactiveHolders.join(", ") || "-"]),
        ).trimEnd(),
  );
  out.push("", "Inactive members on active roles:");
  out.push(
    s.inactiveMembers.length === 0
      ? "  none"
      : table(
          ["member", "kind", "role"],
          s.inactiveMembers.map((m) => [m.identifier, m.kind, m.role]),
        ).trimEnd(),
  );
  out.push("", `API keys in the stack's state (flagged: expired or within ${expiryDays} days):`);
  if (s.stateNote) out.push(`  ${s.stateNote}`);
  else if (s.keys.length === 0) out.push("  the state holds no API key");
  else
    out.push(
      table(
        ["member", "integration", "expires", "days left", "status"],
        s.keys.map((k) => [
          k.member,
          k.integration || "-",
          k.expiration || "never (console key)",
          keyDays(k),
          k.status,
        ]),
      ).trimEnd(),
    );
  out.push("", `${s.findings} finding(s) for stack ${s.stack}.`, "");
  return out.join("\n");
}

function summaryRows(audit: AccessAudit): string[][] {
  return audit.stacks.map((s) => {
    const n = (status: Status) => String(s.integrations.filter((i) => i.status === status).length);
    return s.error
      ? [s.stack, s.tenant, "-", "-", "-", "-", "-", "-", "-", "-", "-", "error"]
      : [
          s.stack,
          s.tenant,
          n("exact"),
          n("grants more"),
          n("grants less"),
          n("differs"),
          n("missing"),
          String(s.undeclared.filter((u) => !u.connection).length),
          String(s.unusedRoles.length),
          String(s.inactiveMembers.length),
          String(s.keys.filter(flaggedKey).length),
          String(s.findings),
        ];
  });
}

const SUMMARY_HEADER = [
  "stack",
  "tenant",
  "exact",
  "grants more",
  "grants less",
  "differs",
  "missing",
  "undeclared",
  "unused roles",
  "inactive",
  "keys",
  "findings",
];

/** The fleet's summary, then every stack. */
export function auditText(audit: AccessAudit): string {
  const out: string[] = [];
  if (audit.stacks.length > 1) {
    const sum = summarize(audit);
    out.push(
      `Access audit of ${sum.stacks} stack(s): ${sum.findings} finding(s)${sum.failed ? `, ${sum.failed} stack(s) not audited` : ""}`,
      table(SUMMARY_HEADER, summaryRows(audit)).trimEnd(),
      "",
    );
  }
  for (const s of audit.stacks) out.push(stackText(s, audit.expiryDays));
  out.push(
    "Table Setup allow-lists are not compared: the API shows a role's list only to a member on it, with its key.",
  );
  return `${out.join("\n")}\n`;
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ").replace(/</g, "&lt;");

function mdTable(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`].concat(
    rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  );
}

function stackMarkdown(s: StackAudit, expiryDays: number): string[] {
  const out = [`## ${cell(s.stack)}: ${cell(s.tenant)}`, ""];
  if (s.error) return [...out, `Cannot audit: ${cell(s.error)}`, ""];
  out.push(`${s.findings} finding(s).`, "", "### Declared integrations", "");
  if (s.integrations.length === 0) out.push("The stack declares no integration.", "");
  else {
    out.push(
      ...mdTable(
        ["integration", "member", "role", "status", "beyond its table", "lacks, notes"],
        s.integrations.map((i) => [
          i.name === i.kind ? i.kind : `${i.name} (${i.kind})`,
          i.member + (i.memberActive || i.status === "missing" ? "" : " (inactive)"),
          i.role || "-",
          i.status,
          byFunction(i.beyond).join("; ") || "-",
          [...byFunction(i.lacks), ...i.notes].join("; ") || "-",
        ]),
      ),
      "",
    );
  }
  out.push("### API members no integration declares", "");
  if (s.undeclared.length === 0) out.push("None.", "");
  else
    out.push(
      ...mdTable(
        ["member", "role", "active", "closest table", "detail"],
        s.undeclared.map((u) => [
          u.identifier,
          u.role || "-",
          u.active ? "yes" : "no",
          closestText(u),
          u.connection
            ? "-"
            : u.closest
              ? [...byFunction(u.closest.beyond).map((t) => `beyond: ${t}`), ...byFunction(u.closest.lacks)].join(
                  "; ",
                ) || "-"
              : u.grants.join("; ") || "grants nothing",
        ]),
      ),
      "",
    );
  out.push("### Roles no active member uses", "");
  if (s.unusedRoles.length === 0) out.push("None.", "");
  else
    out.push(
      ...mdTable(
        ["role", "functions granted", "inactive members on it"],
        s.unusedRoles.map((r) => [r.role, String(r.grants.length), r.inactiveHolders.join(", ") || "-"]),
      ),
      "",
    );
  out.push("### Inactive members on active roles", "");
  if (s.inactiveMembers.length === 0) out.push("None.", "");
  else
    out.push(
      ...mdTable(
        ["member", "kind", "role"],
        s.inactiveMembers.map((m) => [m.identifier, m.kind, m.role]),
      ),
      "",
    );
  out.push(`### API keys in the state (flagged: expired or within ${expiryDays} days)`, "");
  if (s.stateNote) out.push(cell(s.stateNote), "");
  else if (s.keys.length === 0) out.push("The state holds no API key.", "");
  else
    out.push(
      ...mdTable(
        ["member", "integration", "expires", "days left", "status"],
        s.keys.map((k) => [
          k.member,
          k.integration || "-",
          k.expiration || "never (console key)",
          keyDays(k),
          k.status,
        ]),
      ),
      "",
    );
  return out;
}

/** The Markdown report: with several stacks, the summary first. */
export function auditMarkdown(audit: AccessAudit): string {
  const sum = summarize(audit);
  const out = [
    `# Access audit: ${sum.stacks} stack(s), ${sum.findings} finding(s)`,
    "",
    `Generated ${audit.generatedAt}. Each API member's role is compared with its integration's table as the provider compares it (every function the table does not list must be None). Table Setup allow-lists are not compared.`,
    "",
  ];
  if (audit.stacks.length > 1) {
    out.push("## Summary", "", ...mdTable(SUMMARY_HEADER, summaryRows(audit)), "");
  }
  for (const s of audit.stacks) out.push(...stackMarkdown(s, audit.expiryDays));
  return `${out.join("\n")}\n`;
}
