// Review records: what preview, up and refresh find for a reviewer, as data. Every console step,
// drift and notice a handler reports is one record; the terminal line (a diagnostic on the
// resource), the checklist, the runbook and the fleet's JSON and Markdown are renderings of
// records (review/render*.ts). They travel from the provider process to the commands that
// present them as JSON lines in a records file (review/recordsFile.ts), never as text to parse.
// This module holds types and constructors only: the provider, the resources (types), the CLIs
// and the tests all import it, so it loads nothing.

/** One value the operator sets on a console step's screen row. */
export interface ConsoleChange {
  /** The field on that page, e.g. "Add Level", "Allow access to these". */
  field: string;
  /** What to set it to (for list fields: the entry to add or remove). */
  value: string;
  /** What it is now, when known. */
  current?: string;
  /**
   * How it reads: "set" (default) "set {field} to {value}"; "add"/"remove" for list fields:
   * "add '{value}' in {field}" / "remove '{value}' from {field}".
   */
  action?: "set" | "add" | "remove";
}

/**
 * One thing the operator does in one pass over one row of the Manage UI (SecurityRole and
 * TableSetupAccess `pendingSteps`): a role's function row with every level to set on it, or a
 * role's Table Setup allow-list with every entry to add or remove. The renderers word it
 * (review/renderLine.ts); the changes stay data, so each is verified on its own at the next read.
 */
export interface ConsoleStep {
  /** The screen path, e.g. ["System", "Security Roles", "ElementsAPI", "Finance", "Agreements"]. */
  menuPath: string[];
  /** What to change on that row, in the order the screen shows the fields (never empty). */
  changes: ConsoleChange[];
}

/** A step as a state written before steps were grouped per row holds it (one change, inline). */
type LegacyStep = { menuPath: string[] } & ConsoleChange;

/** The changes of a step, also of one kept in an older state (one change per step then). */
export function changesOf(step: ConsoleStep | LegacyStep): ConsoleChange[] {
  if (Array.isArray((step as ConsoleStep).changes)) return (step as ConsoleStep).changes;
  const { menuPath: _path, ...change } = step as LegacyStep;
  void _path;
  return typeof change.field === "string" ? [change] : [];
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
  /**
   * Set when the POST was answered but the run died before saving the key (the create journal
   * kept it): the public key's last four characters. Such a key exists for certain.
   */
  hint?: string;
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
  /** ApiKey only: the key the state holds, so the checklist can tell a newly minted one (its expiration changed). */
  key?: HeldKey;
}

/** An ApiKey's key as the checklist sees it: no key material, only what names and dates it. */
export interface HeldKey {
  member: string;
  /** The key's description: the integration it is for ("Elements"). */
  description: string;
  /** "token" or "console". */
  source: string;
  /** ISO 8601; "" for a console key or a key not minted. */
  expiration: string;
}

/** The resource a record is about: its type and the name a reviewer knows it by ("for member X" for a key). */
export interface ResourceRef {
  type: string;
  /** "" when the resource has no name yet (an input still unknown). */
  name: string;
}

interface RecordBase {
  resource: ResourceRef;
  /** The resource's URN, when the provider server had it in scope (ours does; the SDK's does not). */
  urn?: string;
}

/** A console step the operator must do (the API cannot write it). */
export interface StepRecord extends RecordBase {
  kind: "step";
  step: ConsoleStep;
  /** "companyId at host", when the handler knows it. */
  tenant?: string;
}

/**
 * The live tenant differs from what the last `up` verified, or from what is declared: `from` is
 * live, `to` is declared. `field` is a role's "Module/Function add", a member's "name", a Table
 * Setup "Table Setup 'X'"; absent when the whole object drifted (a member inactive, missing).
 */
export interface DriftRecord extends RecordBase {
  kind: "drift";
  field?: string;
  from: string;
  to: string;
  /** What resolves it when `up` alone does not (a revoked key: give the integration the new one). */
  remedy?: string;
}

/** Anything else a reviewer is told (an adoption, a release, a lost answer, a key to revoke). */
export interface NoticeRecord extends RecordBase {
  kind: "notice";
  text: string;
}

/**
 * The stack's one checklist, as OperatorChecklist failed `up` with it: every pending step of the
 * stack in click order. Written to the records file only (its terminal rendering is the error).
 */
export interface ChecklistRecord extends RecordBase {
  kind: "checklist";
  stack: string;
  tenants: string[];
  steps: ConsoleStep[];
  /** The runbook's absolute path, when one was written. */
  runbook?: string;
}

export type ReviewRecord = StepRecord | DriftRecord | NoticeRecord | ChecklistRecord;

/** The resource a handler reports about, named as its lines name it (`resourceLabel` in the handler kit). */
export function resourceOf(type: string, name: unknown, lead = ""): ResourceRef {
  return { type, name: typeof name === "string" && name.trim() ? `${lead}${name.trim()}` : "" };
}

/** One record per step (a screen row), in the order given (the click order). */
export function stepRecords(resource: ResourceRef, steps: ConsoleStep[], tenant?: string): StepRecord[] {
  return steps.map((step) => ({ kind: "step", resource, step, ...(tenant ? { tenant } : {}) }));
}

export function driftRecord(resource: ResourceRef, field: string | undefined, from: string, to: string): DriftRecord {
  return { kind: "drift", resource, ...(field === undefined ? {} : { field }), from, to };
}

export function notice(resource: ResourceRef, text: string): NoticeRecord {
  return { kind: "notice", resource, text };
}

const KINDS = new Set<string>(["step", "drift", "notice", "checklist"]);

/** Whether a parsed JSON value is a record (a records file written by another version may hold other kinds). */
export function isReviewRecord(value: unknown): value is ReviewRecord {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { kind?: unknown; resource?: { type?: unknown; name?: unknown } };
  return (
    typeof v.kind === "string" &&
    KINDS.has(v.kind) &&
    typeof v.resource?.type === "string" &&
    typeof v.resource.name === "string"
  );
}
