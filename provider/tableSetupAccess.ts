// Handlers of the TableSetupAccess dynamic resource. The published API has no way to read or
// write a role's Table Setup "Allow access to these" list; the only window on it is
// GET /system/mySecurity/customizeItems/, which answers for the CALLING member. So the list is
// verified by calling as an API member on the role, with that member's key, and every
// difference becomes a console step for the operator: create/update succeed with the steps as
// `pendingSteps`, which the stack's OperatorChecklist gathers into one checklist.
//
// The role's System/Table Setup inquire level (without which the list is neither used nor
// readable) belongs to the role: given the SecurityRole resource, its declared permissions come
// along as `roleDeclared`, check() refuses a role that would not grant the level, and this
// resource never asks for it. Given only a role name (a role the program does not manage), it
// asks for the level itself.

import type * as pulumi from "@pulumi/pulumi";
import {
  MEMBER_IDENTIFIER_MAX,
  ROLE_NAME_MAX,
  TABLE_SETUP_ENTRIES,
  TABLE_SETUP_FIX,
  TABLE_SETUP_FUNCTION,
  tableSetupRuleBroken,
} from "../catalog";
import type { ConnectWiseClient } from "../connectwise/client";
import { and, eq } from "../connectwise/conditions";
import { memberByIdentifier, myCustomizeItems, mySecurity } from "../connectwise/endpoints";
import { ConnectWiseError } from "../connectwise/errors";
import type { ApiMember, MySecurity } from "../connectwise/schemas";
import {
  type ConsoleChange,
  type ConsoleStep,
  type DriftRecord,
  driftRecord,
  notice,
  resourceOf,
  stepRecords,
} from "../review/records";
import { report } from "./report";
import {
  ArgsOf,
  InputsOf,
  Problem,
  Verdict,
  accept,
  containsUnknown,
  field,
  hintFor,
  isUnknown,
  matchName,
  reject,
  resourceLabel,
  judgedAcross,
  rule,
  text,
  valueFirst,
} from "./handlerKit";
import { DiffResult, HandlerContext, InputDiff, diffResult, lifecycle, stillUnknown } from "./kit/lifecycle";
import { TABLE_SETUP, memberRecord, tableSetupItems } from "./reads";

const TYPE = "TableSetupAccess";
const ALLOW_LIST = "Allow access to these";

/** What the program declares of the role, when it manages it (a SecurityRole resource). */
export interface RoleDeclaration {
  /** The role's label, e.g. `SecurityRole LifecycleManagerAPI`. */
  resource: string;
  /** The role's declared permissions, as written ("Module/Function" => levels). */
  permissions: Record<string, unknown>;
  /** The role's exclusive flag (default true). */
  exclusive?: boolean;
}

const label = (role: string, member: string) => resourceLabel(TYPE, `${role}/${member}`);
/** The resource as its review records name it. */
const ref = (role: string, member: string) => resourceOf(TYPE, `${role}/${member}`);

/** A set of Table Setup entries: catalog spelling, sorted, each once; a list with an entry still unknown is left as given. */
function judgeTables(value: unknown): Verdict<string[]> {
  if (!Array.isArray(value)) return reject(`expected a list of "Category / Table" names, got ${JSON.stringify(value)}`);
  const seen = new Set<string>();
  const problems: Problem[] = [];
  value.forEach((raw: unknown, i: number) => {
    if (isUnknown(raw)) return;
    const entry = matchName(TABLE_SETUP_ENTRIES, raw);
    const property = `tables[${i}]`;
    if (!entry) {
      const hint = hintFor(TABLE_SETUP_ENTRIES, raw);
      problems.push({
        property,
        reason: `unknown Table Setup entry ${JSON.stringify(raw)}${hint}; entries are "Category / Table" as System > Table Setup lists them`,
      });
    } else if (seen.has(entry)) problems.push({ property, reason: `"${entry}" is listed twice; tables is a set` });
    else seen.add(entry);
  });
  if (problems.length > 0) return { problems };
  // An entry still unknown (preview): diff cannot compare the list yet.
  return accept(value.some(isUnknown) ? (value as string[]) : [...seen].sort());
}

/** The input shape of a TableSetupAccess (resources/tableSetupAccess.ts derives its args from it) and its rules. */
const FIELDS = {
  /** The security role whose Table Setup "Allow access to these" list this declares (e.g. a SecurityRole's `name`). */
  role: field(text({ max: ROLE_NAME_MAX }), { replaces: true }),
  /** The identifier of an API member on `role`; its key reads the list back (e.g. an ApiMember's `identifier`). */
  member: field(text({ max: MEMBER_IDENTIFIER_MAX }), { replaces: true }),
  /** That member's public key (e.g. an ApiKey's `publicKey`). */
  publicKey: text({ secret: true }),
  /** That member's private key (e.g. an ApiKey's `privateKey`); kept secret in the state. */
  privateKey: text({ secret: true }),
  /**
   * The Table Setup entries the role may use, "Category / Table" as System > Table Setup lists
   * them (e.g. "Service / Service Board"); a set: order does not matter, duplicates are an
   * error. Exactly these: an entry allowed by hand but not listed is drift. Checked: catalog
   * spelling, sorted, without duplicates.
   */
  tables: rule<string[], pulumi.Input<string>[]>("required", judgeTables),
  /**
   * Set by the resource class when `role` is a SecurityRole: that role's declared permissions,
   * so check() can refuse a role that does not grant System/Table Setup inquire All.
   */
  roleDeclared: judgedAcross<RoleDeclaration>(),
};

export type TableSetupAccessInputs = InputsOf<typeof FIELDS>;
/** What users write (resources/tableSetupAccess.ts). */
export type TableSetupAccessArgs = ArgsOf<typeof FIELDS>;

export interface TableSetupAccessOutputs extends TableSetupAccessInputs {
  /** The allowed tables read back as the member; empty while steps are pending. */
  verified: string[];
  /** "companyId at host". */
  tenant: string;
  /** What the operator still has to set in the console (empty once verified). */
  pendingSteps: ConsoleStep[];
  /** The member's id, from the last verification: preview and refresh read the member by it. */
  memberId?: number;
}

/**
 * After the rules; no request is made. A declared role that leaves System/Table Setup inquire
 * below All contradicts a non-empty allow-list: refused here, once, naming both resources,
 * instead of two resources asking the operator for opposite levels.
 */
function afterCheck(
  result: pulumi.dynamic.CheckResult,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<pulumi.dynamic.CheckResult> {
  const checked = refuseBrokenRule(result, news);
  reportNewAccess(checked, olds);
  return Promise.resolve(checked);
}

/**
 * A new access whose key does not exist yet (a new integration: the key is minted by this same
 * up, so preview cannot read the list as the member): the list of a new role is empty, so `up`
 * will ask for every declared entry; reported now, as the role reports its levels, so preview
 * lists the steps the runbook will.
 */
function reportNewAccess(result: pulumi.dynamic.CheckResult, olds: Record<string, unknown>): void {
  const inputs = result.inputs as TableSetupAccessInputs | undefined;
  if (!inputs || (result.failures ?? []).length > 0 || Object.keys(olds).length > 0) return;
  if (!isUnknown(inputs.publicKey) && !isUnknown(inputs.privateKey)) return;
  if (containsUnknown([inputs.role, inputs.member, inputs.tables, inputs.roleDeclared])) return;
  const blind: LiveAccess = { memberRole: inputs.role, keyMember: inputs.member, readable: false, allowed: [] };
  report(...stepRecords(ref(inputs.role, inputs.member), pending(inputs, blind).steps));
}

/** The Table Setup rule: an allow-list on a role declared without Table Setup inquire All is refused. */
function refuseBrokenRule(
  result: pulumi.dynamic.CheckResult,
  news: Record<string, unknown>,
): pulumi.dynamic.CheckResult {
  const declared = news.roleDeclared as RoleDeclaration | undefined;
  const tables = news.tables;
  if (!declared || isUnknown(declared) || !Array.isArray(tables) || tables.length === 0) return result;
  // The rule (catalog/permissions.ts) is judged once the role's declaration is known (not in a preview of its change).
  if (containsUnknown(declared)) return result;
  const level = tableSetupRuleBroken(declared.permissions ?? {}, tables, declared.exclusive !== false);
  if (level === undefined) return result;
  const failure = {
    property: "roleDeclared",
    reason:
      `${label(String(news.role), String(news.member))}: its role is declared by ${declared.resource} with ` +
      `${TABLE_SETUP_FUNCTION} inquire ${level}; a Table Setup allow-list needs Inquire All: ` +
      `add ${TABLE_SETUP_FIX} to that role's permissions`,
  };
  return { failures: [...(result.failures ?? []), failure] };
}

/** What the member's key shows: whose key it is, its role, and the Table Setup entries it may use. */
interface LiveAccess {
  /** The member's current role name, undefined when the member no longer exists. */
  memberRole: string | undefined;
  /** The member's id, when it exists. */
  memberId?: number;
  keyMember: string;
  /** False while the list cannot be read (the role lacks System/Table Setup inquire): it reads empty then. */
  readable: boolean;
  allowed: string[];
}

const entriesOf = (items: { itemIdentifier?: string | null }[]): string[] =>
  items
    .map((item) => item.itemIdentifier ?? "")
    .filter((entry) => entry !== "")
    .sort();

/** A 401 as the member: the key given for it does not authenticate. */
function keyRejected(error: unknown, inputs: TableSetupAccessInputs, tenant: string): unknown {
  if (error instanceof ConnectWiseError && error.status === 401) {
    return new KeyRejected(
      `${label(inputs.role, inputs.member)}: the key given for API member "${inputs.member}" does not authenticate on ${tenant} (expired, revoked, or the member is inactive); give a current key of that member`,
    );
  }
  return error;
}

/** The member's System/Table Setup row, read as the member: whose key it is and the role's inquire level. */
function tableSetupRow(client: ConnectWiseClient, inputs: TableSetupAccessInputs) {
  return mySecurity(client.asMember(inputs.publicKey, inputs.privateKey), {
    conditions: and(eq("moduleName", "System"), eq("moduleFunctionName", "Table Setup")),
  }).then((rows) => rows[0]);
}

/**
 * Whether the row's inquire level lets the member read Table Setup. A missing row or a missing,
 * null or unknown level is refused naming the endpoint and the field, never read as None (which
 * would hide a level raised by hand).
 */
function inquires(row: MySecurity | undefined, inputs: TableSetupAccessInputs, tenant: string): boolean {
  const where = `GET /system/mySecurity on ${tenant} (as member "${inputs.member}")`;
  if (!row)
    throw new Error(
      `${label(inputs.role, inputs.member)}: ${where} answered no System/Table Setup row; cannot tell the role's inquire level, so nothing was verified`,
    );
  const level = row.inquireLevel;
  if (level === undefined || level === null)
    throw new Error(
      `${label(inputs.role, inputs.member)}: ${where} answered the System/Table Setup row without field inquireLevel ` +
        `(${level === null ? "null" : "missing"}); the level is unknown, not None, so nothing was verified`,
    );
  return level !== "None";
}

/** The requests of one check, sent together; a member that does not exist makes the key's answer moot. */
async function together<T>(
  member: Promise<ApiMember | undefined>,
  asMember: Promise<T>,
): Promise<{ member: ApiMember | undefined; seen?: T }> {
  asMember.catch(() => undefined); // awaited below only when the member exists
  const found = await member;
  return found ? { member: found, seen: await asMember } : { member: undefined };
}

/**
 * The full verification (create, update): the member by identifier, and as the member its Table
 * Setup row (whose key it is, the inquire level) and its Table Setup list, all three at once.
 */
async function readAccess(client: ConnectWiseClient, inputs: TableSetupAccessInputs): Promise<LiveAccess> {
  const asMember = client.asMember(inputs.publicKey, inputs.privateKey);
  const { member, seen } = await together(
    memberByIdentifier(client, inputs.member),
    Promise.all([tableSetupRow(client, inputs), myCustomizeItems(asMember, TABLE_SETUP)]),
  ).catch((error: unknown) => {
    throw keyRejected(error, inputs, client.tenant);
  });
  if (!member || !seen) return { memberRole: undefined, keyMember: inputs.member, readable: false, allowed: [] };
  const [row, items] = seen;
  return {
    memberRole: member.securityRole?.name,
    memberId: member.id,
    keyMember: row?.member?.identifier ?? inputs.member,
    readable: inquires(row, inputs, client.tenant),
    allowed: entriesOf(items),
  };
}

/**
 * What preview and refresh compare (diff, read): the member's record by the id the last
 * verification kept, and the Table Setup list as the member: the same two reads as the
 * ApiMember's and the ApiKey's (provider/reads.ts), so under our provider server this costs no
 * request of its own. Whose key it is was verified when the key was last given (a key never
 * changes member); the inquire level is read only when the list comes back empty, the one case
 * where an unreadable list and an empty one look alike. A state from before `memberId` finds the
 * member by identifier.
 */
async function liveAccess(
  client: ConnectWiseClient,
  inputs: TableSetupAccessInputs,
  memberId: number | undefined,
): Promise<LiveAccess> {
  const byId = async () => {
    const member = await memberRecord(client, memberId!);
    // The id of another member (identifier changed by hand): look the identifier up instead.
    return member?.identifier.toLowerCase() === inputs.member.toLowerCase()
      ? member
      : memberByIdentifier(client, inputs.member);
  };
  const { member, seen: items } = await together(
    memberId !== undefined ? byId() : memberByIdentifier(client, inputs.member),
    tableSetupItems(client, inputs.publicKey, inputs.privateKey),
  ).catch((error: unknown) => {
    throw keyRejected(error, inputs, client.tenant);
  });
  if (!member || !items) return { memberRole: undefined, keyMember: inputs.member, readable: false, allowed: [] };
  const allowed = entriesOf(items);
  const readable =
    allowed.length > 0 ||
    inquires(
      await tableSetupRow(client, inputs).catch((error: unknown) => {
        throw keyRejected(error, inputs, client.tenant);
      }),
      inputs,
      client.tenant,
    );
  return { memberRole: member.securityRole?.name, memberId: member.id, keyMember: inputs.member, readable, allowed };
}

/** Why the key cannot verify this role at all (wrong member or role); undefined when it can. */
function mismatch(inputs: TableSetupAccessInputs, live: LiveAccess, tenant: string): string | undefined {
  const who = label(inputs.role, inputs.member);
  if (live.memberRole === undefined) return `${who}: API member "${inputs.member}" does not exist on ${tenant}`;
  if (live.keyMember.toLowerCase() !== inputs.member.toLowerCase()) {
    return `${who}: the key given belongs to member "${live.keyMember}", not "${inputs.member}"; give a key of "${inputs.member}"`;
  }
  if (live.memberRole.toLowerCase() !== inputs.role.toLowerCase()) {
    return `${who}: API member "${inputs.member}" is on security role "${live.memberRole}", not "${inputs.role}"; set its securityRole to "${inputs.role}" so its key shows this role's Table Setup list`;
  }
  return undefined;
}

/** One difference of the allow-list, for the preview's drift lines. */
interface EntryDifference {
  table: string;
  current: "allowed" | "not allowed";
  desired: "allowed" | "not allowed";
}

/**
 * The steps that make the member's key show exactly the declared list. While the role lacks
 * System/Table Setup inquire the list reads empty (the sandbox answers [] then, as the list is
 * not the member's to see), so every declared entry is listed as an add and nothing as a remove:
 * the first checklist already holds the allow-list. The list's entries are one step (one visit
 * to the Customize screen); the role's inquire level, when this resource asks for it, another.
 */
function pending(inputs: TableSetupAccessInputs, live: LiveAccess): { diffs: EntryDifference[]; steps: ConsoleStep[] } {
  const customize = ["System", "Security Roles", inputs.role, "System", "Table Setup", "Customize"];
  const diffs: EntryDifference[] = [];
  const steps: ConsoleStep[] = [];
  const blind = !live.readable;
  // The level belongs to the role: only a role the program does not manage gets the step here.
  if (inputs.tables.length > 0 && blind && !inputs.roleDeclared) {
    steps.push({
      menuPath: ["System", "Security Roles", inputs.role, "System", "Table Setup"],
      changes: [{ field: "Inquire Level", value: "All", current: "None" }],
    });
  }
  // One step for the whole list: every entry to add, then every one to remove, on one screen.
  const changes: ConsoleChange[] = [];
  for (const table of inputs.tables.filter((t) => !live.allowed.includes(t))) {
    diffs.push({ table, current: "not allowed", desired: "allowed" });
    changes.push({ field: ALLOW_LIST, value: table, action: "add" });
  }
  for (const table of live.allowed.filter((t) => !inputs.tables.includes(t))) {
    diffs.push({ table, current: "allowed", desired: "not allowed" });
    changes.push({ field: ALLOW_LIST, value: table, action: "remove" });
  }
  if (changes.length > 0) steps.push({ menuPath: customize, changes });
  return { diffs, steps };
}

/** The outputs after a verification through the member's key; a wrong member or role is an error, not a step. */
async function verify(
  context: HandlerContext,
  inputs: TableSetupAccessInputs & Record<string, unknown>,
): Promise<TableSetupAccessOutputs> {
  const client = await context.connect();
  const live = await readAccess(client, inputs);
  const wrong = mismatch(inputs, live, client.tenant);
  if (wrong) throw new Error(wrong);
  const { steps } = pending(inputs, live);
  // Nothing is reported verified before the role's levels and the list are right.
  return {
    ...inputs,
    verified: steps.length > 0 ? [] : live.allowed,
    tenant: client.tenant,
    pendingSteps: steps,
    ...(live.memberId !== undefined ? { memberId: live.memberId } : {}),
  };
}

const idOf = (inputs: { role: string; member: string }) => `${inputs.role}/${inputs.member}`;

async function create(
  context: HandlerContext,
  inputs: TableSetupAccessInputs & Record<string, unknown>,
): Promise<pulumi.dynamic.CreateResult> {
  return { id: idOf(inputs), outs: await verify(context, inputs) };
}

async function update(
  context: HandlerContext,
  _id: string,
  _olds: TableSetupAccessOutputs,
  news: TableSetupAccessInputs & Record<string, unknown>,
): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: await verify(context, news) };
}

async function diff(
  context: HandlerContext,
  _id: string,
  olds: TableSetupAccessOutputs,
  news: TableSetupAccessInputs,
  input: InputDiff,
): Promise<DiffResult> {
  if (input.replaces.length > 0) return diffResult(true, input.replaces);
  // A key not known yet (an ApiKey being replaced) cannot verify anything during preview.
  if (stillUnknown(news, ["publicKey", "privateKey", "tables"])) return diffResult(true);

  const client = await context.connect();
  const subject = ref(news.role, news.member);
  let live: LiveAccess;
  try {
    live = await liveAccess(client, news, olds.memberId);
  } catch (error) {
    if (!(error instanceof KeyRejected)) throw error;
    // The key is the ApiKey's: a revoked one is replaced (this resource then gets the new key,
    // unknown here, and never asks); what remains is a member made inactive by hand, which its
    // ApiMember reports and up reactivates. Nothing of this resource to change.
    report(
      notice(
        subject,
        `not checked: the key of member ${news.member} answers 401 (the member is inactive); up reactivates the member, the next preview checks the list`,
      ),
    );
    return diffResult(false);
  }
  const stepsLeft = (olds.pendingSteps ?? []).length > 0;
  if (live.memberRole !== undefined && live.memberRole.toLowerCase() !== news.role.toLowerCase()) {
    // Not the operator's: the member's ApiMember resource moves it back on the next up.
    report(driftRecord(subject, `member ${news.member} securityRole`, live.memberRole, news.role));
    return diffResult(true);
  }
  const { diffs, steps } = pending(news, live);
  // Drift: an entry the last verification saw otherwise (only while the list is readable).
  const drift: DriftRecord[] = [];
  if (live.readable && !stepsLeft) {
    const before = olds.verified ?? [];
    for (const d of diffs) {
      if ((d.current === "allowed") !== before.includes(d.table))
        drift.push(driftRecord(subject, `Table Setup '${d.table}'`, d.current, d.desired));
    }
  }
  report(...drift, ...stepRecords(subject, steps));
  // A new key, a new list; and the role's declaration rides along so check() can judge it: keep
  // the state's copy current.
  const inputsChanged = input.changed.length > 0;
  const unverifiable = mismatch(news, live, client.tenant) !== undefined;
  return diffResult(steps.length > 0 || stepsLeft || unverifiable || inputsChanged);
}

/** The verifying member's key does not authenticate. */
class KeyRejected extends Error {}

async function read(
  context: HandlerContext,
  id: string,
  props: TableSetupAccessOutputs & Record<string, unknown>,
): Promise<pulumi.dynamic.ReadResult> {
  const client = await context.connect();
  let live: LiveAccess;
  try {
    live = await liveAccess(client, props, props.memberId);
  } catch (error) {
    // The member's key no longer authenticates (revoked, expired, member deactivated: the
    // ApiKey and ApiMember report which): the list cannot be read now, so the state is kept as
    // it is, never dropped; the next up verifies it with the key it then has.
    if (error instanceof KeyRejected) return { id, props, inputs: inputsOf(props) };
    throw error;
  }
  if (live.memberRole === undefined) return { id: "" };
  const inputs: TableSetupAccessInputs = { ...inputsOf(props), tables: live.allowed };
  // Steps are judged against the declared list (props), not the list read back.
  const { steps } = pending(props, live);
  const verified = steps.length > 0 ? [] : live.allowed;
  const memberId = live.memberId ?? props.memberId;
  return {
    id,
    props: {
      ...props,
      ...inputs,
      verified,
      tenant: client.tenant,
      pendingSteps: steps,
      ...(memberId !== undefined ? { memberId } : {}),
    },
    inputs,
  };
}

/** The inputs a state holds. */
function inputsOf(props: TableSetupAccessOutputs): TableSetupAccessInputs {
  return {
    role: props.role,
    member: props.member,
    publicKey: props.publicKey,
    privateKey: props.privateKey,
    tables: props.tables,
    ...(props.roleDeclared ? { roleDeclared: props.roleDeclared } : {}),
  };
}

/** Nothing exists remotely for this resource: say what the operator may undo by hand. */
function deleteAccess(_context: HandlerContext, _id: string, props: TableSetupAccessOutputs): Promise<void> {
  console.error(
    `${label(props.role, props.member)}: nothing to delete in ConnectWise (the API cannot change Table Setup access). ` +
      `If the role should lose it, remove ${props.tables.map((t) => `'${t}'`).join(", ") || "the entries"} in ` +
      `System > Security Roles > ${props.role} > System > Table Setup > Customize > ${ALLOW_LIST}.`,
  );
  return Promise.resolve();
}

export const provider = lifecycle<TableSetupAccessInputs, TableSetupAccessOutputs>({
  type: TYPE,
  fields: FIELDS,
  voice: valueFirst(TYPE),
  afterCheck,
  diff,
  create,
  read,
  update,
  delete: deleteAccess,
});
