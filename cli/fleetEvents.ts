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
const CHECKLIST_ITEM = /^\s*\d+\. (.+)$/;

function shortType(type: string): string {
  return type.split(":").pop() ?? type;
}

function nameOf(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

function fieldChanges(meta: StepEventMetadata): FieldChange[] {
  const keys = meta.diffs ?? Object.keys(meta.detailedDiff ?? {});
  const olds = meta.old?.outputs ?? meta.old?.inputs ?? {};
  const news = meta.new?.inputs ?? meta.new?.outputs ?? {};
  return keys
    .filter((k) => k !== "__provider")
    .map((field) => {
      // detailedDiff paths ("permissions.Finance/Agreements.add") are resolved one level deep at most.
      const top = field.split(".")[0];
      return { field, old: olds[top], new: news[top] };
    });
}

/** Collects engine events; `figures()` gives the result once the operation has ended. */
export class EventCollector {
  private readonly steps = new Map<string, StepEventMetadata>();
  private readonly diagnostics: { urn?: string; severity: string; message: string }[] = [];
  private summary?: Record<string, number>;
  /** Called on each resource step, for the progress line. */
  onStep?: (count: number) => void;

  constructor(readonly operation: Operation) {}

  add(event: EngineEvent): void {
    const meta = event.resourcePreEvent?.metadata ?? event.resOutputsEvent?.metadata;
    if (meta && meta.type !== "pulumi:pulumi:Stack" && !meta.type.startsWith("pulumi:providers:")) {
      const known = this.steps.get(meta.urn);
      // The outputs event repeats the pre event; a replacement's own create/delete steps are not the replace.
      if (!known || known.op === meta.op || meta.op === "replace") this.steps.set(meta.urn, meta);
      this.onStep?.(this.steps.size);
    }
    const d = event.diagnosticEvent;
    if (d && !d.ephemeral) this.diagnostics.push({ urn: d.urn, severity: d.severity, message: d.message });
    if (event.summaryEvent) this.summary = event.summaryEvent.resourceChanges as Record<string, number>;
  }

  figures(): StackFigures {
    const changes: ResourceChange[] = [];
    for (const meta of this.steps.values()) {
      let op = meta.op as string;
      // Refresh reports each resource as "refresh"; a difference between old and new is drift.
      if (op === "refresh" && (meta.diffs?.length ?? 0) > 0) op = meta.new ? "update" : "delete";
      if (op === "create-replacement" || op === "delete-replaced") op = "replace";
      if (!COUNTED.has(op)) continue;
      const name = nameOf(meta.urn);
      const existing = changes.find((c) => c.name === name && c.type === shortType(meta.type));
      if (existing) continue;
      changes.push({ op: op as ResourceChange["op"], type: shortType(meta.type), name, fields: fieldChanges(meta) });
    }
    const count = (op: string) => changes.filter((c) => c.op === op).length;

    const consoleSteps = new Set<string>();
    const drift: Drift[] = [];
    const errors: string[] = [];
    let checklist = false;
    const seen = new Set<string>();
    for (const d of this.diagnostics) {
      const lines = d.message.split("\n").filter((l) => l.trim() !== "");
      if (d.severity === "error") {
        if (lines.some((l) => CHECKLIST_HEAD.test(l))) {
          checklist = true;
          for (const l of lines) {
            const item = CHECKLIST_ITEM.exec(l);
            if (item) consoleSteps.add(item[1].trim());
          }
        } else errors.push(d.message.trim());
        continue;
      }
      for (const raw of lines) {
        const key = `${d.urn ?? ""}\n${raw.trim()}`;
        if (seen.has(key)) continue; // diff() may run twice for one resource
        seen.add(key);
        const line = parseProviderLine(raw);
        if (!line) continue;
        if (line.kind === "step") consoleSteps.add(`${line.type} ${line.label}: ${line.step}`);
        else if (line.kind === "drift") {
          const { type, label, field, live, declared } = line;
          drift.push({ type, label, field, live, declared });
        } else {
          // Old format: every pending level needs the operator (the API cannot write it); it is
          // also drift when the state recorded another value than the tenant now has.
          consoleSteps.add(`${line.type} ${line.label}: ${line.key} ${line.field}: ${line.live} => ${line.declared}`);
          const recorded = this.recorded(d.urn, line.key, line.field);
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
    // The engine's own closing error ("update failed") carries no urn; it adds nothing to a checklist.
    const realErrors = checklist ? errors.filter((e) => !/^(update|preview|refresh) failed$/.test(e)) : errors;
    const fromSummary = this.operation === "refresh" && this.summary;
    return {
      creates: count("create"),
      updates: fromSummary ? Math.max(count("update"), this.summary?.update ?? 0) : count("update"),
      deletes: fromSummary ? Math.max(count("delete"), this.summary?.delete ?? 0) : count("delete"),
      replacements: count("replace"),
      changes,
      consoleSteps: [...consoleSteps],
      drift,
      errors: realErrors,
      onlyStepsPending: checklist && realErrors.length === 0,
    };
  }

  /** The level the state holds for a role permission ("Finance/Agreements", "add"), if any. */
  private recorded(urn: string | undefined, key: string, field: string): string | undefined {
    const meta = urn ? this.steps.get(urn) : undefined;
    const permissions = (meta?.old?.outputs ?? meta?.old?.inputs)?.permissions as
      Record<string, Record<string, unknown>> | undefined;
    const value = permissions?.[key]?.[field];
    return typeof value === "string" ? value : undefined;
  }
}
