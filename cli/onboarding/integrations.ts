// `npm run integrations`: the integrations a stack can name, shipped (program/presets.json) and the
// user's own (integrations/), each with its tiers and options.
//   npm run integrations                          list them
//   npm run integrations -- show <kind> [--tier <t>] [--options a,b]
//                                                 the console checklist a new tenant would get
//   npm run integrations -- compare <a> <b>       what one grants that the other does not
// Nothing here calls ConnectWise or Pulumi: it reads the definitions only.
import { parseArgs } from "util";
import { catalogKey, catalogOrder, compareLevel, moduleAndFunction, NO_LEVELS, PERMISSION_FIELDS } from "../../catalog";
import type { Level, Levels } from "../../catalog";
import type { ConsoleStep } from "../../review/records";
import { buildChecklist } from "../../review/renderChecklist";
import { actionText } from "../../review/renderLine";
import { BASE, broadest, describeSelection, optionNames, resolveIntegration, tierNames } from "../../program/resolve";
import type { ResolvedIntegration, Selection } from "../../program/resolve";
import { defaultIntegrationsDir, KnownIntegration, knownIntegrations } from "../../program/userIntegrations";
import { CommandIo, runAsMain, table } from "../shared/command";

const USAGE = [
  "usage: npm run integrations [-- <command>]",
  "  (none)                                   list the shipped integrations and those in integrations/",
  "  show <kind> [--tier <t>] [--options a,b] the console checklist a new tenant gets, with its step count",
  "  compare <a> <b>                          what each grants that the other does not (every tier and option)",
  "  --help                                   this text",
].join("\n");

const FIELD_LABEL = { add: "Add Level", edit: "Edit Level", delete: "Delete Level", inquire: "Inquire Level" } as const;

/** The blocks a step's changes come from: "" when all are the base table, else each named ("base + option x"). */
function originOf(origins: string[]): string {
  const distinct = [...new Set(origins)];
  return distinct.every((o) => o === BASE) ? BASE : distinct.join(" + ");
}

/**
 * The console steps a tenant without the role needs, as the provider words them: one per function
 * row with every level above None, then one for the allow-list; each with the blocks it comes from.
 */
export function newTenantSteps(resolved: ResolvedIntegration): (ConsoleStep & { origin: string })[] {
  const steps: (ConsoleStep & { origin: string })[] = [];
  const role = resolved.roleName;
  const keys = Object.keys(resolved.permissions).sort((a, b) => catalogOrder(catalogKey(a) ?? a, catalogKey(b) ?? b));
  for (const key of keys) {
    const { module, function: fn } = moduleAndFunction(catalogKey(key) ?? key);
    const fields = PERMISSION_FIELDS.filter((field) => {
      const level = resolved.permissions[key][field];
      return level !== undefined && level !== "None";
    });
    if (fields.length === 0) continue;
    steps.push({
      menuPath: ["System", "Security Roles", role, module, fn],
      changes: fields.map((field) => ({
        field: FIELD_LABEL[field],
        value: resolved.permissions[key][field]!,
        current: "None",
      })),
      origin: originOf(fields.map((field) => resolved.origins.permissions[key]?.[field] ?? BASE)),
    });
  }
  if (resolved.tableSetup.length > 0)
    steps.push({
      menuPath: ["System", "Security Roles", role, "System", "Table Setup", "Customize"],
      changes: resolved.tableSetup.map((entry) => ({
        field: "Allow access to these",
        value: entry,
        action: "add" as const,
      })),
      origin: originOf(resolved.tableSetup.map((entry) => resolved.origins.tableSetup[entry] ?? BASE)),
    });
  return steps;
}

function list(known: Map<string, KnownIntegration>): string {
  const rows = [...known.values()].map(({ definition: d, from }) => [
    d.id,
    d.integration,
    tierNames(d).length > 0 ? `${tierNames(d).join(" < ")} (default ${resolveIntegration(d).tier})` : "",
    optionNames(d).join(", "),
    from.includes("shipped") ? "shipped" : from,
  ]);
  return table(["kind", "integration", "tiers", "options", "from"], rows);
}

function show(entry: KnownIntegration, selection: Selection): string {
  const resolved = resolveIntegration(entry.definition, selection);
  const steps = newTenantSteps(resolved);
  const checklist = buildChecklist([], "<new tenant>", steps);
  const origin = new Map(steps.map((s) => [`${s.menuPath.join(" > ")} ${actionText(s)}`, s.origin]));
  const lines = [
    `${resolved.integration} (${resolved.id}), ${describeSelection(resolved)}: role "${resolved.roleName}", key "${resolved.keyDescription}"`,
    `A new tenant needs ${checklist.count} console step${checklist.count === 1 ? "" : "s"}, in this order:`,
  ];
  let n = 0;
  for (const group of checklist.groups) {
    lines.push("", group.screen);
    for (const step of group.steps) {
      const s = steps.filter((x) => `${x.menuPath.slice(3).join(" > ")}: ${actionText(x)}` === step.text)[0];
      const from = s ? origin.get(`${s.menuPath.join(" > ")} ${actionText(s)}`) : undefined;
      lines.push(`  ${++n}. ${step.text}${from && from !== BASE ? `  [${from}]` : ""}`);
    }
  }
  lines.push("", `Sources: ${resolved.sources.join(" ; ") || "none given"}`);
  for (const note of resolved.notes ?? []) lines.push(`Note: ${note}`);
  return `${lines.join("\n")}\n`;
}

/** Levels of `a` above `b`'s, function by function: "System/Security edit All (other: None)". */
export function grantsBeyond(a: ResolvedIntegration, b: ResolvedIntegration): string[] {
  const found: string[] = [];
  const levels = (r: ResolvedIntegration, key: string): Levels => ({ ...NO_LEVELS, ...(r.permissions[key] ?? {}) });
  for (const key of Object.keys(a.permissions).sort((x, y) => x.localeCompare(y)))
    for (const field of PERMISSION_FIELDS) {
      const mine: Level = levels(a, key)[field];
      const theirs: Level = levels(b, key)[field];
      if (compareLevel(mine, theirs) === "more") found.push(`${key} ${field} ${mine} (${b.id}: ${theirs})`);
    }
  for (const entry of a.tableSetup)
    if (b.tableSetup.length > 0 && !b.tableSetup.includes(entry)) found.push(`Table Setup "${entry}"`);
  if (a.tableSetup.length === 0 && b.tableSetup.length > 0 && a.permissions["System/Table Setup"]?.inquire === "All")
    found.push("every Table Setup table (no allow-list)");
  return found;
}

function compare(a: KnownIntegration, b: KnownIntegration): string {
  const ra = broadest(a.definition);
  const rb = broadest(b.definition);
  const lines: string[] = [];
  for (const [x, y] of [
    [ra, rb],
    [rb, ra],
  ]) {
    const beyond = grantsBeyond(x, y);
    lines.push(`${x.id} grants what ${y.id} does not (${beyond.length}):`);
    lines.push(...(beyond.length > 0 ? beyond.map((l) => `  ${l}`) : ["  nothing"]));
  }
  return `${lines.join("\n")}\n`;
}

export function main(argv: string[], io: CommandIo): Promise<number> {
  return Promise.resolve(run(argv, io));
}

function run(argv: string[], io: CommandIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        tier: { type: "string" },
        options: { type: "string" },
        dir: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    io.err(`integrations: ${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const known = knownIntegrations(values.dir ?? defaultIntegrationsDir());
  const find = (kind: string | undefined): KnownIntegration => {
    if (!kind) throw new Error(`name an integration; known: ${[...known.keys()].join(", ")}`);
    const entry = known.get(kind);
    if (!entry) throw new Error(`no integration "${kind}"; known: ${[...known.keys()].join(", ")}`);
    return entry;
  };
  const [command, ...rest] = positionals;
  try {
    if (command === undefined || command === "list") io.out(list(known));
    else if (command === "show") {
      const options =
        values.options === undefined
          ? undefined
          : values.options
              .split(",")
              .map((o) => o.trim())
              .filter(Boolean);
      io.out(show(find(rest[0]), { tier: values.tier, options }));
    } else if (command === "compare") {
      if (rest.length !== 2) throw new Error("compare takes two integrations");
      io.out(compare(find(rest[0]), find(rest[1])));
    } else throw new Error(`unknown command "${command}"`);
  } catch (error) {
    io.err(`integrations: ${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  return 0;
}

if (require.main === module) runAsMain("integrations", main);
