// Turns one stack's Automation API engine events, and the review records its provider wrote
// (review/recordsFile.ts), into the figures and entries the fleet reports. Pure functions over
// plain data, so they are unit-tested without the CLI. Nothing here reads the provider's lines:
// console steps, drift and the checklist come as records.
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import type { ReviewRecord } from "../../review/records";
import { distinctRecords } from "../../review/recordsFile";
import { formatStep, shown } from "../../review/renderLine";

export type Operation = "preview" | "up" | "refresh";

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

/** One drifted field (absent: the whole object, e.g. a member inactive), as the reports show it. */
export interface Drift {
  type: string;
  label: string;
  field?: string;
  live: string;
  declared: string;
}

/** A guardrail's finding (policy/), as the engine reported it for one stack. */
export interface PolicyFinding {
  policy: string;
  level: "advisory" | "mandatory";
  /** The resource it is about (its name), when the policy named one. */
  resource?: string;
  message: string;
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
  /** The guardrails' findings (empty when the stack runs none, or none fired). */
  policy: PolicyFinding[];
}

const COUNTED = new Set(["create", "update", "delete", "replace"]);

/** The engine's own closing error of a failed operation (no URN): it adds nothing to a checklist. */
const ENGINE_CLOSING = /^(update|preview|refresh) failed$/;

/** A record's place in the report: by URN when the provider server gave one, else by resource. */
const recordKey = (r: ReviewRecord) => r.urn ?? `${r.resource.type} ${r.resource.name}`;

function shortType(type: string): string {
  return type.split(":").pop() ?? type;
}

/** The resource type in a URN (`urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>`). */
function typeOfUrn(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
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
  private readonly policy: PolicyFinding[] = [];
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
    // Only errors: what the provider reports for a reviewer comes as records, not as lines.
    if (d && !d.ephemeral && d.severity === "error")
      this.diagnostics.push({ urn: d.urn, severity: d.severity, message: d.message });
    if (event.summaryEvent) this.summary = event.summaryEvent.resourceChanges;
    const p = event.policyEvent;
    if (p) {
      // The engine's message is the policy's description, then the violation's own text.
      const lines = p.message.trim().split("\n");
      const finding: PolicyFinding = {
        policy: p.policyName,
        level: p.enforcementLevel === "mandatory" ? "mandatory" : "advisory",
        ...(p.resourceUrn && typeOfUrn(p.resourceUrn) !== "pulumi:pulumi:Stack"
          ? { resource: nameOf(p.resourceUrn) }
          : {}),
        message: (lines.length > 1 ? lines.slice(1) : lines).join(" ").trim(),
      };
      if (!this.policy.some((f) => JSON.stringify(f) === JSON.stringify(finding))) this.policy.push(finding);
    }
  }

  /** The figures of the operation, with the review records its provider wrote (none: nothing reported). */
  figures(records: ReviewRecord[] = []): StackFigures {
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

    // A failed up's checklist (its record) is authoritative; otherwise the step records say what is pending.
    const reviewed = distinctRecords(byUrn(records, recordKey));
    const checklists = reviewed.flatMap((r) => (r.kind === "checklist" ? [r] : []));
    const checklist = checklists.length > 0;
    const steps = checklist
      ? checklists.flatMap((r) => r.steps)
      : reviewed.flatMap((r) => (r.kind === "step" ? [r.step] : []));
    const consoleSteps = [...new Set(steps.map(formatStep))];
    const drift: Drift[] = reviewed.flatMap((r) =>
      r.kind === "drift"
        ? [
            {
              type: r.resource.type,
              label: r.resource.name,
              ...(r.field === undefined ? {} : { field: r.field }),
              live: shown(r.from),
              declared: shown(r.to),
            },
          ]
        : [],
    );
    // Errors as the engine printed them, once each. The checklist's own error (on the
    // OperatorChecklist resource) and the engine's closing one are not failures when the
    // checklist record says steps are pending.
    const errors: string[] = [];
    for (const d of byUrn(this.diagnostics, (e) => e.urn ?? "")) {
      if (d.severity !== "error") continue;
      const text = d.message.trim();
      if (checklist && d.urn && shortType(typeOfUrn(d.urn)) === "OperatorChecklist") continue;
      if (checklist && !d.urn && ENGINE_CLOSING.test(text)) continue;
      errors.push(text);
    }
    for (const c of changes) {
      const meta = [...this.steps.values()].find((m) => nameOf(m.urn) === c.name && shortType(m.type) === c.type);
      const label: unknown = (meta?.old?.outputs ?? meta?.old?.inputs)?.name;
      if (c.op === "update" && c.fields.length === 0 && drift.some((d) => d.type === c.type && d.label === label))
        c.driftOnly = true;
    }
    const fromSummary = this.operation === "refresh" && this.summary;
    return {
      creates: count("create"),
      updates: fromSummary ? Math.max(count("update"), this.summary?.update ?? 0) : count("update"),
      deletes: fromSummary ? Math.max(count("delete"), this.summary?.delete ?? 0) : count("delete"),
      replacements: count("replace"),
      changes,
      consoleSteps,
      drift,
      errors,
      onlyStepsPending: checklist && errors.length === 0,
      policy: [...this.policy].sort((a, b) => `${a.policy} ${a.message}`.localeCompare(`${b.policy} ${b.message}`)),
    };
  }
}
