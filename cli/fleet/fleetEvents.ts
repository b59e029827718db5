// Turns one stack's Automation API engine events into the figures and lines the fleet reports.
// Pure functions over plain data, so the parsing is unit-tested without the CLI.
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";

export type Operation = "preview" | "up" | "refresh";

/** One line of the provider's diagnostics, read by parseProviderLine. */
export type ProviderLine =
  | { kind: "step"; type: string; label: string; step: string }
  | { kind: "drift"; type: string; label: string; field: string; live: string; declared: string }
  /** Today's role/Table Setup format: "<Type> <label>: <key> <field>: <live> => <declared>" (drift or step: unknown). */
  | { kind: "difference"; type: string; label: string; key: string; field: string; live: string; declared: string };

const STEP = /^(\w+) (.+?): needs the operator: (.+)$/;
const DRIFT = /^(\w+) (.+?): drift: (.+?): (.*) => (.*)$/;
const DIFFERENCE = /^(\w+) (.+?): (.+) (\w+): (.*) => (.*)$/;

/**
 * The contract with the provider's diagnostics, in one place. New format: "<Type> <label>: needs
 * the operator: <step>" and "<Type> <label>: drift: <field>: <live> => <declared>"; old format:
 * "SecurityRole <name>: <Module>/<Function> <field>: <live> => <declared>". Anything else: undefined.
 */
export function parseProviderLine(raw: string): ProviderLine | undefined {
  const line = raw.trim();
  let m = STEP.exec(line);
  if (m) return { kind: "step", type: m[1], label: m[2], step: m[3] };
  m = DRIFT.exec(line);
  if (m) return { kind: "drift", type: m[1], label: m[2], field: m[3], live: m[4], declared: m[5] };
  m = DIFFERENCE.exec(line);
  if (m) return { kind: "difference", type: m[1], label: m[2], key: m[3], field: m[4], live: m[5], declared: m[6] };
  return undefined;
}

export interface FieldChange {
  field: string;
  old?: unknown;
  new?: unknown;
}

/** A resource the operation creates, updates, deletes or replaces (or, for refresh, finds changed). */
export interface ResourceChange {
  op: "create" | "update" | "delete" | "replace";
  /** The resource's type without its package: SecurityRole, ApiMember, ApiKey, TableSetupAccess. */
  type: string;
  name: string;
  fields: FieldChange[];
  /** Nothing in the program or config changed: the update only restores drift listed apart. */
  driftOnly?: boolean;
}

export interface Drift {
  type: string;
  label: string;
  field: string;
  live: string;
  declared: string;
}

export interface StackFigures {
  creates: number;
  updates: number;
  deletes: number;
  replacements: number;
  changes: ResourceChange[];
  /** Console steps the next `up` (the merge) will leave to the operator. */
  consoleSteps: string[];
  /** The live tenant differs from the state. */
  drift: Drift[];
  /** Errors the engine or provider reported, as printed (already free of secrets by then). */
  errors: string[];
  /** The run failed only because console steps remain (up's partial failure with a checklist). */
  onlyStepsPending: boolean;
}

const COUNTED = new Set(["create", "update", "delete", "replace"]);
const CHECKLIST_HEAD = / needs \d+ console steps?:/;
const ERRORS_HEAD = /^\d+ errors? occurred:$/;
const CHECKLIST_ITEM = /^\s*(?:\* )?\d+\. (.+)$/;
const SCREEN_HEADING = /^[^:]+( > [^:]+)+$/;

/**
 * The console steps in an error the provider ended a create/update with, or undefined when the
 * error is something else. The engine prints a partial failure's reasons as "N errors occurred:"
 * then "* 1. <step>" lines; the provider's own message starts "<resource> on <tenant> needs N console steps:".
 */
export function checklistSteps(message: string): string[] | undefined {
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const items = lines.map((l) => CHECKLIST_ITEM.exec(l)?.[1].trim());
  // The stack's checklist (OperatorChecklist) numbers its steps under one heading per screen
  // ("System > Security Roles > ElementsAPI"): a step is that heading's path plus its own.
  let screen = "";
  const steps: string[] = [];
  lines.forEach((line, i) => {
    const item = items[i];
    if (item === undefined) screen = SCREEN_HEADING.test(line) ? line : screen;
    else steps.push(screen ? `${screen} > ${item}` : item);
  });
  if (steps.length === 0) return undefined;
  if (lines.some((l) => CHECKLIST_HEAD.test(l))) return steps;
  const others = lines.filter((_, i) => items[i] === undefined);
  return others.every((l) => ERRORS_HEAD.test(l)) ? steps : undefined;
}

function shortType(type: string): string {
  return type.split(":").pop() ?? type;
}

function nameOf(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Leaf-level differences ("permissions Finance/Agreements add"), so a role shows per permission. */
export function leafChanges(olds: unknown, news: unknown, path: string[] = []): FieldChange[] {
  if (isRecord(olds) && isRecord(news) && path.length < 4) {
    const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => k !== "__provider");
    return keys.flatMap((k) => leafChanges(olds[k], news[k], [...path, k]));
  }
  if (JSON.stringify(olds) === JSON.stringify(news)) return [];
  return [{ field: path.join(" "), old: olds, new: news }];
}

function fieldChanges(meta: StepEventMetadata): FieldChange[] {
  // Dynamic providers return no detailed diff: compare the state's inputs with the new ones.
  const olds = meta.old?.inputs;
  const news = meta.new?.inputs;
  if (!olds || !news) return [];
  return leafChanges(olds, news);
}

/** Collects engine events; `figures()` gives the result once the operation has ended. */
export class EventCollector {
  private readonly steps = new Map<string, StepEventMetadata>();
  private readonly diagnostics: { urn?: string; severity: string; message: string }[] = [];
  private summary?: Record<string, number>;
  /** Called on each resource step, for the progress line. */
  onStep?: (count: number) => void;

  /** Every event, kept when FLEET_DEBUG_EVENTS names a directory (a development aid). */
  readonly events?: EngineEvent[] = process.env.FLEET_DEBUG_EVENTS ? [] : undefined;

  constructor(readonly operation: Operation) {}

  add(event: EngineEvent): void {
    this.events?.push(event);
    const meta = event.resourcePreEvent?.metadata ?? event.resOutputsEvent?.metadata;
    if (meta && meta.type !== "pulumi:pulumi:Stack" && !meta.type.startsWith("pulumi:providers:")) {
      const known = this.steps.get(meta.urn);
      // The outputs event repeats the pre event; a replacement's own create/delete steps are not the replace.
      // refresh's outputs event says what the pre event could not: "same", "update" or "delete".
      if (!known || known.op === meta.op || known.op === "refresh" || meta.op === "replace")
        this.steps.set(meta.urn, meta);
      this.onStep?.(this.steps.size);
    }
    const d = event.diagnosticEvent;
    if (d && !d.ephemeral) this.diagnostics.push({ urn: d.urn, severity: d.severity, message: d.message });
    if (event.summaryEvent) this.summary = event.summaryEvent.resourceChanges;
  }

  figures(): StackFigures {
    const changes: ResourceChange[] = [];
    // With parallel diff, resources report in the order their diffs finish: sort by URN (a stable
    // sort keeps each resource's own lines in order) so a pull-request comment reads the same twice.
    const byUrn = <T>(entries: T[], urn: (e: T) => string) => [...entries].sort((a, b) => urn(a).localeCompare(urn(b)));
    for (const meta of byUrn([...this.steps.values()], (m) => m.urn)) {
      let op = meta.op as string;
      let fields = fieldChanges(meta);
      if (op === "refresh") {
        // Refresh reports each resource as "refresh", without diffs from a dynamic provider: what
        // read() returned (new) against the state (old) is the drift.
        if (!meta.new) op = "delete";
        else {
          fields = leafChanges(meta.old?.outputs, meta.new.outputs);
          if (fields.length > 0 || (meta.diffs?.length ?? 0) > 0) op = "update";
        }
      } else if (this.operation === "refresh" && fields.length === 0 && meta.old && meta.new)
        fields = leafChanges(meta.old.outputs, meta.new.outputs);
      if (op === "create-replacement" || op === "delete-replaced") op = "replace";
      if (!COUNTED.has(op)) continue;
      const name = nameOf(meta.urn);
      const existing = changes.find((c) => c.name === name && c.type === shortType(meta.type));
      if (existing) continue;
      changes.push({ op: op as ResourceChange["op"], type: shortType(meta.type), name, fields });
    }
    const count = (op: string) => changes.filter((c) => c.op === op).length;

    // A failed up's checklist is authoritative; otherwise the diagnostics' lines say what is pending.
    const checklistItems = new Set<string>();
    const consoleSteps = new Set<string>();
    const drift: Drift[] = [];
    const errors: string[] = [];
    let checklist = false;
    const seen = new Set<string>();
    for (const d of byUrn(this.diagnostics, (e) => e.urn ?? "")) {
      if (d.severity === "debug") continue;
      const lines = d.message.split("\n").filter((l) => l.trim() !== "");
      if (d.severity === "error") {
        const steps = checklistSteps(d.message);
        if (steps) {
          checklist = true;
          for (const step of steps) checklistItems.add(step);
        } else errors.push(d.message.trim());
        continue;
      }
      for (const raw of lines) {
        const key = `${d.urn ?? ""}\n${raw.trim()}`;
        if (seen.has(key)) continue; // diff() may run twice for one resource
        seen.add(key);
        const line = parseProviderLine(raw);
        if (!line) continue;
        // A step that is a full menu path already names its role's screen: no need to repeat the label.
        if (line.kind === "step")
          consoleSteps.add(line.step.startsWith("System > ") ? line.step : `${line.type} ${line.label}: ${line.step}`);
        else if (line.kind === "drift") {
          const { type, label, field, live, declared } = line;
          drift.push({ type, label, field, live, declared });
        } else {
          // Old format: every pending level needs the operator (the API cannot write it); it is
          // also drift when the state recorded another value than the tenant now has.
          consoleSteps.add(`${line.type} ${line.label}: ${line.key} ${line.field}: ${line.live} => ${line.declared}`);
          const recorded = this.recorded(d.urn, line.type, line.label, line.key, line.field);
          if (recorded !== undefined && recorded !== line.live)
            drift.push({
              type: line.type,
              label: line.label,
              field: `${line.key} ${line.field}`,
              live: line.live,
              declared: line.declared,
            });
        }
      }
    }
    for (const c of changes) {
      const meta = [...this.steps.values()].find((m) => nameOf(m.urn) === c.name && shortType(m.type) === c.type);
      const label: unknown = (meta?.old?.outputs ?? meta?.old?.inputs)?.name;
      if (c.op === "update" && c.fields.length === 0 && drift.some((d) => d.type === c.type && d.label === label))
        c.driftOnly = true;
    }
    // The engine's own closing error ("update failed") carries no urn; it adds nothing to a checklist.
    const realErrors = checklist ? errors.filter((e) => !/^(update|preview|refresh) failed$/.test(e)) : errors;
    const fromSummary = this.operation === "refresh" && this.summary;
    return {
      creates: count("create"),
      updates: fromSummary ? Math.max(count("update"), this.summary?.update ?? 0) : count("update"),
      deletes: fromSummary ? Math.max(count("delete"), this.summary?.delete ?? 0) : count("delete"),
      replacements: count("replace"),
      changes,
      consoleSteps: checklist ? [...checklistItems] : [...consoleSteps],
      drift,
      errors: realErrors,
      onlyStepsPending: checklist && realErrors.length === 0,
    };
  }

  /** The level the state holds for a role permission ("Finance/Agreements", "add"), if any. */
  private recorded(urn: string | undefined, type: string, label: string, key: string, field: string) {
    // The provider's stderr reaches the engine without a urn: find the resource by type and name.
    const meta =
      (urn ? this.steps.get(urn) : undefined) ??
      [...this.steps.values()].find(
        (m) => shortType(m.type) === type && (m.old?.outputs ?? m.old?.inputs)?.name === label,
      );
    const permissions = (meta?.old?.outputs ?? meta?.old?.inputs)?.permissions as
      Record<string, Record<string, unknown>> | undefined;
    const value = permissions?.[key]?.[field];
    return typeof value === "string" ? value : undefined;
  }
}
