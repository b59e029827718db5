// `npm run doctor -- --stack <name>`: the read-only preflight to run before the first `up` against a
// real tenant. Each check tests one assumption the provider makes about the tenant's API (the
// endpoints its handlers call, the shapes it parses, the names it compares, the paging it follows)
// and reports pass, fail or cannot tell with its evidence. Only GET requests: a preflight that
// wrote would need the very trust it is there to establish.
import { parseArgs } from "util";
import { z } from "zod";
import { functionKey, findFunction, MODULE_FUNCTIONS, TABLE_SETUP_ENTRIES } from "../../catalog";
import { ConnectWiseClient } from "../../connectwise/client";
import type { Connection } from "../../connectwise/connection";
import { Scrubber } from "../../connectwise/scrub";
import {
  ENDPOINTS,
  EndpointName,
  listSecurityRoles,
  myCustomizeItems,
  mySecurityPage,
  pathOf,
  roleSettings,
} from "../../connectwise/endpoints";
import { SecurityRoleSchema } from "../../connectwise/schemas";
import type { SecurityRoleSetting } from "../../connectwise/schemas";
import { integrationKinds } from "./new-client";
import { checkStackName, readStackConnection, Refusal, secretsOf } from "../shared/stackConnection";
import { CommandIo, runAsMain } from "../shared/command";

const USAGE = `usage: npm run doctor -- --stack <name>
Checks, with GET requests only, each assumption the provider makes about the stack's tenant and
prints pass / fail / cannot tell per check with its evidence. Exit code: 0 all pass, 1 any fail,
2 no fail but something could not be told, 3 refused
(bad arguments, unreadable stack). PULUMI_CONFIG_PASSPHRASE(_FILE) must be set.`;

export type Outcome = "pass" | "fail" | "cannot tell";

export interface Check {
  name: string;
  outcome: Outcome;
  evidence: string;
}

const LEVEL_FIELDS = ["addLevel", "editLevel", "deleteLevel", "inquireLevel"] as const;
const TABLE_SETUP = "SystemTableSetup";
/** Why a GET of one object cannot be probed: its list endpoint listed nothing. */
const NOTHING_LISTED: Partial<Record<EndpointName, string>> = {
  securityRoles: "no role listed to read",
  apiMembers: "no API member listed to read",
};

/** The first few of a list, and how many more. */
function some(items: string[], max = 5): string {
  const rest = items.length - max;
  return items.slice(0, max).join(", ") + (rest > 0 ? `, and ${rest} more` : "");
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Runs every check against the client's tenant; `definitions` are the tables the stack declares. */
export async function runChecks(
  client: ConnectWiseClient,
  definitions: { id: string; permissions: Record<string, unknown> }[],
): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, outcome: Outcome, evidence: string) => checks.push({ name, outcome, evidence });

  // Authentication and clientId: mySecurity needs no permission, only a key, a company and a clientId.
  const authentication = await authenticationCheck(client);
  checks.push(authentication);
  if (authentication.outcome === "fail") {
    add("the other checks", "cannot tell", "they need an authenticated connection");
    return checks;
  }

  // Every GET the handlers make (connectwise/endpoints.ts), once each, one row where it is a list.
  const endpoint = async (path: string, schema: z.ZodType, list: boolean, label: string): Promise<unknown> => {
    try {
      const body = await client.get(path, list ? z.array(schema) : schema, list ? { pageSize: 1 } : undefined);
      const rows = Array.isArray(body)
        ? `${body.length === 1 ? "1 row" : `${body.length} rows`} with pageSize 1`
        : "one object";
      add(`GET ${label}`, "pass", `answered ${rows}, as the schema expects`);
      return body;
    } catch (error) {
      add(`GET ${label}`, "fail", message(error));
      return undefined;
    }
  };
  // A GET of one object reads the first row its list endpoint gave.
  const firstIds = new Map<string, number | undefined>();
  for (const [name, spec] of Object.entries(ENDPOINTS) as [EndpointName, (typeof ENDPOINTS)[EndpointName]][]) {
    if (spec.method !== "GET") continue;
    const list = "list" in spec && spec.list;
    let path: string = spec.path;
    if ("idFrom" in spec) {
      const id = firstIds.get(spec.idFrom);
      if (id === undefined) {
        add(`GET ${spec.path}`, "cannot tell", NOTHING_LISTED[spec.idFrom] ?? `${spec.idFrom} listed nothing to read`);
        continue;
      }
      path = pathOf(name, { id });
    }
    const body = await endpoint(path, spec.response, list, spec.path);
    if (list) firstIds.set(name, (body as { id?: number }[] | undefined)?.[0]?.id);
  }

  // The settings page, read as the provider reads it (pageSize 1000), on every role.
  const settings = new Map<string, SecurityRoleSetting[]>();
  try {
    const all = await listSecurityRoles(client, { fields: ["id", "name"] });
    // Concurrently: the client's per-tenant limit bounds the requests in flight.
    const read = await Promise.all(
      all
        .filter((role) => role.id !== undefined)
        .map(async (role) => [role.name, await roleSettings(client, role.id!)] as const),
    );
    for (const [name, list] of read) settings.set(name, list);
  } catch (error) {
    add("settings page shape", "fail", message(error));
    add("module and function names", "cannot tell", "no settings page was read");
  }
  const rows = [...settings.values()].flat();
  if (settings.size === 0 && !checks.some((c) => c.name === "settings page shape")) {
    add("settings page shape", "cannot tell", "the tenant lists no role to read");
    add("module and function names", "cannot tell", "the tenant lists no role to read");
  }
  if (settings.size > 0) {
    const bad = [...settings].flatMap(([role, list]) =>
      list
        .filter(
          (s) =>
            typeof s.moduleName !== "string" ||
            typeof s.moduleFunctionName !== "string" ||
            LEVEL_FIELDS.some((f) => s[f] === undefined || s[f] === null),
        )
        .map((s) => `${role}: setting ${s.id ?? "?"}`),
    );
    if (bad.length > 0)
      add("settings page shape", "fail", `rows without moduleName, moduleFunctionName or a level: ${some(bad)}`);
    else
      add(
        "settings page shape",
        "pass",
        `${rows.length} settings on ${settings.size} role(s), each with moduleName, moduleFunctionName and the four levels`,
      );

    // Names against the catalog. A function the catalog lacks is one the provider can neither
    // declare nor see: a level granted there by hand escapes `exclusive`, so it fails.
    const unknown = new Map<string, string[]>();
    const seen = new Set<string>();
    for (const [role, list] of settings) {
      for (const s of list) {
        const key = functionKey(s.moduleName ?? "", s.moduleFunctionName ?? "");
        const entry = findFunction(key);
        if (entry) seen.add(functionKey(entry.module, entry.function));
        else unknown.set(key, [...(unknown.get(key) ?? []), role]);
      }
    }
    const missing = MODULE_FUNCTIONS.map((f) => functionKey(f.module, f.function)).filter((k) => !seen.has(k));
    const needed = missing.filter((k) =>
      definitions.some((d) =>
        Object.keys(d.permissions).some((p) => findFunction(p) && p.toLowerCase() === k.toLowerCase()),
      ),
    );
    // A function a declared table needs that no role shows: up would ask for a console step on a
    // function this Manage version does not have, and could never converge.
    const lacking = [...unknown].map(([key, on]) => `"${key}" (on ${some(on, 2)})`);
    const notSeen = missing.length > 0 ? `; catalog functions no role shows: ${some(missing)}` : "";
    if (lacking.length > 0 || needed.length > 0) {
      const parts = [];
      if (lacking.length > 0) parts.push(`names the catalog lacks: ${some(lacking)}`);
      if (needed.length > 0)
        parts.push(`functions this stack's integrations declare but no role shows: ${some(needed)}`);
      add("module and function names", "fail", parts.join("; ") + notSeen);
    } else {
      add("module and function names", "pass", `every name on the tenant's roles is in the catalog${notSeen}`);
    }
  }

  // The Table Setup item format the TableSetupAccess check compares ("Category / Table"): only
  // the calling member's own items are visible, so it takes a member whose role allows some.
  try {
    const items = await myCustomizeItems(client, TABLE_SETUP);
    const identifiers = items.map((i) => i.itemIdentifier ?? "");
    // TableSetupAccess compares these strings with the catalog's entries as they are.
    const malformed = identifiers.filter((id) => !/^\S.* \/ \S.*$/.test(id));
    const known = identifiers.filter((id) => TABLE_SETUP_ENTRIES.includes(id));
    const unknown = identifiers.filter((id) => !malformed.includes(id) && !known.includes(id));
    const quote = (ids: string[]) => some(ids.map((i) => JSON.stringify(i)));
    const name = "customize-item identifier format";
    if (items.length === 0)
      add(
        name,
        "cannot tell",
        "the connection's member sees no Table Setup items; the format shows only to a member whose role allows some",
      );
    else if (malformed.length > 0) add(name, "fail", `not "Category / Table": ${quote(malformed)}`);
    else if (known.length === 0)
      add(name, "fail", `"Category / Table", but none spelt as the catalog: ${quote(unknown)}`);
    else
      add(
        name,
        "pass",
        `${items.length} Table Setup item(s), "Category / Table" as the catalog spells it (e.g. "${known[0]}")` +
          (unknown.length > 0 ? `; not in the catalog (cannot be declared): ${quote(unknown)}` : ""),
      );
  } catch (error) {
    add("customize-item identifier format", "fail", message(error));
  }

  // Paging: two roles with pageSize 1 must come as two pages joined by Link rel="next".
  try {
    const firstTwo = await client.get(pathOf("securityRoles"), z.array(SecurityRoleSchema), {
      pageSize: 2,
      orderBy: "id asc",
    });
    if (firstTwo.length < 2 || firstTwo[1].id === undefined) {
      add("paging with Link headers", "cannot tell", "the tenant has fewer than 2 roles to page through");
    } else {
      const paged = await listSecurityRoles(client, {
        pageSize: 1,
        conditions: `id<=${firstTwo[1].id}`,
        orderBy: "id asc",
      });
      if (paged.length === 2)
        add("paging with Link headers", "pass", `2 roles with pageSize 1 came as 2 pages, joined by Link rel="next"`);
      else
        add(
          "paging with Link headers",
          "fail",
          `2 roles with pageSize 1 gave ${paged.length}: no Link rel="next" after the first page`,
        );
    }
  } catch (error) {
    add("paging with Link headers", "fail", message(error));
  }
  return checks;
}

/**
 * The first check, and the client it gives: the site answers with a codebase for the company
 * (GET /login/companyinfo, no key). `new-client` runs it and the authentication check before it
 * creates a stack.
 */
export async function connectionCheck(
  connection: Connection,
): Promise<{ client?: ConnectWiseClient; checks: Check[] }> {
  try {
    const client = await ConnectWiseClient.connect(connection);
    const evidence = `GET /login/companyinfo/${connection.companyId} named a usable codebase`;
    return { client, checks: [{ name: "codebase discovery", outcome: "pass", evidence }] };
  } catch (error) {
    return {
      checks: [
        { name: "codebase discovery", outcome: "fail", evidence: message(error) },
        { name: "the other checks", outcome: "cannot tell", evidence: "they need the codebase" },
      ],
    };
  }
}

/** The authentication check alone (runChecks' first): the key pair and clientId are accepted. */
export async function authenticationCheck(client: ConnectWiseClient): Promise<Check> {
  try {
    const [row] = await mySecurityPage(client, { pageSize: 1 });
    return {
      name: "authentication and clientId",
      outcome: "pass",
      evidence: `GET /system/mySecurity answered as member "${row?.member?.identifier ?? "?"}": key pair and clientId accepted`,
    };
  } catch (error) {
    return { name: "authentication and clientId", outcome: "fail", evidence: message(error) };
  }
}

const MARK: Record<Outcome, string> = { pass: "PASS", fail: "FAIL", "cannot tell": "????" };

export async function doctor(argv: string[], io: CommandIo): Promise<number> {
  // Whatever goes out is scanned for the keys (the client already keeps them out).
  const scrubber = new Scrubber();
  const clean = scrubber.text;
  const out = (text: string) => io.out(clean(text));
  try {
    const { values } = parseArgs({
      args: argv,
      options: { stack: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
    if (values.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    const stack = checkStackName(values.stack, USAGE);
    const { connection, project, declaredKinds } = await readStackConnection(stack, io);
    scrubber.add(...secretsOf(connection));
    out(`doctor: stack "${stack}", company "${connection.companyId}" at ${connection.site} (GET requests only)\n`);

    const { client, checks } = await connectionCheck(connection);
    const declared = integrationKinds(project).filter((d) => declaredKinds.includes(d.id));
    if (client) checks.push(...(await runChecks(client, declared)));

    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) out(`${MARK[c.outcome]}  ${c.name.padEnd(width)}  ${c.evidence}\n`);
    const count = (o: Outcome) => checks.filter((c) => c.outcome === o).length;
    out(`\n${count("pass")} pass, ${count("fail")} fail, ${count("cannot tell")} cannot tell\n`);
    return count("fail") > 0 ? 1 : count("cannot tell") > 0 ? 2 : 0;
  } catch (error) {
    io.err(clean(`doctor: ${message(error)}\n`));
    // A refusal (bad arguments, unreadable stack) is not a verdict on the tenant: exit 3.
    return error instanceof Refusal || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? 3 : 1;
  }
}

if (require.main === module) runAsMain("doctor", doctor);
