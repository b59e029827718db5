// Handlers of the OperatorChecklist dynamic resource: the one place a stack's console steps are
// gathered. SecurityRole and TableSetupAccess succeed with their steps as `pendingSteps`;
// this resource, declared after them, writes the runbook and fails the `up` ONCE with one
// numbered checklist (a plain error, printed as written) while any step is pending, and
// succeeds when none is. The runbook also lists the API keys a token POST may have minted without
// an answer (ApiKey's `unanswered`): the API cannot tell whether they exist, so they never fail
// the up. It makes no request to ConnectWise.

import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import type { PendingItem, UnansweredToken } from "../review/records";
import { appendRecords } from "../review/recordsFile";
import { buildChecklist, distinctSteps, formatChecklistText, inClickOrder } from "../review/renderChecklist";
import { formatRunbook } from "../review/renderRunbook";
import { containsUnknown, isUnknown } from "./handlerKit";

const TYPE = "OperatorChecklist";

export interface OperatorChecklistInputs {
  /** The stack the checklist is for (names what to run next). */
  stack: string;
  /** Per resource, its pending steps; in declaration order (roles before their Table Setup access). */
  items: PendingItem[];
  /** Where the Markdown runbook is written; a relative path is against the provider's cwd (the directory of the program's main). */
  runbook?: string;
}

export interface OperatorChecklistOutputs extends OperatorChecklistInputs {
  /** How many steps were pending at the last up. */
  pending: number;
  /** The runbook's absolute path, "" when none is written. */
  runbookPath: string;
}

const countSteps = (items: PendingItem[]) => items.reduce((n, item) => n + (item.steps?.length ?? 0), 0);

export function check(
  _olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<pulumi.dynamic.CheckResult> {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (!isUnknown(news.stack) && (typeof news.stack !== "string" || !news.stack.trim()))
    failures.push({ property: "stack", reason: `${TYPE} stack: give the stack's name` });
  if (!isUnknown(news.items) && !Array.isArray(news.items))
    failures.push({ property: "items", reason: `${TYPE} items: expected a list of { resource, tenant, steps }` });
  if (news.runbook !== undefined && !isUnknown(news.runbook) && typeof news.runbook !== "string")
    failures.push({ property: "runbook", reason: `${TYPE} runbook: give a file path, or leave it out` });
  return Promise.resolve(failures.length > 0 ? { failures } : { inputs: news });
}

/** The items with steps pending now. */
const pendingItems = (inputs: OperatorChecklistInputs) =>
  (inputs.items ?? []).filter((item) => (item.steps ?? []).length > 0);

/** The steps pending now, in click order. */
const stepsOf = (inputs: OperatorChecklistInputs) => inClickOrder(pendingItems(inputs).flatMap((item) => item.steps));

/** The checklist of the steps pending now, in click order. */
function checklistOf(inputs: OperatorChecklistInputs) {
  return buildChecklist(
    pendingItems(inputs).map((item) => item.tenant),
    inputs.stack,
    stepsOf(inputs),
  );
}

/** The tokens the items report as possibly minted without an answer. */
const unansweredOf = (items: PendingItem[] | undefined): UnansweredToken[] =>
  (items ?? []).flatMap((item) => item.unansweredTokens ?? []);

/** The runbook's text for these inputs. */
const runbookOf = (inputs: OperatorChecklistInputs): string =>
  formatRunbook(checklistOf(inputs), unansweredOf(inputs.items));

/** Writes the runbook, then fails with the checklist while steps are pending. */
function settle(inputs: OperatorChecklistInputs & Record<string, unknown>): OperatorChecklistOutputs {
  const checklist = checklistOf(inputs);
  const runbookPath = inputs.runbook ? path.resolve(inputs.runbook) : "";
  if (runbookPath) {
    fs.mkdirSync(path.dirname(runbookPath), { recursive: true });
    fs.writeFileSync(runbookPath, runbookOf(inputs));
  }
  if (checklist.count > 0) {
    // For the command that asked (checklist, fleet): the same checklist as data. Its terminal
    // rendering is the error below, so it goes to the records file only.
    appendRecords([
      {
        kind: "checklist",
        resource: { type: TYPE, name: inputs.stack },
        stack: inputs.stack,
        tenants: checklist.tenants,
        steps: distinctSteps(stepsOf(inputs)),
      },
    ]);
    // A plain Error, not a partial failure: the engine prints it once, as written.
    throw new Error(formatChecklistText(checklist, runbookPath || undefined));
  }
  return { ...inputs, pending: 0, runbookPath };
}

/**
 * A runbook on this machine that no longer says what is pending (a failed up left steps the
 * operator has since done): up rewrites it. A missing runbook (another machine) is not a change.
 */
function runbookStale(inputs: OperatorChecklistInputs): boolean {
  if (!inputs.runbook) return false;
  const file = path.resolve(inputs.runbook);
  return fs.existsSync(file) && fs.readFileSync(file, "utf8") !== runbookOf(inputs);
}

export function create(
  inputs: OperatorChecklistInputs & Record<string, unknown>,
): Promise<pulumi.dynamic.CreateResult> {
  return Promise.resolve().then(() => ({ id: `checklist-${inputs.stack}`, outs: settle(inputs) }));
}

export function update(
  _id: string,
  _olds: OperatorChecklistOutputs,
  news: OperatorChecklistInputs & Record<string, unknown>,
): Promise<pulumi.dynamic.UpdateResult> {
  return Promise.resolve().then(() => ({ outs: settle(news) }));
}

/**
 * Changed while any step is pending, so `up` re-runs it and preview never shows the stack
 * converged. While its resources' steps are still unknown (preview of their update) it claims no
 * change of its own: their diff already shows theirs, and at `up` this diff runs again with the
 * steps known (so a fleet preview counts one update for a drifted role, not two).
 */
export function diff(
  _id: string,
  olds: OperatorChecklistOutputs,
  news: OperatorChecklistInputs,
): Promise<pulumi.dynamic.DiffResult> {
  const base = { replaces: [], deleteBeforeReplace: false };
  const own =
    isUnknown(news.stack) ||
    isUnknown(news.runbook) ||
    olds.stack !== news.stack ||
    olds.runbook !== news.runbook ||
    (olds.pending ?? 0) > 0;
  if (containsUnknown(news.items)) return Promise.resolve({ ...base, changes: own });
  // A changed list of unanswered tokens rewrites the runbook.
  const tokensChanged = JSON.stringify(unansweredOf(olds.items)) !== JSON.stringify(unansweredOf(news.items));
  return Promise.resolve({
    ...base,
    changes: own || tokensChanged || countSteps(news.items ?? []) > 0 || runbookStale(news),
  });
}

export function read(id: string, props: OperatorChecklistOutputs): Promise<pulumi.dynamic.ReadResult> {
  return Promise.resolve({ id, props });
}

/** Nothing exists in ConnectWise; the runbook file is left for the record. */
export function deleteChecklist(): Promise<void> {
  return Promise.resolve();
}

export const provider: Required<pulumi.dynamic.ResourceProvider> = {
  configure: () => Promise.resolve(),
  check,
  diff,
  create,
  read,
  update,
  delete: deleteChecklist,
};
