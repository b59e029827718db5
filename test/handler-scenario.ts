// The ConnectWise calls the provider makes, captured from the real handlers: one scenario drives
// check, create, diff, read, update and delete of SecurityRole, ApiMember, ApiKey and
// TableSetupAccess (only through each module's exported `provider`) against an in-process
// sandbox, with the operator's console steps in between (levels, Table Setup list, console keys,
// revocation, token lifetime), so every path runs: create with a checklist, verify, adopt,
// drift, rotation, duplicates, gone objects, refused and repeated deletes. Nothing else speaks
// to the API, so the sandbox's request log holds exactly the handlers' requests; the contract
// and conformance suites validate that log. `providerEndpoints()` lists the endpoints of the
// typed layer (connectwise/endpoints.ts) so the suites can prove that every one was exercised.

import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { ENDPOINTS, EndpointName } from "../connectwise/endpoints";
import { provider as apiKeyProvider } from "../provider/apiKey";
import { record } from "../provider/kit/journal";
import { provider as apiMemberProvider } from "../provider/apiMember";
import { provider as securityRoleProvider } from "../provider/securityRole";
import { provider as tableSetupAccessProvider } from "../provider/tableSetupAccess";
import type { LogEntry, PermissionUpdate } from "../sandbox/console";
import { configure, rejection, startHandlerSandbox } from "./handler-harness";

type Props = Record<string, any>;
type Handlers = Required<pulumi.dynamic.ResourceProvider>;

/** The handler methods every resource's scenario must call. */
export const HANDLER_METHODS = ["check", "create", "diff", "read", "update", "delete"] as const;
export const RESOURCE_TYPES = ["SecurityRole", "ApiMember", "ApiKey", "TableSetupAccess"] as const;

/** For the suites' beforeAll: about a hundred handler calls, on machines that may be busy. */
export const SCENARIO_TIMEOUT_MS = 180_000;

export interface HandlerRun {
  /** The sandbox's request log, in order. */
  entries: LogEntry[];
  /** "Type.method" of every handler method the scenario called. */
  handlerCalls: Set<string>;
  /** The ownership and create-journal paths driven (issue 20). */
  ownership: string[];
}

/** The tenant as the client names it ("companyId at host"). */
const tenantOf = (sandbox: { companyId: string; url: string }) =>
  `${sandbox.companyId} at ${new URL(sandbox.url).host}`;

const PROVIDER_CODE = "<serialized provider>";
const DAY = 86400;
/** Tokens outlive ApiKey's default rotateBefore (7d), so a fresh token is not due for rotation. */
const TOKEN_LIFETIME = 30 * DAY;

/** A scenario step that did not go the way the handler is meant to go: the captured log would not cover that path. */
function must(condition: unknown, what: string): void {
  if (!condition) throw new Error(`handler scenario: ${what}`);
}

/** The same provider, recording each call as "Type.method". */
function tracked(type: string, handlers: Handlers, calls: Set<string>): Handlers {
  const wrapped = Object.entries(handlers).map(([name, method]) => {
    const call = (...args: unknown[]) => {
      calls.add(`${type}.${name}`);
      return (method as (...a: unknown[]) => unknown).apply(handlers, args);
    };
    return [name, call];
  });
  return Object.fromEntries(wrapped) as Handlers;
}

async function checked(handlers: Handlers, raw: Props): Promise<Props> {
  const result = await handlers.check({}, raw);
  must(result.failures === undefined, `check failed: ${JSON.stringify(result.failures)}`);
  return { ...result.inputs, __provider: PROVIDER_CODE };
}

/** Runs the scenario on a fresh sandbox; returns every request the sandbox logged and the handler calls made. */
export async function driveHandlers(): Promise<HandlerRun> {
  const handlerCalls = new Set<string>();
  const securityRole = tracked("SecurityRole", securityRoleProvider, handlerCalls);
  const apiMember = tracked("ApiMember", apiMemberProvider, handlerCalls);
  const apiKey = tracked("ApiKey", apiKeyProvider, handlerCalls);
  const tableSetupAccess = tracked("TableSetupAccess", tableSetupAccessProvider, handlerCalls);
  const { sandbox, operator, config } = await startHandlerSandbox({ tokenLifetimeSeconds: TOKEN_LIFETIME });
  // The handlers print preview lines and operator notes on stderr; kept, not shown.
  const printed: string[] = [];
  const consoleError = console.error;
  console.error = (...parts: unknown[]) => void printed.push(parts.map(String).join(" "));
  try {
    for (const handlers of [securityRole, apiMember, apiKey, tableSetupAccess]) await configure(handlers, config);
    await operator.resetRequests();

    // SecurityRole: create succeeds with the console steps pending, the operator sets the
    // levels, update verifies, diff sees no change, adopt takes the role over, drift shows.
    const roleName = "Contract Role";
    const permissions: PermissionUpdate = {
      "System/Table Setup": { inquire: "All" },
      "System/Member Maintenance": { inquire: "All" },
    };
    const roleInputs = await checked(securityRole, { name: roleName, permissions });
    const pendingRole = await securityRole.create(roleInputs);
    must(pendingRole.outs?.pendingSteps?.length === 2, "a new role has two console steps pending");
    const roleId: string = pendingRole.id;
    await operator.setPermissions(roleName, permissions);
    const { outs: roleOuts } = await securityRole.update(roleId, pendingRole.outs, roleInputs);
    must(roleOuts?.roleId === Number(roleId), "update verifies the role once the operator set its levels");
    must(roleOuts?.pendingSteps?.length === 0, "nothing pending once the operator set the levels");
    must(!(await securityRole.diff(roleId, roleOuts, roleInputs)).changes, "no change after verification");
    const duplicate = await rejection(securityRole.create(roleInputs));
    must(/already exists/.test(duplicate.message), "a second role of that name is refused without adopt");
    const adopted = await securityRole.create(
      await checked(securityRole, { name: roleName, permissions, adopt: true }),
    );
    must(adopted.id === roleId, "adopt takes over the existing role");
    await operator.setPermissions(roleName, { "Finance/Agreements": { add: "All" } });
    must((await securityRole.diff(roleId, roleOuts, roleInputs)).changes, "a level set in the console is drift");
    const readRole = await securityRole.read(roleId, roleOuts);
    must(readRole.inputs?.permissions?.["Finance/Agreements"]?.add === "All", "read reports the drifted level");
    await operator.setPermissions(roleName, { "Finance/Agreements": { add: "None" } });
    // A second role (nothing declared, so verified at once): the member moves to it below.
    const otherName = "Contract Other";
    const otherInputs = await checked(securityRole, { name: otherName, permissions: {} });
    const other = await securityRole.create(otherInputs);
    must(other.id !== roleId, "a role with nothing declared verifies at once");

    // ApiMember: names resolve to ids (check, create), changed fields are one PATCH, a refresh
    // from older state reads the live values, duplicates and a full member's identifier are
    // refused, delete deactivates, adopt reactivates, missing members read as gone.
    const identifier = "contract-svc";
    const memberArgs = {
      identifier,
      name: "Contract Service",
      email: "contract-svc@example.com",
      securityRole: roleName,
      level: "Corporate",
      businessUnit: "Admin",
      location: "Tampa Office",
      defaultTerritory: "Main",
    };
    const memberInputs = await checked(apiMember, memberArgs);
    const member = await apiMember.create(memberInputs);
    const memberId = member.id;
    must(!(await apiMember.diff(memberId, member.outs, memberInputs)).changes, "an unchanged member is no change");
    const renamedInputs = await checked(apiMember, { ...memberArgs, name: "Contract Renamed", location: "Remote" });
    must((await apiMember.diff(memberId, member.outs, renamedInputs)).changes, "a new name is a change");
    const { outs: renamedOuts } = await apiMember.update(memberId, member.outs, renamedInputs);
    const refreshed = await apiMember.read(memberId, member.outs);
    must(refreshed.inputs?.name === "Contract Renamed", "read reports the live name");
    must(/already exists/.test((await rejection(apiMember.create(memberInputs))).message), "duplicate refused");
    const fullMember = await rejection(
      apiMember.create(await checked(apiMember, { ...memberArgs, identifier: "admin" })),
    );
    must(/refused the identifier/.test(fullMember.message), "a full member's identifier is refused by the API");
    await apiMember.delete(memberId, renamedOuts);
    const inactive = await apiMember.read(memberId, renamedOuts);
    must(inactive.props?.inactive === true, "delete deactivates");
    const readopted = await apiMember.create(await checked(apiMember, { ...memberArgs, adopt: true }));
    must(readopted.id === memberId && readopted.outs.inactive === false, "adopt reactivates the member");
    must((await apiMember.read("999999", member.outs)).id === "", "a missing member reads as gone");
    await apiMember.delete("999998", member.outs);

    // ApiKey: a minted token (read, no-change, replace on description, rotation ahead of
    // expiration, in-place rotateBefore), console keys (verified, wrong, revoked), delete.
    const tokenInputs = await checked(apiKey, { member: identifier, description: "Contract token" });
    const token = await apiKey.create(tokenInputs);
    must((await apiKey.read(token.id, token.outs)).id === token.id, "a fresh token reads as present");
    must(!(await apiKey.diff(token.id, token.outs, tokenInputs)).changes, "an unchanged key is no change");
    const renamedKey = await checked(apiKey, { member: identifier, description: "Other" });
    must((await apiKey.diff(token.id, token.outs, renamedKey)).replaces?.includes("description"), "replace");
    const rotating = await checked(apiKey, { member: identifier, description: "Contract token", rotateBefore: "60d" });
    must((await apiKey.diff(token.id, token.outs, rotating)).replaces?.includes("expiration"), "rotation");
    await apiKey.update(token.id, token.outs, rotating);
    const expired = { ...token.outs, expiration: new Date(Date.now() - 1000).toISOString() };
    must((await apiKey.read(token.id, expired)).id === token.id, "an expired token stays in the state (drift)");
    await apiKey.delete(token.id, token.outs);

    const consoleKey = await operator.createApiKey(identifier, "contract console key");
    const consoleInputs = await checked(apiKey, {
      member: identifier,
      description: "Console",
      source: "console",
      ...consoleKey,
    });
    const verifiedKey = await apiKey.create(consoleInputs);
    const wrongKey = { ...consoleInputs, privateKey: `${consoleKey.privateKey.slice(0, -3)}xyz` };
    must(/does not authenticate/.test((await rejection(apiKey.create(wrongKey))).message), "a wrong key is refused");
    await operator.revokeApiKey(identifier, consoleKey.publicKey);
    must(
      (await apiKey.read(verifiedKey.id, verifiedKey.outs)).id === verifiedKey.id,
      "a revoked key stays in the state (drift)",
    );

    // TableSetupAccess: verified with the member's own key; steps pending until the operator sets
    // the list, drift made by hand, the member on another role, a gone member, a revoked key.
    const tsaKey = await operator.createApiKey(identifier, "table setup verification");
    const tables = ["Service / Service Board"];
    const tsaInputs = await checked(tableSetupAccess, { role: roleName, member: identifier, ...tsaKey, tables });
    const pendingAccess = await tableSetupAccess.create(tsaInputs);
    must(pendingAccess.outs?.pendingSteps?.length === 1, "Table Setup access has the add step pending");
    await operator.setTableSetup(roleName, tables);
    const { outs: tsaOuts } = await tableSetupAccess.update(pendingAccess.id, pendingAccess.outs, tsaInputs);
    must(!(await tableSetupAccess.diff(pendingAccess.id, tsaOuts, tsaInputs)).changes, "verified access is no change");
    await operator.setTableSetup(roleName, [...tables, "Company / Country"]);
    must(
      (await tableSetupAccess.diff(pendingAccess.id, tsaOuts, tsaInputs)).changes,
      "an entry added by hand is drift",
    );
    must((await tableSetupAccess.read(pendingAccess.id, tsaOuts)).inputs?.tables?.length === 2, "read reports it");

    await apiMember.update(
      memberId,
      readopted.outs,
      await checked(apiMember, { ...memberArgs, securityRole: otherName }),
    );
    must((await tableSetupAccess.diff(pendingAccess.id, tsaOuts, tsaInputs)).changes, "a member on another role");
    must(/is on security role/.test((await rejection(tableSetupAccess.create(tsaInputs))).message), "mismatch");
    must((await tableSetupAccess.read("x", { ...tsaOuts, member: "nobody" })).id === "", "a gone member");
    await operator.revokeApiKey(identifier, tsaKey.publicKey);
    must(
      (await tableSetupAccess.read(pendingAccess.id, tsaOuts)).id === pendingAccess.id,
      "a revoked key leaves the access in the state",
    );
    await tableSetupAccess.delete(pendingAccess.id, tsaOuts);

    // SecurityRole delete: refused while an active member holds the role; after the member is
    // deactivated it goes; then the gone role is replaced (diff), refused (update), gone (read),
    // and deleting it again is not an error.
    const refused = await rejection(securityRole.delete(other.id, other.outs));
    must(/active members use it: contract-svc/.test(refused.message), "delete is refused while the role is in use");
    await apiMember.delete(memberId, readopted.outs);
    await securityRole.delete(other.id, other.outs);
    await securityRole.delete(roleId, roleOuts);
    must((await securityRole.diff(roleId, roleOuts, roleInputs)).replaces?.includes("name"), "a gone role is replaced");
    must(/no longer exists/.test((await rejection(securityRole.update(roleId, roleOuts, roleInputs))).message), "gone");
    must((await securityRole.read(roleId, roleOuts)).id === "", "a gone role reads as gone");
    await securityRole.delete(roleId, roleOuts);

    must(
      printed.some((line) => line.includes("drift: Finance/Agreements add: All => None")),
      "diff printed the drifted level",
    );

    // Ownership (issue 20): a role another stack made is refused, with and without adopt; a role
    // this resource's died run POSTed (its create-journal record) is taken back; a token a died
    // run minted is reported and kept for the runbook. Only requests the spec lists.
    const ownedArgs = { name: "Contract Owned", permissions: {} };
    const xRole = await securityRole.create(await checked(securityRole, { ...ownedArgs, owner: "p/x/role" }));
    const ownership: string[] = [];
    const refusedY = await rejection(
      securityRole.create(await checked(securityRole, { ...ownedArgs, owner: "p/y/role" })),
    );
    must(/another stack's POST made it: p\/x\/role/.test(refusedY.message), "another stack's role is refused");
    ownership.push("another stack's role refused");
    const adoptY = await rejection(
      securityRole.create(await checked(securityRole, { ...ownedArgs, owner: "p/y/role", adopt: true })),
    );
    must(/held by another stack: p\/x\/role/.test(adoptY.message), "adopt of another stack's role is refused");
    ownership.push("adopt of another stack's role refused");
    const again = await securityRole.create(await checked(securityRole, { ...ownedArgs, owner: "p/x/role" }));
    must(again.id === xRole.id && again.outs?.adopted === false, "the stack's own role is taken back");
    ownership.push("own role taken back");
    await securityRole.delete(xRole.id, xRole.outs);
    const died = await record({ kind: "ApiKey", tenant: tenantOf(sandbox), key: "admin", owner: "p/x/key" });
    fs.writeFileSync(died.file, JSON.stringify({ ...died, file: undefined, run: "died", pid: 999999 }));
    const afterDied = await apiKey.create(
      await checked(apiKey, { member: "admin", description: "After a died run", owner: "p/x/key" }),
    );
    must(afterDied.outs?.unanswered?.[0]?.at === died.at, "a died run's token is kept for the runbook");
    ownership.push("died run's token reported and kept");
    await apiKey.delete(afterDied.id, afterDied.outs);
    return { entries: (await operator.requests()).entries, handlerCalls, ownership };
  } finally {
    console.error = consoleError;
    await sandbox.close();
  }
}

/** An endpoint of the typed layer (connectwise/endpoints.ts), the only way the handlers reach the API. */
export interface ProviderEndpoint {
  /** Its name in ENDPOINTS. */
  name: EndpointName;
  method: string;
  /** The path as the layer writes it, `{...}` a parameter. */
  path: string;
  /** Matches a logged path. */
  pattern: RegExp;
}

/** Every endpoint of the typed layer, with the pattern of the paths it sends. */
export function providerEndpoints(): ProviderEndpoint[] {
  return (Object.keys(ENDPOINTS) as EndpointName[]).map((name) => {
    const { method, path: written } = ENDPOINTS[name];
    const pattern = new RegExp(
      `^${written
        .replace(/\/+$/, "")
        .split(/\{\w+\}/)
        .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"))
        .join("[^/]+")}/?$`,
    );
    return { name, method, path: written, pattern };
  });
}

/** Each string or template literal under `root` that starts with /system/, as file:line: an API path written outside the layer. */
export function pathsWrittenIn(root: string): string[] {
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return files(full);
      return entry.name.endsWith(".ts") ? [full] : [];
    });
  return files(root).flatMap((file) => {
    const text = fs.readFileSync(file, "utf8");
    return [...text.matchAll(/(["'`])(\/system\/[^"'`\s]*)\1/g)].map(
      (m) => `${path.relative(root, file)}:${text.slice(0, m.index).split("\n").length} ${m[2]}`,
    );
  });
}

export function endpointMatches(endpoint: ProviderEndpoint, entry: { method: string; path: string }): boolean {
  return endpoint.method === entry.method && endpoint.pattern.test(entry.path);
}
