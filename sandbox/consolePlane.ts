// The console plane, /console/...: what an operator does in the Manage UI and the published API
// cannot (set a role's permission levels and Table Setup list, make or revoke API keys), plus
// the sandbox's own controls (request log, faults, token lifetime). JSON, no credentials, so
// it answers only loopback (see consolePlane below).

import {
  LEVELS,
  Level,
  PERMISSION_FIELDS,
  PermissionField,
  TABLE_SETUP_ENTRIES,
  didYouMean,
  findFunction,
  functionKey,
  MODULE_FUNCTIONS,
} from "../catalog";
import { Faults, mergeFaults } from "./faults";
import { ApiError } from "./errors";
import { Plane, isLoopbackAddress, isLoopbackHost, parseJsonBody } from "./http";
import { RequestLog } from "./requestLog";
import { COMPANY_ID, RoleRecord, SettingRecord, Store, levelField } from "./store";
import { memberRef } from "./views";

export type Permissions = Record<string, Record<PermissionField, Level>>;

export interface ConsoleRole {
  id: number;
  name: string;
  /** Only functions where some level is not None, keyed "Module/Function". */
  permissions: Permissions;
  tableSetup: string[];
  /** Functions added with POST .../extraFunctions (not in the catalog); absent when none. */
  extraFunctions?: string[];
}

export interface ConsoleMember {
  id: number;
  identifier: string;
  name: string;
  licenseClass: "A" | "F";
  inactiveFlag: boolean;
  securityRole?: { id: number; name: string };
}

export interface ConsoleKey {
  publicKey: string;
  member: string;
  description: string;
  kind: "apiKey" | "token";
  createdAt: string;
  expiresAt?: string;
}

export interface ConsoleSettings {
  tokenLifetimeSeconds: number;
}

export interface ConsoleState {
  companyId: string;
  roles: (ConsoleRole & { adminFlag: boolean; inactiveFlag: boolean })[];
  members: ConsoleMember[];
  keys: ConsoleKey[];
  settings: ConsoleSettings;
  faults: Faults;
}

export interface ConsoleDeps {
  store: Store;
  log: RequestLog;
  faults(): Faults;
  setFaults(f: Faults): void;
  now(): Date;
}

export interface ConsoleReply {
  status: number;
  body?: unknown;
}

class ConsoleError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ALL_FUNCTION_KEYS = MODULE_FUNCTIONS.map((f) => functionKey(f.module, f.function));

function roleView(role: RoleRecord): ConsoleRole {
  const permissions: Permissions = {};
  for (const s of role.settings) {
    const levels = { add: s.addLevel, edit: s.editLevel, delete: s.deleteLevel, inquire: s.inquireLevel };
    if (Object.values(levels).some((l) => l !== "None"))
      permissions[functionKey(s.moduleName, s.moduleFunctionName)] = levels;
  }
  const extra = role.settings
    .map((s) => functionKey(s.moduleName, s.moduleFunctionName))
    .filter((key) => !findFunction(key));
  return {
    id: role.id,
    name: role.name,
    permissions,
    tableSetup: [...role.tableSetup],
    ...(extra.length ? { extraFunctions: extra } : {}),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function roleNamed(store: Store, name: string): RoleRecord {
  const role = store.roleByName(name);
  if (!role) throw new ConsoleError(404, `no security role named '${name}'`);
  return role;
}

/** `{add?, edit?, delete?, inquire?}` for `key` as validated updates; throws a ConsoleError naming what is wrong. */
function parseLevels(key: string, levels: unknown): { field: PermissionField; level: Level }[] {
  if (!isObject(levels))
    throw new ConsoleError(400, `levels for '${key}' must be an object {add?, edit?, delete?, inquire?}`);
  return Object.entries(levels).map(([field, value]) => {
    if (!PERMISSION_FIELDS.includes(field as PermissionField))
      throw new ConsoleError(400, `'${key}': unknown level field '${field}' (use add, edit, delete, inquire)`);
    const level = LEVELS.find((l) => typeof value === "string" && l.toLowerCase() === value.toLowerCase());
    if (!level)
      throw new ConsoleError(400, `'${key}'.${field}: level must be None, My or All (got ${JSON.stringify(value)})`);
    return { field: field as PermissionField, level };
  });
}

/**
 * Merges the given levels into the role's settings, as clicking them in System > Security Roles.
 * Keys are catalog functions, or functions added to this role with POST .../extraFunctions.
 */
function setPermissions(deps: ConsoleDeps, role: RoleRecord, body: unknown): void {
  if (!isObject(body))
    throw new ConsoleError(400, 'body must be {"Module/Function": {add?, edit?, delete?, inquire?}}');
  const updates: { setting: SettingRecord; field: PermissionField; level: Level }[] = [];
  for (const [key, levels] of Object.entries(body)) {
    const setting = deps.store.settingFor(role, key);
    if (!setting) {
      const hint = didYouMean(key, ALL_FUNCTION_KEYS);
      throw new ConsoleError(
        400,
        `unknown module function '${key}'${hint.length ? ` (did you mean ${hint.map((h) => `'${h}'`).join(", ")}?)` : ""}`,
      );
    }
    for (const u of parseLevels(key, levels)) updates.push({ setting, ...u });
  }
  // Validated as a whole first, so a bad entry changes nothing.
  for (const u of updates) u.setting[levelField(u.field)] = u.level;
  touch(deps, role);
}

const MAX_NAME = 100;

/**
 * Adds to one role a module function the catalog does not know, with levels, as a newer
 * Manage version would show it: the API then lists it among the role's settings.
 */
function addExtraFunction(deps: ConsoleDeps, role: RoleRecord, body: unknown): void {
  const text = (v: unknown) => (typeof v === "string" ? v.trim() : "");
  const moduleName = isObject(body) ? text(body.module) : "";
  const functionName = isObject(body) ? text(body.function) : "";
  if (
    !moduleName ||
    !functionName ||
    moduleName.includes("/") ||
    Math.max(moduleName.length, functionName.length) > MAX_NAME
  )
    throw new ConsoleError(
      400,
      `body must be {"module", "function", "levels": {add?, edit?, delete?, inquire?}}: non-empty names of at most ${MAX_NAME} characters, no "/" in the module`,
    );
  const key = functionKey(moduleName, functionName);
  if (findFunction(key))
    throw new ConsoleError(
      400,
      `'${key}' is in the catalog; set its levels with PUT /console/roles/{name}/permissions`,
    );
  if (deps.store.settingFor(role, key))
    throw new ConsoleError(
      400,
      `role '${role.name}' already has '${key}'; set its levels with PUT /console/roles/{name}/permissions`,
    );
  const updates = parseLevels(key, (body as Record<string, unknown>).levels ?? {});
  const setting = deps.store.addSetting(role, moduleName, functionName);
  for (const u of updates) setting[levelField(u.field)] = u.level;
  touch(deps, role);
}

function setTableSetup(deps: ConsoleDeps, role: RoleRecord, body: unknown): void {
  const tables = isObject(body) ? body.tables : undefined;
  if (!Array.isArray(tables)) throw new ConsoleError(400, 'body must be {"tables": ["Category / Table", ...]}');
  const canonical = new Map(TABLE_SETUP_ENTRIES.map((e) => [e.toLowerCase(), e]));
  const entries = tables.map((t) => {
    const entry = typeof t === "string" ? canonical.get(t.trim().toLowerCase()) : undefined;
    if (!entry) {
      const hint = typeof t === "string" ? didYouMean(t, TABLE_SETUP_ENTRIES) : [];
      throw new ConsoleError(
        400,
        `unknown Table Setup entry ${JSON.stringify(t)}${hint.length ? ` (did you mean ${hint.map((h) => `'${h}'`).join(", ")}?)` : ""}`,
      );
    }
    return entry;
  });
  role.tableSetup = [...new Set(entries)];
  touch(deps, role);
}

function touch(deps: ConsoleDeps, role: RoleRecord): void {
  role.lastUpdated = deps.now().toISOString();
  role.updatedBy = "console";
}

function state(deps: ConsoleDeps): ConsoleState {
  const { store } = deps;
  const identifierOf = new Map([...store.members.values()].map((m) => [m.id, String(m.fields.identifier)]));
  return {
    companyId: COMPANY_ID,
    roles: [...store.roles.values()].map((r) => ({
      ...roleView(r),
      adminFlag: r.adminFlag,
      inactiveFlag: r.inactiveFlag,
    })),
    members: [...store.members.values()].map((m) => {
      const ref = memberRef(m);
      const role = m.fields.securityRole as { id: number; name: string } | undefined;
      return {
        id: m.id,
        identifier: ref.identifier,
        name: ref.name,
        licenseClass: m.licenseClass,
        inactiveFlag: m.fields.inactiveFlag === true,
        ...(role ? { securityRole: { id: role.id, name: role.name } } : {}),
      };
    }),
    keys: store.allKeys().map((k) => ({
      publicKey: k.publicKey,
      member: identifierOf.get(k.memberId) ?? String(k.memberId),
      description: k.description,
      kind: k.kind,
      createdAt: k.createdAt,
      ...(k.expiresAt ? { expiresAt: k.expiresAt } : {}),
    })),
    settings: { tokenLifetimeSeconds: store.tokenLifetimeSeconds },
    faults: deps.faults(),
  };
}

const ROUTES = [
  "GET /state",
  "GET /roles/*",
  "PUT /roles/*/permissions",
  "PUT /roles/*/tableSetup",
  "PUT /roles/*/name",
  "POST /roles/*/extraFunctions",
  "POST /members/*/apiKeys",
  "DELETE /members/*/apiKeys/*",
  "GET /requests",
  "DELETE /requests",
  "GET /faults",
  "PUT /faults",
  "GET /settings",
  "PUT /settings",
].map((route) => {
  const [method, path] = route.split(" ");
  return { route, method, segments: path.split("/").filter((s) => s.length > 0) };
});

/** The ROUTES entry that matches ("*" is any one segment), or undefined. */
function routeOf(method: string, parts: string[]): string | undefined {
  return ROUTES.find(
    (r) =>
      r.method === method &&
      r.segments.length === parts.length &&
      r.segments.every((seg, i) => seg === "*" || seg === parts[i]),
  )?.route;
}

/** Handles one console request; `path` is what follows /console. Returns whether state changed. */
export function handleConsole(
  deps: ConsoleDeps,
  method: string,
  path: string,
  body: unknown,
): ConsoleReply & { changed: boolean } {
  const { store } = deps;
  try {
    const parts = path
      .split("/")
      .filter((s) => s.length > 0)
      .map(decodeURIComponent);
    switch (routeOf(method, parts)) {
      case "GET /state":
        return { status: 200, body: state(deps), changed: false };
      case "GET /roles/*":
        return { status: 200, body: roleView(roleNamed(store, parts[1])), changed: false };
      case "PUT /roles/*/permissions": {
        const role = roleNamed(store, parts[1]);
        setPermissions(deps, role, body);
        return { status: 200, body: roleView(role), changed: true };
      }
      case "PUT /roles/*/tableSetup": {
        const role = roleNamed(store, parts[1]);
        setTableSetup(deps, role, body);
        return { status: 200, body: roleView(role), changed: true };
      }
      case "PUT /roles/*/name": {
        const role = roleNamed(store, parts[1]);
        const name = isObject(body) ? body.name : undefined;
        if (typeof name !== "string" || name.trim() === "" || name.length > 30)
          throw new ConsoleError(400, "name must be a non-empty string of at most 30 characters");
        const other = store.roleByName(name);
        if (other && other.id !== role.id) throw new ConsoleError(400, `a role named '${name}' already exists`);
        store.renameRole(role, name, deps.now(), "console");
        return { status: 200, body: roleView(role), changed: true };
      }
      case "POST /roles/*/extraFunctions": {
        const role = roleNamed(store, parts[1]);
        addExtraFunction(deps, role, body);
        return { status: 201, body: roleView(role), changed: true };
      }
      case "POST /members/*/apiKeys": {
        const member = store.memberByIdentifier(parts[1]);
        if (!member) throw new ConsoleError(404, `no member '${parts[1]}'`);
        const description = isObject(body) && body.description !== undefined ? body.description : "Console key";
        if (typeof description !== "string" || description.length > 100)
          throw new ConsoleError(400, "description must be a string of at most 100 characters");
        const pair = store.addKey(member.id, "apiKey", description, deps.now());
        return { status: 201, body: pair, changed: true };
      }
      case "DELETE /members/*/apiKeys/*": {
        const member = store.memberByIdentifier(parts[1]);
        const key = store.key(parts[3]);
        if (!member || !key || key.memberId !== member.id)
          throw new ConsoleError(404, `no such key for member '${parts[1]}'`);
        store.revokeKey(key.publicKey);
        return { status: 204, changed: true };
      }
      case "GET /requests":
        return { status: 200, body: deps.log.view(), changed: false };
      case "DELETE /requests":
        deps.log.reset();
        return { status: 204, changed: false };
      case "GET /faults":
        return { status: 200, body: deps.faults(), changed: false };
      case "PUT /faults":
        try {
          deps.setFaults(mergeFaults(deps.faults(), body));
        } catch (e) {
          throw new ConsoleError(400, (e as Error).message);
        }
        return { status: 200, body: deps.faults(), changed: false };
      case "GET /settings":
        return { status: 200, body: { tokenLifetimeSeconds: store.tokenLifetimeSeconds }, changed: false };
      case "PUT /settings": {
        const seconds = isObject(body) ? body.tokenLifetimeSeconds : undefined;
        if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0)
          throw new ConsoleError(400, "tokenLifetimeSeconds must be a positive number");
        store.tokenLifetimeSeconds = seconds;
        return { status: 200, body: { tokenLifetimeSeconds: seconds }, changed: true };
      }
      default:
        throw new ConsoleError(404, `no console endpoint ${method} /console${path}`);
    }
  } catch (e) {
    if (e instanceof ConsoleError)
      return {
        status: e.status,
        body: { code: e.status === 404 ? "NotFound" : "BadRequest", message: e.message },
        changed: false,
      };
    throw e;
  }
}

export const CONSOLE_PREFIX = "/console";

/**
 * The console over HTTP: JSON in, JSON out; `persist` runs after a change. It has no credentials,
 * so it answers only a loopback peer that calls it by a loopback name (a page on another site
 * cannot reach it by DNS rebinding), and takes only application/json bodies (a cross-site form
 * post cannot send those without a preflight).
 */
export function consolePlane(deps: ConsoleDeps & { persist: () => void }): Plane {
  const refuse = (status: number, code: string, message: string) => ({ status, body: { code, message } });
  return async (req) => {
    if (!isLoopbackAddress(req.remoteAddress))
      return refuse(403, "Forbidden", "The console answers only requests from this machine (loopback)");
    if (!isLoopbackHost(headerOf(req.headers.host)))
      return refuse(403, "Forbidden", "The console answers only a loopback Host (localhost, 127.0.0.1, [::1])");
    let body: unknown;
    try {
      const text = await req.body();
      const mediaType = headerOf(req.headers["content-type"])?.split(";")[0].trim().toLowerCase();
      if (text.length > 0 && mediaType !== "application/json")
        return refuse(415, "UnsupportedMediaType", "The console takes only application/json bodies");
      body = parseJsonBody(text);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      return refuse(e.status, e.status === 413 ? "PayloadTooLarge" : "BadRequest", e.message);
    }
    const reply = handleConsole(deps, req.method, req.rest, body);
    if (reply.changed) deps.persist();
    return { status: reply.status, body: reply.body };
  };
}

function headerOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
