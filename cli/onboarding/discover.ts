// `npm run discover -- --stack <name> [--write]`: what a tenant already has, before the first `up`.
// Lists its security roles and API members, matches each role against every known integration's
// table (shipped presets and the project's integrations/ folder), and prints the
// `connectwise-iac:integrations` entries that adopt the matched roles and members, or adds them to
// Pulumi.<stack>.yaml with --write. It only reads from ConnectWise (GET requests).
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import YAML, { isMap, isSeq, YAMLMap, YAMLSeq } from "yaml";
import { ConnectWiseClient } from "../../connectwise/client";
import { Scrubber } from "../../connectwise/scrub";
import type { ApiMember, SecurityRole } from "../../connectwise/schemas";
import type { IntegrationDefinition } from "../../program/integration";
import { defaultIdentifier, integrationKinds } from "./new-client";
import { bestMatch, describeDifference, RoleMatch } from "../shared/roleMatch";
import { readRoles } from "../shared/tenantRoles";
import { checkStackName, readStackConnection, Refusal, secretsOf } from "../shared/stackConnection";
import { CommandIo, runAsMain, table } from "../shared/command";

const USAGE = `usage: npm run discover -- --stack <name> [--write]
Reads the stack's connection (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE must be set),
lists the tenant's security roles and API members, matches the roles against the known integrations
and prints the entries that adopt them; --write adds them to Pulumi.<stack>.yaml. Read-only on the tenant.`;

/** One role as found, with its best match and the API members on it. */
export interface FoundRole {
  role: SecurityRole;
  match: RoleMatch | undefined;
  members: ApiMember[];
}

const active = (m: ApiMember) => !m.inactiveFlag;

/** The differing functions, briefly: the first three and a count of the rest. */
function briefDifferences(match: RoleMatch): string {
  const shown = match.differences.slice(0, 3).map(describeDifference);
  const rest = match.differences.length - shown.length;
  return shown.join("; ") + (rest > 0 ? `; and ${rest} more` : "");
}

const MEMBER_FIELDS: Array<{ key: string; from: (m: ApiMember) => string | undefined; todo: string }> = [
  { key: "identifier", from: (m) => m.identifier, todo: "the member's identifier" },
  { key: "name", from: (m) => m.name, todo: "the member's name" },
  { key: "email", from: (m) => m.emailAddress, todo: "the member's email address, e.g. it@client.example" },
  { key: "level", from: (m) => m.structureLevel?.name, todo: "corporate structure level, e.g. Corporate" },
  { key: "businessUnit", from: (m) => m.defaultDepartment?.name, todo: "business unit (department), e.g. Admin" },
  { key: "location", from: (m) => m.securityLocation?.name, todo: "location, e.g. Main" },
  { key: "defaultTerritory", from: (m) => m.salesDefaultLocation?.name, todo: "default territory, e.g. Main" },
];

/** Per kind, the role that matches it best (fewest differing functions); the others are named as left out. */
export function chooseAdoptions(found: FoundRole[]): { chosen: FoundRole[]; leftOut: FoundRole[] } {
  const byKind = new Map<string, FoundRole>();
  const leftOut: FoundRole[] = [];
  for (const f of found.filter((x) => x.match)) {
    const kind = f.match!.definition.id;
    const earlier = byKind.get(kind);
    if (!earlier) byKind.set(kind, f);
    else if (f.match!.differences.length < earlier.match!.differences.length) {
      leftOut.push(earlier);
      byKind.set(kind, f);
    } else leftOut.push(f);
  }
  return { chosen: [...byKind.values()], leftOut };
}

/** The `connectwise-iac:integrations` items adopting the chosen roles, comments saying what `up` will do. */
function adoptionItems(doc: YAML.Document, chosen: FoundRole[]): YAMLMap[] {
  return chosen.map(({ role, match, members }) => {
    const definition: IntegrationDefinition = match!.definition;
    const member = members.find(active) ?? members[0];
    const block: Record<string, string> = {};
    const todo: string[] = [];
    for (const { key, from, todo: hint } of MEMBER_FIELDS) {
      const value = member ? from(member) : undefined;
      if (value) block[key] = value;
      else todo.push(`${key}: ${hint}`);
    }
    if (!member) {
      // No API member on the role: propose new-client's identifier; adopting then creates it.
      block.identifier = defaultIdentifier(definition);
      todo.splice(0, 1);
    }
    const entry: Record<string, unknown> = { kind: definition.id, adopt: true };
    if (role.name !== definition.roleName) entry.roleName = role.name;
    entry.member = block;
    const item = doc.createNode(entry) as YAMLMap;
    const notes: string[] = [];
    if (match!.verdict !== "exact") {
      notes.push(
        ` role "${role.name}" ${match!.verdict === "differs" ? "differs from" : `${match!.verdict} than`} the ${definition.id} table on ${match!.differences.length} function(s): up lists the console steps`,
      );
    } else notes.push(` role "${role.name}" matches the ${definition.id} table exactly`);
    if (!member) notes.push(" no API member on this role: up creates this one");
    else if (!active(member)) notes.push(` API member ${member.identifier} is inactive in Manage: up reactivates it`);
    item.commentBefore = notes.join("\n");
    if (todo.length > 0)
      (item.get("member", true) as unknown as YAMLMap).comment = todo.map((t) => ` TODO ${t}`).join("\n");
    return item;
  });
}

/** The block to paste: `config:` with the integrations key, as Pulumi.<stack>.yaml holds it. */
export function adoptionBlock(projectName: string, chosen: FoundRole[]): string {
  const doc = new YAML.Document({ config: {} });
  const list = doc.createNode([]) as YAMLSeq;
  list.items.push(...adoptionItems(doc, chosen));
  doc.setIn(["config", `${projectName}:integrations`], list);
  return doc.toString();
}

/** Adds the entries to the stack file, keeping its comments; an entry whose kind is there already is refused. */
export function writeAdoptions(
  stackFile: string,
  projectName: string,
  chosen: FoundRole[],
): { added: string[]; refused: string[] } {
  const text = fs.readFileSync(stackFile, "utf8");
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) throw new Refusal(`${stackFile}: ${doc.errors[0].message.split("\n")[0]}`);
  const key = ["config", `${projectName}:integrations`];
  let list = doc.getIn(key, true);
  if (list === undefined || list === null) {
    list = doc.createNode([]);
    doc.setIn(key, list);
  }
  if (!isSeq(list)) throw new Refusal(`${stackFile}: ${key.join(".")} is not a list; nothing was written`);
  const seq = list;
  // new-client writes an empty list as `[]`: entries added to it are written as a block list.
  if (seq.items.length === 0) seq.flow = false;
  const existing = seq.items.map((item) => (isMap(item) ? String(item.get("kind")) : ""));
  const added: string[] = [];
  const refused: string[] = [];
  for (const item of adoptionItems(doc, chosen)) {
    const kind = String(item.get("kind"));
    const at = existing.indexOf(kind);
    if (at >= 0) refused.push(`${kind}: already declared (${key[1]}[${at}]); left as is`);
    else {
      seq.items.push(item);
      added.push(kind);
    }
  }
  if (added.length > 0) fs.writeFileSync(stackFile, doc.toString());
  return { added, refused };
}

/** Reads the tenant: roles with their settings and best match, API members. Only GET requests. */
export async function readTenant(
  client: ConnectWiseClient,
  definitions: IntegrationDefinition[],
): Promise<{ found: FoundRole[]; members: ApiMember[] }> {
  const { roles, apiMembers } = await readRoles(client);
  const found = roles.map(({ role, levels }): FoundRole => ({
    role,
    match: bestMatch(levels, definitions),
    members: apiMembers.filter((m) => m.securityRole?.id === role.id),
  }));
  return { found, members: apiMembers };
}

export async function discover(argv: string[], io: CommandIo): Promise<number> {
  // A last guard: whatever goes out is scanned for the keys (the client already keeps them out).
  const scrubber = new Scrubber();
  const clean = scrubber.text;
  const out = (text: string) => io.out(clean(text));
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        write: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    const stack = checkStackName(values.stack, USAGE);
    const { connection, project, projectName, stackFile, declaredKinds } = await readStackConnection(stack, io);
    scrubber.add(...secretsOf(connection));
    const definitions = integrationKinds(project);
    const client = await ConnectWiseClient.connect(connection);
    const { found, members } = await readTenant(client, definitions);

    out(`Tenant ${client.tenant}: ${found.length} security role(s), ${members.length} API member(s)\n\n`);
    out("Security roles (matched against each known integration's table, every other function None):\n");
    out(
      table(
        ["role", "API members", "best match", "differs on"],
        found.map(({ role, match, members: on }) => [
          role.name + (role.inactiveFlag ? " (inactive)" : ""),
          on.map((m) => m.identifier + (active(m) ? "" : " (inactive)")).join(", ") || "-",
          match ? `${match.definition.id}: ${match.verdict}` : "unmatched",
          match && match.differences.length > 0 ? briefDifferences(match) : "-",
        ]),
      ),
    );
    out("\nAPI members:\n");
    out(
      table(
        ["identifier", "role", "level", "business unit", "location", "active"],
        members.map((m) => [
          m.identifier,
          m.securityRole?.name ?? "-",
          m.structureLevel?.name ?? "-",
          m.defaultDepartment?.name ?? "-",
          m.securityLocation?.name ?? "-",
          active(m) ? "yes" : "no",
        ]),
      ),
    );
    out(
      "\nTable Setup allow-lists are not compared: the API shows a role's list only to a member on it, with its key.\n",
    );

    const { chosen, leftOut } = chooseAdoptions(found);
    for (const f of leftOut) {
      out(
        `Role "${f.role.name}" also matches ${f.match!.definition.id}; one entry per kind, a closer role was taken.\n`,
      );
    }
    if (chosen.length === 0) {
      out("\nNo role matches a known integration closely: nothing to adopt.\n");
      return 0;
    }
    const rel = path.relative(io.cwd, stackFile) || stackFile;
    if (!values.write) {
      const twice = chosen.map((f) => f.match!.definition.id).filter((kind) => declaredKinds.includes(kind));
      if (twice.length > 0)
        out(`\nAlready declared in ${rel}: ${twice.join(", ")} (leave those out; --write leaves them as they are).\n`);
      out(`\nTo adopt them, add this to ${rel} (or run again with --write):\n\n`);
      out(adoptionBlock(projectName, chosen));
      return 0;
    }
    const { added, refused } = writeAdoptions(stackFile, projectName, chosen);
    if (added.length > 0) out(`\nAdded to ${rel}: ${added.join(", ")} (adopt: true).\n`);
    for (const r of refused) out(`Refused ${r}.\n`);
    if (added.length > 0) out(`Next: npm run pulumi -- preview --stack ${stack}\n`);
    return refused.length > 0 ? 1 : 0;
  } catch (error) {
    io.err(clean(`discover: ${(error as Error).message}\n`));
    return error instanceof Refusal || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? 2 : 1;
  }
}

if (require.main === module) runAsMain("discover", discover);
