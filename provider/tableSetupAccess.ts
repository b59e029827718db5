// Handlers of the TableSetupAccess dynamic resource. The published API has no way to read or
// write a role's Table Setup "Allow access to these" list; the only window on it is
// GET /system/mySecurity/customizeItems/, which answers for the CALLING member. So the list is
// verified by calling as an API member on the role, with that member's key, and every
// difference becomes a console step for the operator.

import type * as pulumi from "@pulumi/pulumi";
import { TABLE_SETUP_ENTRIES } from "../catalog";
import type { ConnectWiseClient } from "./connectwise/client";
import { and, eq } from "./connectwise/conditions";
import { ConnectWiseError } from "./connectwise/errors";
import { ApiMemberSchema, MySecurityCustomizeItemSchema, MySecuritySchema } from "./connectwise/schemas";
import { ConsoleStep, PendingDifference, pendingStepsError, previewLines } from "./consoleSteps";
import {
  ArgsOf,
  InputsOf,
  Problem,
  Verdict,
  accept,
  checker,
  hintFor,
  isUnknown,
  matchName,
  reject,
  resourceLabel,
  rule,
  text,
  valueFirst,
} from "./handlerKit";
import * as session from "./session";

const TYPE = "TableSetupAccess";
const TABLE_SETUP = "SystemTableSetup";
const ALLOW_LIST = "Allow access to these";
const MAX_ROLE = 30;
const MAX_MEMBER = 15;

const label = (role: string, member: string) => resourceLabel(TYPE, `${role}/${member}`);

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
  role: text({ max: MAX_ROLE }),
  /** The identifier of an API member on `role`; its key reads the list back (e.g. an ApiMember's `identifier`). */
  member: text({ max: MAX_MEMBER }),
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
};

export type TableSetupAccessInputs = InputsOf<typeof FIELDS>;
/** What users write (resources/tableSetupAccess.ts). */
export type TableSetupAccessArgs = ArgsOf<typeof FIELDS>;

export interface TableSetupAccessOutputs extends TableSetupAccessInputs {
  /** The allowed tables read back as the member. */
  verified: string[];
}

/** Normalises and validates the inputs; no request is made. */
export const check = checker({ voice: valueFirst(TYPE), fields: FIELDS });

/** What the member's key shows: whose key it is, its role, and the Table Setup entries it may use. */
interface LiveAccess {
  /** The member's current role name, undefined when the member no longer exists. */
  memberRole: string | undefined;
  keyMember: string;
  tableSetupInquire: string;
  allowed: string[];
}

async function readAccess(client: ConnectWiseClient, inputs: TableSetupAccessInputs): Promise<LiveAccess> {
  const [member] = await client.list("/system/apiMembers", ApiMemberSchema, {
    conditions: eq("identifier", inputs.member),
  });
  if (!member) return { memberRole: undefined, keyMember: inputs.member, tableSetupInquire: "None", allowed: [] };
  const asMember = client.asMember(inputs.publicKey, inputs.privateKey);
  try {
    const [mySecurity, items] = await Promise.all([
      asMember.list("/system/mySecurity", MySecuritySchema, {
        conditions: and(eq("moduleName", "System"), eq("moduleFunctionName", "Table Setup")),
      }),
      asMember.list("/system/mySecurity/customizeItems/", MySecurityCustomizeItemSchema, {
        conditions: eq("customizeIdentifier", TABLE_SETUP),
      }),
    ]);
    return {
      memberRole: member.securityRole?.name,
      keyMember: mySecurity[0]?.member?.identifier ?? inputs.member,
      tableSetupInquire: mySecurity[0]?.inquireLevel ?? "None",
      allowed: items
        .map((item) => item.itemIdentifier ?? "")
        .filter((entry) => entry !== "")
        .sort(),
    };
  } catch (error) {
    if (error instanceof ConnectWiseError && error.status === 401) {
      throw new KeyRejected(
        `${label(inputs.role, inputs.member)}: the key given for API member "${inputs.member}" does not authenticate on ${client.tenant} (expired, revoked, or the member is inactive); give a current key of that member`,
      );
    }
    throw error;
  }
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

function pending(
  inputs: TableSetupAccessInputs,
  live: LiveAccess,
): { diffs: PendingDifference[]; steps: ConsoleStep[] } {
  const customize = ["System", "Security Roles", inputs.role, "System", "Table Setup", "Customize"];
  const diffs: PendingDifference[] = [];
  const steps: ConsoleStep[] = [];
  // Without inquire on System/Table Setup the role sees no Customize list at all.
  if (inputs.tables.length > 0 && live.allowed.length === 0 && live.tableSetupInquire === "None") {
    diffs.push({ key: "System/Table Setup", field: "inquire", current: "None", desired: "All" });
    steps.push({
      menuPath: ["System", "Security Roles", inputs.role, "System", "Table Setup"],
      field: "Inquire Level",
      value: "All",
      current: "None",
    });
  }
  for (const table of inputs.tables.filter((t) => !live.allowed.includes(t))) {
    diffs.push({ key: "Table Setup", field: `'${table}'`, current: "not allowed", desired: "allowed" });
    steps.push({ menuPath: customize, field: ALLOW_LIST, value: table, action: "add" });
  }
  for (const table of live.allowed.filter((t) => !inputs.tables.includes(t))) {
    diffs.push({ key: "Table Setup", field: `'${table}'`, current: "allowed", desired: "not allowed" });
    steps.push({ menuPath: customize, field: ALLOW_LIST, value: table, action: "remove" });
  }
  return { diffs, steps };
}

/** Resolves the outputs when the member's key shows exactly the declared list, else rejects. */
async function verify(inputs: TableSetupAccessInputs & Record<string, unknown>): Promise<TableSetupAccessOutputs> {
  const client = await session.connect();
  const live = await readAccess(client, inputs);
  const wrong = mismatch(inputs, live, client.tenant);
  if (wrong) throw new Error(wrong);
  const outputs = { ...inputs, verified: live.allowed };
  const { steps } = pending(inputs, live);
  if (steps.length > 0) {
    throw pendingStepsError({
      id: idOf(inputs),
      properties: outputs,
      tenant: client.tenant,
      resource: label(inputs.role, inputs.member),
      steps,
    });
  }
  return outputs;
}

const idOf = (inputs: { role: string; member: string }) => `${inputs.role}/${inputs.member}`;

export async function create(
  inputs: TableSetupAccessInputs & Record<string, unknown>,
): Promise<pulumi.dynamic.CreateResult> {
  return { id: idOf(inputs), outs: await verify(inputs) };
}

export async function update(
  _id: string,
  _olds: TableSetupAccessOutputs,
  news: TableSetupAccessInputs & Record<string, unknown>,
): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: await verify(news) };
}

export async function diff(
  _id: string,
  olds: TableSetupAccessOutputs,
  news: TableSetupAccessInputs,
): Promise<pulumi.dynamic.DiffResult> {
  const base = { deleteBeforeReplace: false };
  const replaces = (["role", "member"] as const).filter((k) => isUnknown(news[k]) || olds[k] !== news[k]);
  if (replaces.length > 0) return { ...base, changes: true, replaces };
  const keysChanged = olds.publicKey !== news.publicKey || olds.privateKey !== news.privateKey;
  // A key not known yet (an ApiKey being replaced) cannot verify anything during preview.
  if (
    [news.publicKey, news.privateKey, news.tables, ...(Array.isArray(news.tables) ? news.tables : [])].some(isUnknown)
  )
    return { ...base, changes: true, replaces: [] };

  const client = await session.connect();
  const live = await readAccess(client, news);
  const resource = label(news.role, news.member);
  const diffs: PendingDifference[] =
    live.memberRole !== undefined && live.memberRole.toLowerCase() !== news.role.toLowerCase()
      ? [{ key: `member ${news.member}`, field: "securityRole", current: live.memberRole, desired: news.role }]
      : pending(news, live).diffs;
  for (const line of previewLines(resource, diffs)) console.error(line);
  const tablesChanged = JSON.stringify(olds.tables) !== JSON.stringify(news.tables);
  const unverifiable = mismatch(news, live, client.tenant) !== undefined;
  return { ...base, changes: diffs.length > 0 || unverifiable || tablesChanged || keysChanged, replaces: [] };
}

/** The verifying member's key does not authenticate. */
class KeyRejected extends Error {}

export async function read(
  id: string,
  props: TableSetupAccessOutputs & Record<string, unknown>,
): Promise<pulumi.dynamic.ReadResult> {
  const client = await session.connect();
  let live: Awaited<ReturnType<typeof readAccess>>;
  try {
    live = await readAccess(client, props);
  } catch (error) {
    // The member's key no longer authenticates (revoked, expired, member deactivated): nothing
    // can be verified with it, so refresh reports this access gone and the next up rebuilds it.
    if (error instanceof KeyRejected) return { id: "" };
    throw error;
  }
  if (live.memberRole === undefined) return { id: "" };
  const inputs: TableSetupAccessInputs = {
    role: props.role,
    member: props.member,
    publicKey: props.publicKey,
    privateKey: props.privateKey,
    tables: live.allowed,
  };
  return { id, props: { ...props, ...inputs, verified: live.allowed }, inputs };
}

/** Nothing exists remotely for this resource: say what the operator may undo by hand. */
export function deleteAccess(_id: string, props: TableSetupAccessOutputs): Promise<void> {
  console.error(
    `${label(props.role, props.member)}: nothing to delete in ConnectWise (the API cannot change Table Setup access). ` +
      `If the role should lose it, remove ${props.tables.map((t) => `'${t}'`).join(", ") || "the entries"} in ` +
      `System > Security Roles > ${props.role} > System > Table Setup > Customize > ${ALLOW_LIST}.`,
  );
  return Promise.resolve();
}

export const provider: Required<pulumi.dynamic.ResourceProvider> = {
  configure: session.configure,
  check,
  diff,
  create,
  read,
  update,
  delete: deleteAccess,
};
