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
import { currentOperation } from "../connectwise/operationScope";
import { buildChecklist, distinctSteps, formatChecklistText, inClickOrder } from "../review/renderChecklist";
import { formatRunbook } from "../review/renderRunbook";
import { mintedKeys, mintedKeysText } from "../review/renderKeys";
import { diagnostics } from "../pulumi-runtime/diagnostics";
import { accept, containsUnknown, field, reject, rule, valueFirst } from "./handlerKit";
import { DiffResult, HandlerContext, InputDiff, diffResult, lifecycle } from "./kit/lifecycle";

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

/** The input rules (values are kept as given), and which changes count: items are compared by diff() itself. */
const FIELDS = {
  stack: rule<string>("required", (value) =>
    typeof value === "string" && value.trim() ? accept(value) : reject("give the stack's name"),
  ),
  items: field(
    rule<PendingItem[]>("required", (value) =>
      Array.isArray(value) ? accept(value as PendingItem[]) : reject("expected a list of { resource, tenant, steps }"),
    ),
    { same: "ignored" },
  ),
  runbook: rule<string, string, "optional">("optional", (value) =>
    typeof value === "string" ? accept(value) : reject("give a file path, or leave it out"),
  ),
};

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

/**
 * Writes the runbook, then fails with the checklist while steps are pending. Keys minted since
 * `before` (the last up's items; none at create) end the checklist, or, with no step pending, are
 * said on their own: the operator enters each in its integration's setup screen.
 */
function settle(
  inputs: OperatorChecklistInputs & Record<string, unknown>,
  before?: PendingItem[],
): OperatorChecklistOutputs {
  const checklist = checklistOf(inputs);
  const keysText = mintedKeysText(mintedKeys(before, inputs.items), inputs.stack);
  const runbookPath = inputs.runbook ? path.resolve(inputs.runbook) : "";
  if (runbookPath) {
    fs.mkdirSync(path.dirname(runbookPath), { recursive: true });
    fs.writeFileSync(runbookPath, runbookOf(inputs));
  }
  if (checklist.count > 0) {
    // For the command that asked (checklist, fleet): the same checklist as data. Its terminal
    // rendering is the error below, so it goes to the records file only.
    appendRecords(
      [
        {
          kind: "checklist",
          resource: { type: TYPE, name: inputs.stack },
          stack: inputs.stack,
          tenants: checklist.tenants,
          steps: distinctSteps(stepsOf(inputs)),
          ...(runbookPath ? { runbook: runbookPath } : {}),
        },
      ],
      currentOperation().env,
    );
    // A plain Error, not a partial failure: the engine prints it once, as written.
    throw new Error(formatChecklistText(checklist, runbookPath || undefined) + (keysText ? `\n\n${keysText}` : ""));
  }
  if (keysText) diagnostics.warn(keysText);
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

function create(
  _context: HandlerContext,
  inputs: OperatorChecklistInputs & Record<string, unknown>,
): Promise<pulumi.dynamic.CreateResult> {
  return Promise.resolve().then(() => ({ id: `checklist-${inputs.stack}`, outs: settle(inputs) }));
}

function update(
  _context: HandlerContext,
  _id: string,
  olds: OperatorChecklistOutputs,
  news: OperatorChecklistInputs & Record<string, unknown>,
): Promise<pulumi.dynamic.UpdateResult> {
  return Promise.resolve().then(() => ({ outs: settle(news, olds.items ?? []) }));
}

/**
 * Changed while any step is pending, so `up` re-runs it and preview never shows the stack
 * converged. While its resources' steps are still unknown (preview of their update) it claims no
 * change of its own: their diff already shows theirs, and at `up` this diff runs again with the
 * steps known (so a fleet preview counts one update for a drifted role, not two).
 */
function diff(
  _context: HandlerContext,
  _id: string,
  olds: OperatorChecklistOutputs,
  news: OperatorChecklistInputs,
  input: InputDiff,
): Promise<DiffResult> {
  // The stack or the runbook changed (or is still unknown), or steps were left at the last up.
  const own = input.changed.length > 0 || (olds.pending ?? 0) > 0;
  if (containsUnknown(news.items)) return Promise.resolve(diffResult(own));
  // A changed list of unanswered tokens rewrites the runbook.
  const tokensChanged = JSON.stringify(unansweredOf(olds.items)) !== JSON.stringify(unansweredOf(news.items));
  // A key minted or rotated since: the update says where to enter it.
  const keysMinted = mintedKeys(olds.items ?? [], news.items).length > 0;
  return Promise.resolve(
    diffResult(own || tokensChanged || keysMinted || countSteps(news.items ?? []) > 0 || runbookStale(news)),
  );
}

function read(
  _context: HandlerContext,
  id: string,
  props: OperatorChecklistOutputs,
): Promise<pulumi.dynamic.ReadResult> {
  return Promise.resolve({ id, props });
}

/** Nothing exists in ConnectWise; the runbook file is left for the record. */
function deleteChecklist(): Promise<void> {
  return Promise.resolve();
}

/** It makes no request: its context (built by configure) is never connected. */
export const provider = lifecycle<OperatorChecklistInputs, OperatorChecklistOutputs>({
  type: TYPE,
  fields: FIELDS,
  voice: valueFirst(TYPE),
  diff,
  create,
  read,
  update,
  delete: deleteChecklist,
});
