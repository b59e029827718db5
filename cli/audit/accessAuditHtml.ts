// The access audit as one self-contained HTML page: a matrix of tenants (stacks) by integrations,
// each cell coloured by how the member's role compares with the integration's table, its detail
// on hover (title) and on click (a panel below). No external asset and no network: inline style
// and script only, and a Content-Security-Policy that forbids any fetch and allows only that
// script (by its hash). Every text from a tenant (role and member names) is escaped.
import { createHash } from "crypto";
import {
  AccessAudit,
  byFunction,
  IntegrationAudit,
  StackAudit,
  summarize,
  UndeclaredMember,
} from "./accessAuditReport";

/** Text as HTML text or attribute value: nothing in it can open a tag or end an attribute. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

/** The cell classes, worst first: a cell with several members shows its worst. */
export const CELL_CLASSES = ["missing", "unknown", "differs", "more", "less", "exact"] as const;
export type CellClass = (typeof CELL_CLASSES)[number] | "none";

const CLASS_OF: Record<IntegrationAudit["status"], CellClass> = {
  missing: "missing",
  unknown: "unknown",
  differs: "differs",
  "grants more": "more",
  "grants less": "less",
  exact: "exact",
};

const LABEL: Record<CellClass, string> = {
  missing: "missing",
  unknown: "unknown",
  differs: "grants more and less",
  more: "grants more",
  less: "grants less",
  exact: "exact",
  none: "not declared",
};

/** The integrations (columns): every kind a stack declares, then those undeclared members come closest to. */
export function columnsOf(audit: AccessAudit): string[] {
  const declared = audit.stacks.flatMap((s) => s.integrations.map((i) => i.kind));
  const closest = audit.stacks.flatMap((s) =>
    s.undeclared.flatMap((u) => (u.closest && !u.connection ? [u.closest.kind] : [])),
  );
  return [...new Set([...declared, ...closest])].sort();
}

interface Cell {
  cls: CellClass;
  undeclaredOnly: boolean;
  /** A member of the cell is inactive. */
  inactive: boolean;
  lines: string[];
}

function integrationLines(i: IntegrationAudit): string[] {
  return [
    `${i.name}: member ${i.member || "(none named)"}${i.role ? ` on role "${i.role}"` : ""}: ${i.status}`,
    ...byFunction(i.beyond).map((t) => `  beyond its table: ${t}`),
    ...byFunction(i.lacks).map((t) => `  lacks: ${t}`),
    ...i.notes.map((n) => `  note: ${n}`),
  ];
}

function undeclaredLines(u: UndeclaredMember): string[] {
  const c = u.closest!;
  return [
    `undeclared API member ${u.identifier}${u.active ? "" : " (inactive)"} on role "${u.role}": closest to ${c.kind}, ${c.verdict}`,
    ...byFunction(c.beyond).map((t) => `  beyond ${c.kind}: ${t}`),
    ...byFunction(c.lacks).map((t) => `  lacks: ${t}`),
  ];
}

function cellOf(s: StackAudit, kind: string): Cell {
  const declared = s.integrations.filter((i) => i.kind === kind);
  const undeclared = s.undeclared.filter((u) => !u.connection && u.closest?.kind === kind);
  if (declared.length === 0 && undeclared.length === 0)
    return { cls: "none", undeclaredOnly: false, inactive: false, lines: [] };
  const classes = [...declared.map((i) => CLASS_OF[i.status]), ...undeclared.map((u) => CLASS_OF[u.closest!.verdict])];
  const cls = CELL_CLASSES.find((c) => classes.includes(c)) ?? "none";
  return {
    cls,
    undeclaredOnly: declared.length === 0,
    inactive: declared.some((i) => i.status !== "missing" && !i.memberActive) || undeclared.some((u) => !u.active),
    lines: [...declared.flatMap(integrationLines), ...undeclared.flatMap(undeclaredLines)],
  };
}

/** Findings that are not about one integration: undeclared members no table is close to, roles, inactive members, keys. */
function otherFindings(s: StackAudit, expiryDays: number): string[] {
  return [
    ...s.undeclared
      .filter((u) => !u.connection && !u.closest)
      .map(
        (u) =>
          `API member ${u.identifier} (role "${u.role}") belongs to no declared integration and is close to no known table; grants ${u.grants.length} function(s)`,
      ),
    ...s.unusedRoles.map(
      (r) =>
        `role "${r.role}" has no active member (grants ${r.grants.length} function(s)${r.inactiveHolders.length ? `; inactive members on it: ${r.inactiveHolders.join(", ")}` : ""})`,
    ),
    ...s.inactiveMembers.map((m) => `inactive ${m.kind} ${m.identifier} is still on active role "${m.role}"`),
    ...s.keys
      .filter((k) => k.status === "expired" || k.status === "near expiry")
      .map(
        (k) =>
          `API key of ${k.member} ${k.status === "expired" ? "expired" : `expires in ${k.daysLeft} day(s), within ${expiryDays}`} (${k.expiration})`,
      ),
  ];
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d1d1f; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.meta { color: #555; margin: 0 0 16px; }
.figures { display: flex; flex-wrap: wrap; gap: 8px; margin: 0 0 20px; padding: 0; list-style: none; }
.figures li { border: 1px solid #ddd; border-radius: 6px; padding: 6px 10px; }
.figures b { font-size: 18px; display: block; }
table.matrix { border-collapse: separate; border-spacing: 3px; }
table.matrix th { text-align: left; font-weight: 600; padding: 4px 8px; }
table.matrix thead th { writing-mode: horizontal-tb; vertical-align: bottom; }
table.matrix th.tenant small { display: block; color: #666; font-weight: 400; }
td.cell { padding: 0; }
td.cell button { width: 100%; min-width: 120px; height: 44px; border: 2px solid transparent; border-radius: 6px;
  font: inherit; font-weight: 600; cursor: pointer; }
td.cell button:focus-visible, td.cell button.selected { border-color: #1d1d1f; }
.exact button, .legend .exact { background: #b9e4c0; color: #0d4a1a; }
.more button, .legend .more { background: #f7b2ad; color: #6b0d07; }
.less button, .legend .less { background: #fde39b; color: #5c4300; }
.differs button, .legend .differs { background: repeating-linear-gradient(135deg, #f7b2ad 0 10px, #fde39b 10px 20px); color: #4a1f00; }
.missing button, .legend .missing { background: #6e6e73; color: #fff; }
.unknown button, .legend .unknown { background: #d1c4e9; color: #311b92; }
.none button, .legend .none { background: #f2f2f4; color: #888; font-weight: 400; cursor: default; }
td.cell.undeclared button { border-style: dashed; border-color: #555; }
td.count { text-align: center; font-weight: 600; padding: 0 10px; }
td.cell.inactive button { font-style: italic; }
td.error { background: #fde8e8; color: #8a1010; padding: 6px 10px; border-radius: 6px; }
.legend { display: flex; gap: 8px; flex-wrap: wrap; margin: 12px 0; padding: 0; list-style: none; }
.legend li { padding: 4px 10px; border-radius: 6px; }
#detail { margin: 16px 0; padding: 12px 16px; border: 1px solid #ccc; border-radius: 6px; min-height: 3em; background: #fafafa; }
#detail pre { margin: 0; white-space: pre-wrap; font: 13px/1.45 ui-monospace, monospace; }
#detail .hint { color: #777; }
h2 { font-size: 16px; margin: 24px 0 8px; }
ul.others li { margin: 2px 0; }
`;

// A cell's detail (already in the page, escaped) shows in the panel on hover, and stays there on
// click (the clicked cell is outlined); leaving the matrix shows the clicked one again. No data
// goes through innerHTML.
const SCRIPT = `
(function () {
  var pinned = null;
  function show(id) {
    var shown = null;
    document.querySelectorAll("#detail [data-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for") !== id;
      if (!el.hidden) shown = el;
    });
    document.querySelector("#detail .hint").hidden = !!shown;
  }
  function cellOf(event) {
    return event.target.closest ? event.target.closest("button[data-detail]") : null;
  }
  document.addEventListener("click", function (event) {
    var button = cellOf(event);
    if (!button) return;
    document.querySelectorAll("button.selected").forEach(function (el) { el.classList.remove("selected"); });
    button.classList.add("selected");
    pinned = button.getAttribute("data-detail");
    show(pinned);
  });
  document.addEventListener("mouseover", function (event) {
    var button = cellOf(event);
    if (button) show(button.getAttribute("data-detail"));
  });
  document.querySelector("table.matrix").addEventListener("mouseleave", function () { show(pinned); });
})();
`;

/** The whole page. */
export function auditHtml(audit: AccessAudit): string {
  const columns = columnsOf(audit);
  const sum = summarize(audit);
  const e = escapeHtml;
  const details: string[] = [];
  const rows = audit.stacks.map((s, r) => {
    const head = `<th class="tenant" scope="row">${e(s.stack)}<small>${e(s.tenant)}</small></th>`;
    if (s.error)
      return `<tr>${head}<td class="error" colspan="${columns.length + 1}">cannot audit: ${e(s.error)}</td></tr>`;
    const cells = columns.map((kind, c) => {
      const cell = cellOf(s, kind);
      const id = `c${r}-${c}`;
      const title = cell.lines.length ? cell.lines.join("\n") : `${kind}: not declared in ${s.stack}`;
      if (cell.lines.length)
        details.push(
          `<div data-for="${id}" hidden><pre>${e(`${s.stack} (${s.tenant}) / ${kind}\n${cell.lines.join("\n")}`)}</pre></div>`,
        );
      const classes = ["cell", cell.cls, cell.undeclaredOnly ? "undeclared" : "", cell.inactive ? "inactive" : ""]
        .filter(Boolean)
        .join(" ");
      const label = LABEL[cell.cls] + (cell.inactive ? ", inactive" : "") + (cell.undeclaredOnly ? " *" : "");
      const button = cell.lines.length
        ? `<button type="button" data-detail="${id}" title="${e(title)}">${e(label)}</button>`
        : `<button type="button" disabled title="${e(title)}">${e(label)}</button>`;
      return `<td class="${classes}" data-stack="${e(s.stack)}" data-kind="${e(kind)}" data-status="${cell.cls}">${button}</td>`;
    });
    return `<tr>${head}${cells.join("")}<td class="count">${s.findings}</td></tr>`;
  });
  const others = audit.stacks.flatMap((s) =>
    s.error ? [] : otherFindings(s, audit.expiryDays).map((f) => `<li><b>${e(s.stack)}</b>: ${e(f)}</li>`),
  );
  const notes = audit.stacks.flatMap((s) =>
    s.stateNote ? [`<li><b>${e(s.stack)}</b>: API keys: ${e(s.stateNote)}</li>`] : [],
  );
  const figures: [string, number][] = [
    ["stacks", sum.stacks],
    ["findings", sum.findings],
    ["exact", sum.exact],
    ["grant more", sum.grantsMore],
    ["grant less", sum.grantsLess],
    ["more and less", sum.differs],
    ["missing", sum.missing],
    ["unknown", sum.unknown],
    ["undeclared members", sum.undeclared],
    ["unused roles", sum.unusedRoles],
    ["inactive on active roles", sum.inactiveMembers],
    ["keys expiring", sum.keysFlagged],
    ["not audited", sum.failed],
  ];
  const hash = createHash("sha256").update(SCRIPT).digest("base64");
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; img-src 'none'; form-action 'none'; base-uri 'none'`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Access audit: ${sum.stacks} stack(s), ${sum.findings} finding(s)</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Access audit</h1>
<p class="meta">${e(audit.generatedAt)}: each declared API member's role against its integration's table (every function the table does not list must be None). Table Setup allow-lists are not compared.</p>
<ul class="figures">${figures.map(([label, n]) => `<li><b>${n}</b>${e(label)}</li>`).join("")}</ul>
<table class="matrix">
<thead><tr><th scope="col">tenant</th>${columns.map((k) => `<th scope="col">${e(k)}</th>`).join("")}<th scope="col">findings</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
<ul class="legend">${(["exact", "more", "less", "differs", "missing", "unknown", "none"] as const).map((c) => `<li class="${c}">${LABEL[c]}</li>`).join("")}<li>* an API member no integration declares, closest to this table</li></ul>
<section id="detail" aria-live="polite"><p class="hint">Click a cell for its detail (hover shows it too).</p>
${details.join("\n")}
</section>
<h2>Other findings</h2>
${others.length ? `<ul class="others">${others.join("")}</ul>` : "<p>None.</p>"}
${notes.length ? `<h2>Notes</h2><ul class="notes">${notes.join("")}</ul>` : ""}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
