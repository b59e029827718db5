// Handlers of the SecurityRole dynamic resource. The published API creates, reads and deletes a
// role but cannot write its permission levels (settings are GET-only), so levels are read,
// compared with the declared ones, and every difference becomes a console step: preview reports
// them, create/update succeed with them as the `pendingSteps` output, and the stack's
// OperatorChecklist fails the `up` with one checklist until the operator is done. A role with
// steps pending never diffs as converged.

import type * as pulumi from "@pulumi/pulumi";
import {
  CATALOG_KEYS,
  LEVELS,
  Level,
  Levels,
  LiveLevels,
  MODULE_FUNCTIONS,
  MODULE_NAMES,
  NO_LEVELS,
  PERMISSION_FIELDS,
  PermissionField,
  PermissionProblem,
  ROLE_NAME_MAX,
  compareRole,
  didYouMean,
  functionKey,
  grantsAny,
  inCatalog,
  liveLevels,
  moduleAndFunction,
  parsePermissions,
  quoted,
  suggestion,
  wantedLevels,
} from "../catalog";
import type { ConnectWiseClient } from "../connectwise/client";
import { and, eq } from "../connectwise/conditions";
import {
  createSecurityRole,
  deleteSecurityRole,
  listApiMembers,
  listMembers,
  roleSettings,
  securityRole,
  securityRoleNamed,
} from "../connectwise/endpoints";
import { ConnectWiseError, outcomeUnknown } from "../connectwise/errors";
import type { SecurityRole } from "../connectwise/schemas";
import {
  type ConsoleStep,
  type DriftRecord,
  type ResourceRef,
  changesOf,
  driftRecord,
  notice,
  resourceOf,
  stepRecords,
} from "../review/records";
import { report } from "./report";
import {
  ArgsOf,
  CheckContext,
  InputsOf,
  PartialFailure,
  Problem,
  Verdict,
  accept,
  field,
  flag,
  goneIsDone,
  hintFor,
  isUnknown,
  matchName,
  optionalText,
  resourceLabel,
  rule,
  text,
  valueFirst,
} from "./handlerKit";
import {
  DetailedDiff,
  DiffResult,
  HandlerContext,
  InputDiff,
  diffResult,
  NaturalKey,
  createOrRecover,
  lifecycle,
  releaseAdopted,
  stillUnknown,
} from "./kit/lifecycle";
import { splitNotes } from "./apiMember";
import {
  type JournalEntry,
  type Recorded,
  drop,
  hold,
  record,
  recordsOf,
  release,
  runOf,
  settle,
  stackOf,
} from "./kit/journal";
import { callerIdentifier } from "./lookups";
import { roleSettingsOrGone } from "./reads";

export type { Levels };

/** A permission level as the Manage UI offers it. Input is case-insensitive; unset means None. */
export type PermissionLevel = Level;

/** The four levels of one module function (System > Security Roles > role > Module > Function), as users write them. */
export interface PermissionLevels {
  /** Add Level. Unset means None. */
  add?: pulumi.Input<PermissionLevel>;
  /** Edit Level. Unset means None. */
  edit?: pulumi.Input<PermissionLevel>;
  /** Delete Level. Unset means None. */
  delete?: pulumi.Input<PermissionLevel>;
  /** Inquire Level. Unset means None. */
  inquire?: pulumi.Input<PermissionLevel>;
}

export interface SecurityRoleOutputs extends SecurityRoleInputs {
  roleId: number;
  tenant: string;
  /** What the operator still has to set in the console (empty once the live levels match). */
  pendingSteps: ConsoleStep[];
  /** True when create took over a role that already existed: destroy then releases it as it is. */
  adopted?: boolean;
}

/** One level that differs from the declared state. */
interface PendingDifference {
  /** "Module/Function". */
  key: string;
  field: PermissionField;
  current: Level;
  desired: Level;
}

const TYPE = "SecurityRole";
const FIELD_LABEL: Record<PermissionField, string> = {
  add: "Add Level",
  edit: "Edit Level",
  delete: "Delete Level",
  inquire: "Inquire Level",
};

/** Why "Module/Function" is not in the catalog, with a did-you-mean on the part that is wrong. */
function unknownFunctionReason(key: string): string {
  const slash = key.indexOf("/");
  if (slash < 0) return `"${key}" is not a "Module/Function" key${suggestion(didYouMean(key, CATALOG_KEYS))}`;
  const moduleName = key.slice(0, slash).trim();
  const module = matchName(MODULE_NAMES, moduleName);
  if (!module) {
    return `unknown module "${moduleName}" in "${key}"${hintFor(MODULE_NAMES, moduleName)}; modules are ${quoted([...MODULE_NAMES])}`;
  }
  const functions = MODULE_FUNCTIONS.filter((f) => f.module === module).map((f) => f.function);
  const fn = key.slice(slash + 1).trim();
  return `unknown function "${fn}" in module ${module} ("${key}")${suggestion(
    didYouMean(fn, functions).map((f) => functionKey(module, f)),
  )}`;
}

/** A problem of the permissions map (catalog/permissions.ts), in this resource's words. */
function permissionProblem(problem: PermissionProblem): Problem {
  if (problem.kind === "not a map")
    return { reason: `expected an object keyed by "Module/Function", got ${JSON.stringify(problem.value)}` };
  const property = `permissions["${problem.rawKey}"]`;
  switch (problem.kind) {
    case "unknown function":
      return { property, reason: unknownFunctionReason(problem.rawKey) };
    case "declared twice":
      return { property, reason: `"${problem.rawKey}" declares ${problem.key} a second time` };
    case "not levels":
      return {
        property,
        reason: `${problem.key} must be an object { add?, edit?, delete?, inquire? }, got ${JSON.stringify(problem.value)}`,
      };
    case "unknown field":
      return {
        property: `${property}.${problem.field}`,
        reason: `${problem.key} has an unknown field "${problem.field}"; allowed fields are ${quoted([...PERMISSION_FIELDS])}`,
      };
    case "not a level":
      return {
        property: `${property}.${problem.field}`,
        reason: `${problem.key} ${problem.field} level ${JSON.stringify(problem.value)} is not allowed; use ${quoted([...LEVELS])}`,
      };
  }
}

/** The permissions object: catalog keys, each function once, in catalog order; levels case-insensitive. */
function judgePermissions(value: unknown): Verdict<Record<string, Levels>> {
  const { permissions, problems } = parsePermissions(value, { pending: isUnknown });
  return problems.length > 0 ? { problems: problems.map(permissionProblem) } : accept(permissions);
}

/**
 * The input shape of a SecurityRole (resources/securityRole.ts derives its args from it) and its
 * rules, in the order failures are reported.
 */
const FIELDS = {
  /** The role name (at most 30 characters). The API cannot rename a role: a change replaces it. */
  name: field(
    text({
      max: ROLE_NAME_MAX,
      missing: (value) =>
        `${JSON.stringify(value)} is not allowed; give a non-empty string of at most ${ROLE_NAME_MAX} characters`,
      tooLong: (name, max) => `"${name}" has ${name.length} characters; ConnectWise allows at most ${max}`,
    }),
    { replaces: true },
  ),
  /**
   * True (default): every catalog function not declared must be None, so a level granted by
   * hand is drift. False: only the declared functions are checked (then permissions must not
   * be empty).
   */
  exclusive: flag(true),
  /**
   * Take over a role of this name that already exists, instead of failing on create (never one
   * another stack is known to hold). Without it, an existing role is taken back only when provably
   * this stack's own: the create journal holds this resource's record of the POST that made it.
   */
  adopt: field(flag(false), { same: "ignored" }),
  /**
   * Destroy deletes an adopted role too. Default false: a role the stack took over, not created,
   * is released as it is on destroy (nothing is sent to ConnectWise).
   */
  deleteAdopted: field(flag(false), { same: "ignored" }),
  /**
   * Who manages the role, `<project>/<stack>/<resource name>` (resources/securityRole.ts sets it):
   * the create journal's records name it, so a role found after a run that died is this stack's
   * only when its own record matches.
   */
  owner: field(optionalText(), { same: "ignored" }),
  /**
   * Levels per module function, keyed "Module/Function" as the Manage UI names them (e.g.
   * "Finance/Agreements", "Service Desk/Service Tickets"; see catalog/moduleFunctions.ts). The
   * API cannot write levels: `pulumi up` verifies them and, while any differs, lists them as
   * `pendingSteps` for the stack's OperatorChecklist; the next `up` verifies again.
   */
  permissions: rule<Record<string, Levels>, Record<string, pulumi.Input<PermissionLevels>>>(
    "required",
    judgePermissions,
  ),
};

/** The checked inputs: every declared function with all four levels, keys in catalog spelling. */
export type SecurityRoleInputs = InputsOf<typeof FIELDS>;
/** What users write (resources/securityRole.ts). */
export type SecurityRoleArgs = Omit<ArgsOf<typeof FIELDS>, "owner">;

/** The empty-permissions rule, across fields. */
function across({ news, inputs, valid, fail }: CheckContext): void {
  const declared = inputs.permissions as Record<string, Levels>;
  if (valid.has("permissions") && Object.keys(declared).length === 0 && news.exclusive === false) {
    fail(
      "permissions",
      'empty with exclusive false would declare nothing; declare at least one "Module/Function" or leave exclusive true (every function None)',
    );
  }
}

/**
 * After the rules (no request so far): for a role about to be created (no olds, not adopted) it
 * reports the console steps `up` will ask for: a new role has every level None, so they are
 * known before the role exists.
 */
async function afterCheck(
  result: pulumi.dynamic.CheckResult,
  olds: Record<string, unknown>,
  _news: Record<string, unknown>,
  context: HandlerContext,
): Promise<pulumi.dynamic.CheckResult> {
  const inputs = result.inputs as SecurityRoleInputs | undefined;
  if (inputs && Object.keys(olds).length === 0 && typeof inputs.name === "string") {
    if (stillUnknown(inputs, ["permissions", "exclusive"])) return result;
    if (inputs.adopt !== true)
      report(...stepRecords(ref(inputs.name), steps(inputs.name, differences(inputs, new Map()))));
    else await reportAdoption(context, inputs);
  }
  return result;
}

/**
 * Preview of a role to be adopted: which existing role it takes over and the console steps `up`
 * will then ask for (two reads: the role by name, its settings). A missing role will be created.
 */
async function reportAdoption(context: HandlerContext, inputs: SecurityRoleInputs): Promise<void> {
  const client = await context.connect();
  const existing = await securityRoleNamed(client, inputs.name);
  if (!existing?.id) {
    report(notice(ref(inputs.name), `no role of this name to adopt on ${client.tenant}; up creates it`));
    report(...stepRecords(ref(inputs.name), steps(inputs.name, differences(inputs, new Map()))));
    return;
  }
  const pending = steps(existing.name, differences(inputs, await readSettings(client, existing.id)));
  report(
    notice(
      ref(inputs.name),
      `adopts existing role ${existing.id}; up changes nothing on it through the API` +
        (pending.length > 0 ? ` and asks the operator for ${pending.length} step(s)` : " (its levels already match)"),
    ),
    ...stepRecords(ref(inputs.name), pending),
  );
}

/** The role and its levels (two reads, sent together); undefined when the role is gone. */
async function readRole(
  client: ConnectWiseClient,
  roleId: number,
): Promise<{ role: SecurityRole; live: LiveLevels } | undefined> {
  const [role, settings] = await Promise.all([
    securityRole(client, roleId),
    roleSettings(client, roleId).catch((error: unknown) => {
      // The settings of a role deleted meanwhile: the role's own 404 says so.
      if (error instanceof ConnectWiseError && error.status === 404) return [];
      throw error;
    }),
  ]);
  return role ? { role, live: liveLevels(settings) } : undefined;
}

async function readSettings(client: ConnectWiseClient, roleId: number): Promise<LiveLevels> {
  return liveLevels(await roleSettings(client, roleId));
}

/** Every level that differs from the declared state, in catalog (click) order (catalog/permissions.ts). */
function differences(desired: SecurityRoleInputs, live: LiveLevels): PendingDifference[] {
  return compareRole(live, desired).map((d) => ({ key: d.key, field: d.field, current: d.have, desired: d.want }));
}

/**
 * One step per function row (System > Security Roles > role > Module > Function), with every
 * level that differs on it, in catalog (click) order; the levels in the screen's order.
 */
function steps(roleName: string, diffs: PendingDifference[]): ConsoleStep[] {
  const rows = new Map<string, ConsoleStep>();
  for (const d of diffs) {
    const row = rows.get(d.key);
    const change = { field: FIELD_LABEL[d.field], value: d.desired, current: d.current };
    if (row) row.changes.push(change);
    else {
      const entry = moduleAndFunction(d.key);
      rows.set(d.key, {
        menuPath: ["System", "Security Roles", roleName, entry.module, entry.function],
        changes: [change],
      });
    }
  }
  return [...rows.values()];
}

const label = (name: string) => resourceLabel(TYPE, name);
/** The resource as its review records name it. */
const ref = (name: string) => resourceOf(TYPE, name);

/** The declared shape read back from the role: declared functions, plus with exclusive every non-None one. */
function livePermissions(declared: SecurityRoleInputs, live: LiveLevels): Record<string, Levels> {
  const granted = (key: string) => {
    const levels = live.get(key);
    return levels !== undefined && grantsAny(levels);
  };
  const unknown = [...live.keys()].filter((key) => !inCatalog(key));
  const keys = [...CATALOG_KEYS, ...unknown].filter(
    (key) => declared.permissions?.[key] !== undefined || (declared.exclusive && granted(key)),
  );
  return Object.fromEntries(keys.map((key) => [key, live.get(key) ?? { ...NO_LEVELS }]));
}

function roleIdOf(role: SecurityRole): number {
  if (role.id === undefined) throw new Error(`${label(role.name)}: ConnectWise returned the role without an id`);
  return role.id;
}

/** The outputs after a verification: the steps still pending, none once the live levels match. */
function verified(
  client: ConnectWiseClient,
  inputs: SecurityRoleInputs & Record<string, unknown>,
  role: SecurityRole,
  live: LiveLevels,
): SecurityRoleOutputs {
  // The name as the tenant spells it: the checklist names the screen the operator sees.
  return {
    ...inputs,
    roleId: roleIdOf(role),
    tenant: client.tenant,
    pendingSteps: steps(role.name, differences(inputs, live)),
  };
}

/** After a remote write, any failure keeps the role in the state (partial failure) instead of orphaning it. */
function partialFailure(error: unknown, id: string, properties: object): PartialFailure {
  if (error instanceof PartialFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PartialFailure(message, id, properties, [message]);
}

// ---- Ownership of a role found by name ----------------------------------------------------------
// A role has no free-text field to carry a marker, so the evidence that a role found by name (with
// no state for it: an up that died between the POST and the state save, or a POST whose answer was
// lost) is this stack's own is the create journal (kit/journal.ts): before each POST the provider
// writes a record naming the resource (`<project>/<stack>/<name>`), the tenant, the name and the
// time. A role is taken back without adopt only when a record of this resource matches it (its id,
// or a POST sent before the role was entered), no record of another stack matches it, it was
// entered by the member the stack connects as, and no member of another stack or made by hand
// holds it. Anything else needs `adopt: true`, which in turn never takes a role another stack holds.

/** Tolerated difference between the tenant's clock and ours. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** A member that holds a role, with the stack its notes' marker names (API members only). */
export interface RoleHolder {
  identifier: string;
  /** `<project>/<stack>/<resource>` of a live marker; undefined: no marker (made by hand, or a full member). */
  owner?: string;
}

/** What is known about a role found by name, besides the role itself. */
export interface RoleEvidence {
  /** The identifier of the member this stack connects as. */
  caller: string;
  /** The resource asking, `<project>/<stack>/<name>` ("" without an owner). */
  owner: string;
  /** The members (active or not) that hold the role. */
  members: RoleHolder[];
  /** This resource's journal records that match the role. */
  mine: JournalEntry[];
  /** Other owners' journal records that match the role. */
  others: JournalEntry[];
}

/** What ownershipDoubts reads of a role record (written out: the library's types import no zod). */
export interface RoleRecordInfo {
  id?: number;
  _info?: Record<string, string>;
}

/** When the role was entered (ms), from `_info` (the API cannot update a role: lastUpdated stands in). */
function enteredAt(role: RoleRecordInfo): number {
  const info = role._info ?? {};
  const text = info.dateEntered ?? info.lastUpdated;
  return text === undefined ? NaN : Date.parse(text);
}

/** Whether a journal record is of the POST that made this role: its id, or a POST sent before the role was entered. */
export function recordMatches(entry: JournalEntry, role: RoleRecordInfo): boolean {
  if (entry.id !== undefined) return entry.id === String(role.id);
  const entered = enteredAt(role);
  return !Number.isNaN(entered) && entered >= Date.parse(entry.at) - CLOCK_SKEW_MS;
}

/** Why a role found by name is not provably this stack's own; empty when it is. */
export function ownershipDoubts(role: RoleRecordInfo, evidence: RoleEvidence): string[] {
  const doubts: string[] = [];
  const info = role._info ?? {};
  if (evidence.others.length > 0) doubts.push(`another stack's POST made it: ${evidence.others.map(runOf).join("; ")}`);
  if (evidence.mine.length === 0)
    doubts.push(`the create journal on this machine holds no POST of ${evidence.owner || "this stack"} that made it`);
  const by = info.enteredBy ?? info.updatedBy;
  if (by === undefined) doubts.push("its _info names nobody who entered it");
  else if (by.toLowerCase() !== evidence.caller.toLowerCase())
    doubts.push(`it was entered by "${by}", not by "${evidence.caller}", the member this stack connects as`);
  const stack = stackOf(evidence.owner);
  const foreign = evidence.members.filter((m) => m.owner !== undefined && stackOf(m.owner) !== stack);
  const byHand = evidence.members.filter((m) => m.owner === undefined);
  if (foreign.length > 0)
    doubts.push(`members of another stack hold it: ${foreign.map((m) => `${m.identifier} (${m.owner})`).join(", ")}`);
  if (byHand.length > 0) doubts.push(`members no stack manages hold it: ${byHand.map((m) => m.identifier).join(", ")}`);
  return doubts;
}

/** The members (API or full, active or not) whose role this is, with the stack each one's marker names. */
async function holdersOf(client: ConnectWiseClient, roleId: number, activeOnly: boolean): Promise<RoleHolder[]> {
  const conditions = activeOnly
    ? and(eq("securityRole/id", roleId), eq("inactiveFlag", false))
    : eq("securityRole/id", roleId);
  const [members, apiMembers] = await Promise.all([
    listMembers(client, { conditions, fields: ["id", "identifier"] }),
    listApiMembers(client, { conditions, fields: ["id", "identifier", "notes"] }),
  ]);
  // /system/members lists API members too: name each member once, with its marker when it has one.
  const holders = new Map<string, RoleHolder>();
  for (const m of members) holders.set(m.identifier.toLowerCase(), { identifier: m.identifier });
  for (const m of apiMembers) {
    const mark = splitNotes(m.notes ?? undefined);
    holders.set(m.identifier.toLowerCase(), {
      identifier: m.identifier,
      ...(mark.owner !== undefined && !mark.released ? { owner: mark.owner } : {}),
    });
  }
  return [...holders.values()].sort((a, b) => a.identifier.localeCompare(b.identifier));
}

/** The evidence about a role found by name: its holders, who this stack connects as, the journal. */
async function evidenceAbout(
  client: ConnectWiseClient,
  role: SecurityRole,
  owner: string,
  current?: Recorded,
): Promise<RoleEvidence> {
  const [caller, members, records] = await Promise.all([
    callerIdentifier(client),
    holdersOf(client, roleIdOf(role), false),
    recordsOf("SecurityRole", client.tenant, role.name),
  ]);
  const matching = records.filter((r) => r.file === current?.file || recordMatches(r, role));
  return {
    caller,
    owner,
    members,
    // Without an owner (a handler caller that names none) no record tells one resource from another.
    mine: matching.filter((r) => r.owner === owner && (owner !== "" || r.file === current?.file)),
    others: matching.filter((r) => r.owner !== owner),
  };
}

/** Who holds the role besides this stack, when that can be known (journal records, members' markers). */
function otherHolders(evidence: RoleEvidence): string[] {
  const stack = stackOf(evidence.owner);
  return [
    ...new Set([
      ...evidence.others.map((r) => r.owner || "a stack without an owner"),
      ...evidence.members.filter((m) => m.owner !== undefined && stackOf(m.owner) !== stack).map((m) => m.owner!),
    ]),
  ];
}

function whoMade(role: SecurityRole): string {
  const info = role._info ?? {};
  return `entered by "${info.enteredBy ?? info.updatedBy ?? "unknown"}" at ${info.dateEntered ?? info.lastUpdated ?? "an unknown time"}`;
}

function notOwn(role: SecurityRole, tenant: string, evidence: RoleEvidence, doubts: string[], lead = ""): Error {
  const held = otherHolders(evidence);
  const advice =
    held.length > 0
      ? `It belongs to ${held.join(", ")}: adopt would not take it over either. Declare another name here, or remove the role from that stack.`
      : "If this stack should manage it (made by hand, or by this stack in a run that died on another machine), set adopt: true " +
        "to take it over (destroy then leaves it in ConnectWise); otherwise declare another name.";
  return new Error(
    `${lead}${TYPE} "${role.name}" already exists on ${tenant} (id ${role.id}, ${whoMade(role)}) and is not provably ` +
      `this stack's own: ${doubts.join("; ")}. ${advice}`,
  );
}

/** The refusal of `adopt` for a role another stack holds; undefined when none is known to. */
function heldElsewhere(role: SecurityRole, tenant: string, evidence: RoleEvidence): Error | undefined {
  const held = otherHolders(evidence);
  if (held.length === 0) return undefined;
  return new Error(
    `${TYPE} "${role.name}" on ${tenant} (id ${role.id}, ${whoMade(role)}) is held by another stack: ${held.join(", ")}; ` +
      "adopt never takes over a role another stack holds (two stacks would manage one role). Declare another name here, " +
      "or remove the role from that stack first.",
  );
}

/** The journal says this resource holds the role (recorded for a state from before the journal, too). */
async function holds(tenant: string, props: { name?: string; owner?: string }, id: string): Promise<void> {
  if (typeof props.name !== "string" || props.owner === undefined) return;
  await hold({ kind: "SecurityRole", tenant, key: props.name, owner: props.owner }, id);
}

/** This resource holds the role no longer (deleted or released): its journal records go. */
function releases(tenant: string, props: { name?: string; owner?: string }, id: string): void {
  if (typeof props.name !== "string") return;
  release({ kind: "SecurityRole", tenant, key: props.name, owner: props.owner ?? "" }, id);
}

/** A role is known by its name (the API matches names case-insensitively). */
const NATURAL_KEY: NaturalKey<SecurityRoleInputs, SecurityRole> = {
  noun: "role",
  absent: () => "no role of that name",
  find: (client, inputs) => securityRoleNamed(client, inputs.name),
};

/**
 * Finds the role by name, else POSTs it. A role that exists is adopted (adopt), taken back when
 * provably this stack's own (an interrupted up's), or refused. When the POST's answer is lost
 * (the server may have created it), the role found by name is taken as the one this POST created
 * only on the same ownership evidence; else the failure says what exists and what to do.
 */
async function create(
  context: HandlerContext,
  inputs: SecurityRoleInputs & Record<string, unknown>,
): Promise<pulumi.dynamic.CreateResult> {
  const client = await context.connect();
  const owner = inputs.owner ?? "";
  let posted: Recorded | undefined;
  const found = await createOrRecover<SecurityRoleInputs, SecurityRole, Found>(NATURAL_KEY, client, inputs, {
    label: label(inputs.name),
    existing: async (existing) => {
      const evidence = await evidenceAbout(client, existing, owner);
      if (inputs.adopt) {
        const refusal = heldElsewhere(existing, client.tenant, evidence);
        if (refusal) throw refusal;
        await hold(
          { kind: "SecurityRole", tenant: client.tenant, key: inputs.name, owner },
          String(roleIdOf(existing)),
        );
        return { role: existing, adopted: true };
      }
      // No state, yet the role exists: this stack's POST of a run that died, or someone else's role.
      const doubts = ownershipDoubts(existing, evidence);
      if (doubts.length > 0) throw notOwn(existing, client.tenant, evidence, doubts);
      const record = evidence.mine[evidence.mine.length - 1];
      await settleAll(evidence.mine, String(roleIdOf(existing)));
      report(
        notice(
          ref(inputs.name),
          `takes back role ${existing.id}: the POST that made it was recorded by ${runOf(record)}, ` +
            "a run that ended before saving it",
        ),
      );
      return { role: existing, adopted: false };
    },
    post: async () => {
      // The evidence first: no POST is sent unless its record is written.
      posted = await record({ kind: "SecurityRole", tenant: client.tenant, key: inputs.name, owner });
      try {
        const role = await createSecurityRole(client, inputs.name);
        posted = await settle(posted, { id: String(roleIdOf(role)) });
        return { role, adopted: false };
      } catch (error) {
        // A refusal made nothing: its record is no evidence of anything.
        if (!outcomeUnknown(error)) await drop(posted);
        throw error;
      }
    },
    take: async (role, why) => {
      const evidence = await evidenceAbout(client, role, owner, posted);
      const doubts = ownershipDoubts(role, evidence);
      if (doubts.length > 0)
        throw notOwn(
          role,
          client.tenant,
          evidence,
          doubts,
          `${label(inputs.name)}: the POST that creates it got no answer (${why}). `,
        );
      await settleAll(evidence.mine, String(roleIdOf(role)));
      report(
        notice(
          ref(inputs.name),
          `the answer to the POST that creates the role was lost (${why}); ` +
            `role ${role.id}, which it created, is this stack's`,
        ),
      );
      return { role, adopted: false };
    },
  });
  const roleId = roleIdOf(found.role);
  const id = String(roleId);
  try {
    const live = found.live ?? (await readSettings(client, roleId));
    return { id, outs: { ...verified(client, inputs, found.role, live), adopted: found.adopted } };
  } catch (error) {
    throw partialFailure(error, id, { ...inputs, roleId, tenant: client.tenant, pendingSteps: [] });
  }
}

/** The records that proved a role this stack's now name it (dropped once the state holds it). */
async function settleAll(records: JournalEntry[], id: string): Promise<void> {
  await Promise.all(records.filter((r): r is Recorded => "file" in r).map((r) => settle(r, { id })));
}

/** The role a create ends with, its levels when already read, and whether it was adopted. */
interface Found {
  role: SecurityRole;
  live?: LiveLevels;
  adopted: boolean;
}

async function diff(
  context: HandlerContext,
  id: string,
  olds: SecurityRoleOutputs,
  news: SecurityRoleInputs,
  input: InputDiff,
): Promise<DiffResult> {
  if (input.replaces.length > 0) return diffResult(true, input.replaces);

  // One read: the settings page holds every level, and answers 404 for a deleted role. The name
  // is not read here (the role's record would be a second request): a role renamed in the UI
  // shows at refresh, which reads the record (and on its member, whose role reference changes).
  const client = await context.connect();
  // The state holds the role: the journal says so (another stack's adopt of it is refused).
  await holds(client.tenant, olds, id);
  const settings = await roleSettingsOrGone(client, Number(id));
  if (!settings) {
    report(driftRecord(ref(news.name), "role", `deleted (id ${id})`, "exists"));
    return diffResult(true, ["name"]);
  }
  if (stillUnknown(news, ["permissions", "exclusive"])) return diffResult(true);

  const pending = differences(news, liveLevels(settings));
  reportDifferences(ref(news.name), olds, news.name, pending);
  // `adopt` and `deleteAdopted` only matter at create and delete (the table ignores them);
  // `__provider` is our code, not the role.
  const inputsChanged = input.changed.length > 0;
  // Steps left at the last up keep the role changed even if the levels match now: up must verify.
  const stepsLeft = (olds.pendingSteps ?? []).length > 0;
  // Each level the operator must set, as a property of the role (our provider server shows them
  // in `preview --diff` and `--json`; the SDK's ignores the map).
  const detailedDiff: DetailedDiff = Object.fromEntries(
    pending.map((d) => [`permissions[${JSON.stringify(d.key)}].${d.field}`, { kind: "update", inputDiff: false }]),
  );
  return diffResult(pending.length > 0 || inputsChanged || stepsLeft, [], detailedDiff);
}

/**
 * Drift: a level the last up verified (no step was left for it) that now reads otherwise, i.e.
 * changed by hand. Every difference is also reported as the operator's step that resolves it.
 */
function reportDifferences(
  subject: ResourceRef,
  olds: SecurityRoleOutputs,
  roleName: string,
  diffs: PendingDifference[],
) {
  const stepsLeft = new Set(
    (olds.pendingSteps ?? []).flatMap((s) => changesOf(s).map((c) => `${s.menuPath.slice(3).join("/")} ${c.field}`)),
  );
  const drift: DriftRecord[] = [];
  for (const d of diffs) {
    const before = olds.permissions ? wantedLevels(olds, d.key)?.[d.field] : undefined;
    const key = `${d.key} ${FIELD_LABEL[d.field]}`;
    if (before !== undefined && before !== d.current && !stepsLeft.has(key))
      drift.push(driftRecord(subject, `${d.key} ${d.field}`, d.current, d.desired));
  }
  report(...drift, ...stepRecords(subject, steps(roleName, diffs)));
}

async function update(
  context: HandlerContext,
  id: string,
  olds: SecurityRoleOutputs,
  news: SecurityRoleInputs & Record<string, unknown>,
): Promise<pulumi.dynamic.UpdateResult> {
  const client = await context.connect();
  const current = await readRole(client, Number(id));
  if (!current) {
    throw new Error(
      `${label(news.name)}: role ${id} no longer exists on ${client.tenant}; run \`pulumi refresh\` and then \`pulumi up\` to create it again`,
    );
  }
  // No write exists for settings: verify, and hand any difference to the operator (pendingSteps).
  return { outs: { ...verified(client, news, current.role, current.live), adopted: olds.adopted ?? false } };
}

async function read(
  context: HandlerContext,
  id: string,
  props: SecurityRoleOutputs & Record<string, unknown>,
): Promise<pulumi.dynamic.ReadResult> {
  const client = await context.connect();
  // The role's record (its name: a rename by hand shows here) and its settings, together; the
  // settings are the read diff() makes, which refresh calls after read(), so it is sent once.
  const [record, settings] = await Promise.all([
    securityRole(client.sharingReads(), id),
    roleSettingsOrGone(client, Number(id)),
  ]);
  const current = record && settings ? { role: record, live: liveLevels(settings) } : undefined;
  if (!current) return { id: "" };
  const inputs: SecurityRoleInputs = {
    name: current.role.name,
    permissions: livePermissions(props, current.live),
    exclusive: props.exclusive ?? true,
    adopt: props.adopt ?? false,
    deleteAdopted: props.deleteAdopted ?? false,
    ...(props.owner !== undefined ? { owner: props.owner } : {}),
  };
  // Steps are judged against what the program declared (props), not the live levels read back.
  const pendingSteps = steps(current.role.name, differences(props, current.live));
  return {
    id,
    props: { ...props, ...inputs, roleId: roleIdOf(current.role), tenant: client.tenant, pendingSteps },
    inputs,
  };
}

async function deleteRole(context: HandlerContext, id: string, props: SecurityRoleOutputs): Promise<void> {
  const client = await context.connect();
  const users = await holdersOf(client, Number(id), true);
  if (users.length > 0) {
    const named = users.map((u) => (u.owner ? `${u.identifier} (managed by ${u.owner})` : u.identifier));
    throw new Error(
      `${label(props.name)}: cannot delete role ${id} on ${client.tenant}: active members use it: ${named.join(", ")}. ` +
        "Move them to another role or deactivate them first.",
    );
  }
  // A role already deleted in the UI is the state delete asks for.
  await goneIsDone(deleteSecurityRole(client, id));
  releases(client.tenant, props, id);
}

export const provider = lifecycle<SecurityRoleInputs, SecurityRoleOutputs>({
  type: TYPE,
  fields: FIELDS,
  voice: valueFirst(TYPE),
  across,
  afterCheck,
  // The stack took an adopted role over; it did not create it. Leave it as the tenant had it.
  release: releaseAdopted("deleteAdopted", (id, props) => {
    releases(props.tenant, props, id);
    report(
      notice(
        ref(props.name),
        `released as it is: role ${id} was adopted, not created by this stack, so it stays in ` +
          "ConnectWise (set deleteAdopted: true before destroying to delete it instead)",
      ),
    );
  }),
  diff,
  create,
  read,
  update,
  delete: deleteRole,
});
