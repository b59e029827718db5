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
  /** The name the resource's review records give it (`APIMember`, `for member APIMember`), when known. */
  label?: string;
}

/** One drifted field (absent: the whole object, e.g. a member inactive), as the reports show it. */
export interface Drift {
  type: string;
  label: string;
  field?: string;
  live: string;
  declared: string;
  /** What resolves it when `up` alone does not. */
  remedy?: string;
}

/**
 * The engine's stand-in for a value not known until `up` (an output of a resource the operation
 * creates or replaces). A value, never shown as one: the reports say "(known after up)".
 */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Inputs a new resource's entry does not list: the provider's code, markers and the program's internals. */
const NOT_SHOWN_AT_CREATE = new Set(["__provider", "owner", "roleDeclared", "permissions", "publicKey", "privateKey"]);

/** What a new resource is declared with, as its entry lists it: plain values, no secret, nothing unknown. */
function declaredFields(inputs: Record<string, unknown> | undefined, side: "old" | "new"): FieldChange[] {
  const fields: FieldChange[] = [];
  for (const [field, value] of Object.entries(inputs ?? {})) {
    if (NOT_SHOWN_AT_CREATE.has(field) || value === undefined || value === null || value === false) continue;
    if (value === UNKNOWN_VALUE || value === "[secret]") continue;
    const plainList = Array.isArray(value) && value.every((v) => typeof v === "string" && v !== UNKNOWN_VALUE);
    if (typeof value === "string" || typeof value === "number" || value === true || plainList)
      fields.push({ field, [side]: value });
  }
  return fields;
}

/** The name a resource's review records give it (provider/*: resourceOf), from its inputs or outputs. */
function recordLabel(type: string, props: Record<string, unknown> | undefined): string | undefined {
  if (!props) return undefined;
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  if (type === "SecurityRole") return text(props.name);
  if (type === "ApiMember") return text(props.identifier);
  if (type === "ApiKey") return `for member ${text(props.member)}`;
  if (type === "TableSetupAccess") return `${text(props.role)}/${text(props.member)}`;
  return undefined;
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
  /** The runbook the checklist was written to (up with steps pending). */
  runbook?: string;
  /** The guardrails' findings (empty when the stack runs none, or none fired). */
  policy: PolicyFinding[];
}

const COUNTED = new Set(["create", "update", "delete", "replace"]);

/** The engine's own closing error of a failed operation (no URN): it adds nothing to a checklist. */
const ENGINE_CLOSING = /^(update|preview|refresh) failed$/;

/** A record's place in the report: by URN when the provider server gave one, else by resource. */
const recordKey = (r: ReviewRecord) => r.urn ?? `${r.resource.type} ${r.resource.name}`;

function shortType(type: string): string {
  // The Integration component: `connectwise:integration:<kind>`.
  if (type.startsWith("connectwise:integration:")) return "Integration";
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
      // The checklist's own inputs are the other resources' steps: the console steps show them.
      if (shortType(meta.type) === "OperatorChecklist") continue;
      // A new resource lists what it is declared with; a removed one, what it was.
      if (op === "create") fields = declaredFields(meta.new?.inputs, "new");
      if (op === "delete" && this.operation !== "refresh") fields = declaredFields(meta.old?.inputs, "old");
      const name = nameOf(meta.urn);
      const existing = changes.find((c) => c.name === name && c.type === shortType(meta.type));
      if (existing) continue;
      const type = shortType(meta.type);
      const label = recordLabel(type, (meta.old?.outputs ?? meta.new?.outputs) as Record<string, unknown> | undefined);
      changes.push({ op: op as ResourceChange["op"], type, name, fields, ...(label ? { label } : {}) });
    }

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
              ...(r.remedy ? { remedy: r.remedy } : {}),
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
    // An update or replacement with no input changed that restores drift found on the resource
    // (a member reactivated, a revoked key re-minted) is not a change of the pull request: the
    // drift lists it. Its records are matched by URN (our provider server) or by the name the
    // records give the resource (the SDK's).
    const driftedUrns = new Set(reviewed.flatMap((r) => (r.kind === "drift" && r.urn ? [r.urn] : [])));
    const drifted = (type: string, label: string | undefined) =>
      label !== undefined && drift.some((d) => d.type === type && d.label === label);
    for (const c of changes) {
      const meta = [...this.steps.values()].find((m) => nameOf(m.urn) === c.name && shortType(m.type) === c.type);
      if (!meta || (c.op !== "update" && c.op !== "replace") || c.fields.length > 0) continue;
      const old = (meta.old?.outputs ?? meta.old?.inputs) as Record<string, unknown> | undefined;
      if (driftedUrns.has(meta.urn) || drifted(c.type, recordLabel(c.type, old))) c.driftOnly = true;
    }
    // What only follows such a restore (a new key's values, unknown until up, in the inputs of the
    // resources that use it) is not one either, unless the pull request changes something itself.
    const real = changes.filter((c) => !c.driftOnly);
    const follows = (c: ResourceChange) =>
      c.op === "update" && c.fields.every((f) => f.new === UNKNOWN_VALUE || f.new === "[secret]");
    if (changes.some((c) => c.driftOnly) && real.every(follows)) for (const c of real) c.driftOnly = true;
    // The counts are the pull request's: what restores drift is counted as drift.
    const count = (op: string) => changes.filter((c) => c.op === op && !c.driftOnly).length;
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
      ...(checklists.find((r) => r.runbook) ? { runbook: checklists.find((r) => r.runbook)!.runbook } : {}),
      policy: [...this.policy].sort((a, b) => `${a.policy} ${a.message}`.localeCompare(`${b.policy} ${b.message}`)),
    };
  }
}
