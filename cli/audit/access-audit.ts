// `npm run access-audit -- --stack <name> | --all`: the least-privilege audit of a tenant, or of
// every client stack. For each API member a stack declares (its integration's member), the role's
// levels against that integration's table, matched as discover matches them (cli/shared/roleMatch.ts):
// what the role grants beyond the table and what it lacks. Also: API members no integration
// declares (against the closest known table), roles no active member uses, inactive members on
// active roles, and the API keys in the stack's state that expire soon. Read-only: GET requests
// to ConnectWise, `pulumi config` and `pulumi stack export` (no --show-secrets) for the stack.
// Exit code 0: nothing flagged; 2: findings; 1: a stack could not be audited (or bad arguments).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { ConnectWiseClient } from "../../connectwise/client";
import { listMembers, mySecurityPage } from "../../connectwise/endpoints";
import { Scrubber } from "../../connectwise/scrub";
import type { ApiMember, Member } from "../../connectwise/schemas";
import type { IntegrationDefinition } from "../../program/integration";
import { askedFor, describeSelection, resolveIntegration } from "../../program/resolve";
import {
  AccessAudit,
  auditMarkdown,
  auditText,
  countFindings,
  exitCode,
  EXIT_ERROR,
  IntegrationAudit,
  KeyAudit,
  StackAudit,
  UndeclaredMember,
} from "./accessAuditReport";
import { auditHtml } from "./accessAuditHtml";
import { CommandIo, runAsMain } from "../shared/command";
import { integrationKinds } from "../onboarding/new-client";
import { projectDir } from "../../pulumi-runtime/pulumiCli";
import { bestMatch, compare, fieldDifferences, grantedFunctions } from "../shared/roleMatch";
import {
  checkStackName,
  DeclaredIntegration,
  readStackConnection,
  readStackState,
  Refusal,
  secretsOf,
  StateResource,
} from "../shared/stackConnection";
import { LiveRole, readRoles } from "../shared/tenantRoles";

const USAGE = `usage: npm run access-audit -- (--stack <name> | --all) [options]

  --stack NAME        audit this stack's tenant (repeat for several)
  --all               every stack with a Pulumi.<stack>.yaml beside Pulumi.yaml: a summary, then each stack
  --json FILE         write the results as JSON
  --markdown FILE     write them as Markdown (with several stacks, the summary first)
  --html FILE         write one self-contained HTML page: a matrix of tenants by integrations
  --expiry-days N     flag API keys in the state expiring within N days (default 14)
  --parallel N        stacks audited at once (default: the number of CPUs)

Read-only: GET requests to ConnectWise; the stack's config and state through pulumi
(PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE must be set).
Exit codes: 0 nothing flagged, 2 findings, 1 a stack could not be audited.`;

const KEY_TYPE = "pulumi-nodejs:dynamic/connectwise:ApiKey";
const DAY = 86_400_000;

const lower = (s: string) => s.toLowerCase();
const active = (m: { inactiveFlag?: boolean | null }) => !m.inactiveFlag;

/** What the audit of one tenant reads; the audit itself (auditTenant) is a plain function of it. */
export interface TenantReading {
  roles: LiveRole[];
  apiMembers: ApiMember[];
  /** Every member (full and API), for who uses which role. */
  members: Member[];
  /** The identifier the stack connects as. */
  connectionMember?: string;
}

/** One stack's findings from what was read. */
export function auditTenant(
  base: { stack: string; tenant: string },
  declared: DeclaredIntegration[],
  known: Map<string, IntegrationDefinition>,
  reading: TenantReading,
  keys: KeyAudit[],
  stateNote: string,
): StackAudit {
  const { roles, apiMembers, members, connectionMember } = reading;
  const roleById = new Map<number | null | undefined, LiveRole>(roles.map((r) => [r.role.id, r]));
  const roleName = (m: { securityRole?: { id?: number | null; name?: string } }) =>
    roleById.get(m.securityRole?.id)?.role.name ?? m.securityRole?.name ?? "";

  const integrations = declared.map((d): IntegrationAudit => {
    let definition: IntegrationDefinition | undefined = known.get(d.kind);
    let selection: string | undefined;
    // The table the stack selects (tier, options), each level knowing which block asked for it.
    if (definition && (definition.tiers || definition.options)) {
      try {
        const resolved = resolveIntegration(definition, { tier: d.tier, options: d.options });
        selection = `${describeSelection(resolved)}${askedFor(resolved)}`;
        definition = resolved;
      } catch (error) {
        selection = (error as Error).message;
      }
    }
    const entry: IntegrationAudit = {
      kind: d.kind,
      name: d.name,
      integration: definition?.integration ?? d.kind,
      member: d.identifier ?? "",
      role: "",
      memberActive: false,
      status: "missing",
      beyond: [],
      lacks: [],
      notes: [],
    };
    if (!definition) return { ...entry, notes: [`"${d.kind}" is no known integration: nothing to compare with`] };
    const member = d.identifier ? apiMembers.find((m) => lower(m.identifier) === lower(d.identifier!)) : undefined;
    if (!member)
      return {
        ...entry,
        notes: [d.identifier ? `no API member "${d.identifier}" in the tenant` : "the stack names no member"],
      };
    const live = roleById.get(member.securityRole?.id);
    entry.member = member.identifier;
    entry.memberActive = active(member);
    if (!live) return { ...entry, notes: [`API member ${member.identifier} is on no role the tenant lists`] };
    if (!live.levels)
      return {
        ...entry,
        role: live.role.name,
        status: "unknown",
        notes: [`role "${live.role.name}": levels unknown, its settings could not be read: ${live.unknown}`],
      };
    const match = compare(live.levels, definition);
    const wantedRole = d.roleName ?? definition.roleName;
    const notes: string[] = selection ? [`the stack selects ${selection}`] : [];
    if (!entry.memberActive) notes.push(`API member ${member.identifier} is inactive`);
    if (live.role.inactiveFlag) notes.push(`role "${live.role.name}" is inactive`);
    if (lower(live.role.name) !== lower(wantedRole))
      notes.push(`the stack declares role "${wantedRole}"; the member is on "${live.role.name}"`);
    return { ...entry, role: live.role.name, status: match.verdict, ...fieldDifferences(match), notes };
  });

  const declaredIds = new Set(declared.flatMap((d) => (d.identifier ? [lower(d.identifier)] : [])));
  const definitions = [...known.values()];
  const undeclared = apiMembers
    .filter((m) => !declaredIds.has(lower(m.identifier)))
    .map((m): UndeclaredMember => {
      const live = roleById.get(m.securityRole?.id);
      const match = live?.levels ? bestMatch(live.levels, definitions) : undefined;
      return {
        identifier: m.identifier,
        role: roleName(m),
        active: active(m),
        connection: connectionMember !== undefined && lower(connectionMember) === lower(m.identifier),
        ...(match
          ? { closest: { kind: match.definition.id, verdict: match.verdict, ...fieldDifferences(match) } }
          : {}),
        grants: live?.levels ? grantedFunctions(live.levels) : live ? ["unknown"] : [],
      };
    });

  // Full members and API members, once each by identifier.
  const everyone = new Map<string, { identifier: string; api: boolean; member: Member | ApiMember }>();
  for (const m of members)
    everyone.set(lower(m.identifier), { identifier: m.identifier, api: m.licenseClass === "A", member: m });
  for (const m of apiMembers) everyone.set(lower(m.identifier), { identifier: m.identifier, api: true, member: m });
  const holders = (roleId: number | null | undefined) =>
    [...everyone.values()].filter((e) => e.member.securityRole?.id === roleId);

  const unusedRoles = roles
    .filter((r) => !r.role.inactiveFlag && !holders(r.role.id).some((e) => active(e.member)))
    .map((r) => ({
      role: r.role.name,
      grants: r.levels ? grantedFunctions(r.levels) : ["unknown"],
      inactiveHolders: holders(r.role.id).map((e) => e.identifier),
    }));
  const inactiveMembers = [...everyone.values()]
    .filter((e) => !active(e.member))
    .flatMap((e) => {
      const live = roleById.get(e.member.securityRole?.id);
      if (!live || live.role.inactiveFlag) return [];
      return [
        { identifier: e.identifier, kind: e.api ? ("API member" as const) : ("member" as const), role: live.role.name },
      ];
    })
    .sort((a, b) => a.identifier.localeCompare(b.identifier));

  const named = keys.map((k) => ({
    ...k,
    integration: declared.find((d) => d.identifier && lower(d.identifier) === lower(k.member))?.name ?? "",
  }));
  const audit = { ...base, integrations, undeclared, unusedRoles, inactiveMembers, keys: named, stateNote };
  return { ...audit, findings: countFindings(audit) };
}

/** The ApiKey resources of a state, with their expiry against `now`. */
export function keysFromState(resources: StateResource[], now: Date, expiryDays: number): KeyAudit[] {
  return resources
    .filter((r) => r.type === KEY_TYPE && r.outputs)
    .map((r): KeyAudit => {
      const o = r.outputs!;
      const member =
        typeof o.memberIdentifier === "string" && o.memberIdentifier
          ? o.memberIdentifier
          : typeof o.member === "string"
            ? o.member
            : "";
      const expiration = typeof o.expiration === "string" ? o.expiration : "";
      const at = Date.parse(expiration);
      if (!expiration || Number.isNaN(at))
        return { member, integration: "", expiration: "", daysLeft: null, status: "no expiry" };
      const left = (at - now.getTime()) / DAY;
      const status = left <= 0 ? "expired" : left < expiryDays ? "near expiry" : "ok";
      return { member, integration: "", expiration, daysLeft: Math.floor(left), status };
    })
    .sort((a, b) => a.member.localeCompare(b.member));
}

/** The plain strings of a state's outputs that are keys (public keys): scrubbed from every report as a backstop (connectwise/scrub.ts). */
function stateSecrets(resources: StateResource[]): string[] {
  return resources
    .filter((r) => r.type === KEY_TYPE)
    .flatMap((r) => [r.outputs?.publicKey, r.outputs?.privateKey])
    .filter((v): v is string => typeof v === "string" && v.length >= 8);
}

/** Reads one tenant (GET only). */
export async function readTenantAccess(client: ConnectWiseClient): Promise<TenantReading> {
  const [{ roles, apiMembers }, members, me] = await Promise.all([
    readRoles(client),
    listMembers(client, { orderBy: "identifier asc" }),
    mySecurityPage(client, { pageSize: 1 }),
  ]);
  return { roles, apiMembers, members, connectionMember: me[0]?.member?.identifier };
}

async function auditStack(stack: string, io: CommandIo, expiryDays: number, scrubber: Scrubber): Promise<StackAudit> {
  const empty = {
    integrations: [],
    undeclared: [],
    unusedRoles: [],
    inactiveMembers: [],
    keys: [],
    stateNote: "",
    findings: 0,
  };
  let tenant = "";
  try {
    const { connection, project, declared } = await readStackConnection(stack, io);
    scrubber.add(...secretsOf(connection));
    tenant = `${connection.companyId} at ${connection.site}`;
    const known = new Map(integrationKinds(project).map((d) => [d.id, d]));
    const client = await ConnectWiseClient.connect(connection);
    tenant = client.tenant;
    const [reading, state] = await Promise.all([
      readTenantAccess(client),
      readStackState(stack, io).then(
        (resources) => ({ resources, note: "" }),
        (error: Error) => ({ resources: [] as StateResource[], note: `state not readable: ${error.message}` }),
      ),
    ]);
    scrubber.add(...stateSecrets(state.resources));
    const keys = keysFromState(state.resources, new Date(), expiryDays);
    const note =
      state.note || (state.resources.length === 0 ? "no state yet (the stack has never been up): no key known" : "");
    return auditTenant({ stack, tenant }, declared, known, reading, keys, note);
  } catch (error) {
    return { stack, tenant, ...empty, error: (error as Error).message };
  }
}

/** Runs `worker` over `items`, at most `limit` at once, results in order. */
async function pool<T, R>(items: T[], limit: number, worker: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await worker(items[i]);
      }
    }),
  );
  return results;
}

/** The stacks with a Pulumi.<stack>.yaml beside Pulumi.yaml, sorted. */
function everyStack(project: string): string[] {
  return fs
    .readdirSync(project)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

function positive(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Refusal(`${flag} needs a whole number of at least 1, not "${value}"`);
  return n;
}

export async function accessAudit(argv: string[], io: CommandIo): Promise<number> {
  // Whatever goes out is scanned for every stack's keys (the client already keeps them out).
  const scrubber = new Scrubber();
  const clean = scrubber.text;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string", multiple: true },
        all: { type: "boolean" },
        json: { type: "string" },
        markdown: { type: "string" },
        html: { type: "string" },
        "expiry-days": { type: "string" },
        parallel: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    if (values.all && values.stack) throw new Refusal(`give --stack or --all, not both\n${USAGE}`);
    const project = projectDir(io.cwd);
    const stacks = values.all
      ? everyStack(project)
      : (values.stack ?? [undefined]).map((s) => checkStackName(s, USAGE));
    if (stacks.length === 0) throw new Refusal(`no Pulumi.<stack>.yaml beside ${path.join(project, "Pulumi.yaml")}`);
    const expiryDays = positive(values["expiry-days"], "--expiry-days", 14);
    const parallel = positive(values.parallel, "--parallel", os.availableParallelism());

    const audited = await pool(stacks, parallel, (stack) => auditStack(stack, io, expiryDays, scrubber));
    const audit: AccessAudit = {
      tool: "connectwise-iac access-audit",
      generatedAt: new Date().toISOString(),
      expiryDays,
      stacks: audited,
    };
    const write = (file: string | undefined, text: string) => {
      if (file) fs.writeFileSync(path.resolve(io.cwd, file), clean(text));
    };
    write(values.json, `${JSON.stringify(audit, null, 2)}\n`);
    write(values.markdown, auditMarkdown(audit));
    write(values.html, auditHtml(audit));
    io.out(clean(auditText(audit)));
    for (const [flag, file] of [
      ["JSON", values.json],
      ["Markdown", values.markdown],
      ["HTML", values.html],
    ] as const)
      if (file) io.out(`${flag}: ${path.resolve(io.cwd, file)}\n`);
    return exitCode(audit);
  } catch (error) {
    io.err(clean(`access-audit: ${(error as Error).message}\n`));
    return EXIT_ERROR;
  }
}

if (require.main === module) runAsMain("access-audit", accessAudit);
