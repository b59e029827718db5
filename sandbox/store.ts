// The tenant's data, in memory: roles with their settings and Table Setup lists, members (API
// members are members with licenseClass "A"), API keys and tokens, and the fixed lookup rows.
// Every record is indexed by id and by its natural key (role name, member identifier, public
// key), so no request scans more than the list it returns. `snapshot()`/`restore()` carry the
// mutable part to and from the --state file.

import { createHash, randomBytes } from "crypto";
import { Level, MODULE_FUNCTIONS, PermissionField, TABLE_SETUP_ENTRIES, findFunction, functionKey } from "../catalog";
import { checkSnapshot } from "./stateCheck";

export interface Ref {
  id: number;
  name: string;
}

export interface DepartmentRef extends Ref {
  identifier: string;
}

export interface SettingRecord {
  id: number;
  moduleName: string;
  moduleFunctionName: string;
  sortOrder: number;
  addLevel: Level;
  editLevel: Level;
  deleteLevel: Level;
  inquireLevel: Level;
}

export interface RoleRecord {
  id: number;
  name: string;
  roleType?: string;
  adminFlag: boolean;
  inactiveFlag: boolean;
  settings: SettingRecord[];
  /** Table Setup "Allow access to these" entries, "Category / Table". */
  tableSetup: string[];
  /** When and by whom it was made (absent in state files from before they were kept). */
  dateEntered?: string;
  enteredBy?: string;
  lastUpdated: string;
  updatedBy: string;
}

export interface MemberRecord {
  id: number;
  licenseClass: "A" | "F";
  /** The writable fields of its schema: ApiMember's for class "A", Member's for class "F". */
  fields: Record<string, unknown>;
  /** When it was made (absent in state files from before it was kept: then lastUpdated stands in). */
  createdAt?: string;
  lastUpdated: string;
  updatedBy: string;
}

export interface KeyRecord {
  publicKey: string;
  privateKeySha256: string;
  memberId: number;
  description: string;
  /** "apiKey": persistent, made in the console; "token": from POST /members/{id}/tokens, expires. */
  kind: "apiKey" | "token";
  createdAt: string;
  expiresAt?: string;
}

export interface KeyPair {
  publicKey: string;
  privateKey: string;
}

export const COMPANY_ID = "sandbox";
export const CODEBASE = "v4_6_release/";
export const CLIENT_ID = "5a4d1c62-8f3e-4b7a-9c2d-0e6f1a2b3c4d";
export const ADMIN_IDENTIFIER = "admin";
export const ADMIN_ROLE_NAME = "Admin";

export const STRUCTURE_LEVELS: readonly Ref[] = [
  { id: 1, name: "Corporate" },
  { id: 2, name: "Region" },
];

export const LOCATIONS: readonly (Ref & { structureLevel: Ref })[] = ["Main", "Tampa Office", "Remote", "Europe"].map(
  (name, i) => ({
    id: i + 1,
    name,
    structureLevel: STRUCTURE_LEVELS[0],
  }),
);

// Department ids start at 10 so a location id passed as a department (or back) is caught.
export const DEPARTMENTS: readonly DepartmentRef[] = ["Admin", "Services", "Sales", "Projects"].map((name, i) => ({
  id: 10 + i,
  identifier: name,
  name,
}));

const SETTING_LEVEL_FIELDS = {
  add: "addLevel",
  edit: "editLevel",
  delete: "deleteLevel",
  inquire: "inquireLevel",
} as const;
export function levelField(field: PermissionField): "addLevel" | "editLevel" | "deleteLevel" | "inquireLevel" {
  return SETTING_LEVEL_FIELDS[field];
}

function newKeyPair(): KeyPair {
  // 16 alphanumeric characters each, like the keys the Manage UI shows.
  return { publicKey: randomBytes(8).toString("hex"), privateKey: randomBytes(8).toString("hex") };
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

interface Snapshot {
  version: 1;
  nextRoleId: number;
  nextSettingId: number;
  nextMemberId: number;
  adminKey: KeyPair;
  tokenLifetimeSeconds: number;
  roles: RoleRecord[];
  members: MemberRecord[];
  keys: KeyRecord[];
}

export class Store {
  readonly roles = new Map<number, RoleRecord>();
  readonly members = new Map<number, MemberRecord>();
  private readonly roleIdByName = new Map<string, number>();
  private readonly memberIdByIdentifier = new Map<string, number>();
  private readonly settingsById = new Map<number, { role: RoleRecord; setting: SettingRecord }>();
  private readonly keys = new Map<string, KeyRecord>();
  private nextRoleId = 1;
  private nextSettingId = 1001;
  private nextMemberId = 101;
  adminKey: KeyPair = newKeyPair();
  tokenLifetimeSeconds: number;

  constructor(
    tokenLifetimeSeconds: number,
    /** Called after every change (the server persists the state there). */
    private readonly onChange: () => void = () => undefined,
  ) {
    this.tokenLifetimeSeconds = tokenLifetimeSeconds;
  }

  changed(): void {
    this.onChange();
  }

  /** The seed: role Admin (every function All, every Table Setup entry), member admin and its key. */
  seed(now: Date): void {
    const role = this.createRole({ name: ADMIN_ROLE_NAME, adminFlag: true }, now, "system");
    for (const s of role.settings) s.addLevel = s.editLevel = s.deleteLevel = s.inquireLevel = "All";
    role.tableSetup = [...TABLE_SETUP_ENTRIES];
    const admin = this.addMember(
      "F",
      {
        identifier: ADMIN_IDENTIFIER,
        firstName: "Sandbox",
        lastName: "Admin",
        licenseClass: "F",
        officeEmail: "admin@sandbox.invalid",
        defaultEmail: "Office",
        defaultPhone: "Office",
        hireDate: "2020-01-01T00:00:00Z",
        adminFlag: true,
        inactiveFlag: false,
        securityRole: { id: role.id, name: role.name },
        structureLevel: STRUCTURE_LEVELS[0],
        securityLocation: { id: LOCATIONS[0].id, name: LOCATIONS[0].name },
        defaultLocation: { id: LOCATIONS[0].id, name: LOCATIONS[0].name },
        defaultDepartment: DEPARTMENTS[0],
      },
      now,
      "system",
    );
    this.addKey(admin.id, "apiKey", "Sandbox admin key", now, undefined, this.adminKey);
  }

  // ---- roles ----

  roleByName(name: string): RoleRecord | undefined {
    const id = this.roleIdByName.get(name.toLowerCase());
    return id === undefined ? undefined : this.roles.get(id);
  }

  /** A new role with one setting per catalog function, every level None (as the UI shows it). */
  createRole(
    input: { name: string; roleType?: string; adminFlag?: boolean; inactiveFlag?: boolean },
    now: Date,
    by: string,
  ): RoleRecord {
    const role: RoleRecord = {
      id: this.nextRoleId++,
      name: input.name,
      ...(input.roleType !== undefined ? { roleType: input.roleType } : {}),
      adminFlag: input.adminFlag ?? false,
      inactiveFlag: input.inactiveFlag ?? false,
      settings: MODULE_FUNCTIONS.map((f, i) => ({
        id: this.nextSettingId++,
        moduleName: f.module,
        moduleFunctionName: f.function,
        sortOrder: i + 1,
        addLevel: "None",
        editLevel: "None",
        deleteLevel: "None",
        inquireLevel: "None",
      })),
      tableSetup: [],
      dateEntered: now.toISOString(),
      enteredBy: by,
      lastUpdated: now.toISOString(),
      updatedBy: by,
    };
    this.indexRole(role);
    return role;
  }

  /** Renames the role, as System > Security Roles > Role ID does; the members that hold it show the new name. */
  renameRole(role: RoleRecord, name: string, now: Date, by: string): void {
    this.roleIdByName.delete(role.name.toLowerCase());
    role.name = name;
    role.lastUpdated = now.toISOString();
    role.updatedBy = by;
    this.roleIdByName.set(name.toLowerCase(), role.id);
    for (const member of this.members.values())
      if (memberRoleId(member) === role.id) member.fields.securityRole = { id: role.id, name };
  }

  private indexRole(role: RoleRecord): void {
    this.roles.set(role.id, role);
    this.roleIdByName.set(role.name.toLowerCase(), role.id);
    for (const setting of role.settings) this.settingsById.set(setting.id, { role, setting });
  }

  /**
   * Deletes the role. Members that still hold it (inactive ones: the route refuses while an
   * active member does) lose the reference, so no member names a role that does not exist.
   * Returns the members it was taken from.
   */
  deleteRole(role: RoleRecord, now: Date, by: string): MemberRecord[] {
    const holders = [...this.members.values()].filter((m) => memberRoleId(m) === role.id);
    for (const m of holders) {
      const { securityRole: _dropped, ...rest } = m.fields;
      m.fields = rest;
      m.lastUpdated = now.toISOString();
      m.updatedBy = by;
    }
    this.roles.delete(role.id);
    this.roleIdByName.delete(role.name.toLowerCase());
    for (const s of role.settings) this.settingsById.delete(s.id);
    return holders;
  }

  setting(roleId: number, settingId: number): SettingRecord | undefined {
    const found = this.settingsById.get(settingId);
    return found && found.role.id === roleId ? found.setting : undefined;
  }

  /** The role's setting for "Module/Function" (case-insensitive): a catalog function or one added in the console. */
  settingFor(role: RoleRecord, key: string): SettingRecord | undefined {
    const wanted = key.trim().toLowerCase();
    return role.settings.find((s) => functionKey(s.moduleName, s.moduleFunctionName).toLowerCase() === wanted);
  }

  /** A setting for a function the catalog does not know (as a newer Manage version adds), levels None, listed last. */
  addSetting(role: RoleRecord, moduleName: string, functionName: string): SettingRecord {
    const setting: SettingRecord = {
      id: this.nextSettingId++,
      moduleName,
      moduleFunctionName: functionName,
      sortOrder: Math.max(0, ...role.settings.map((x) => x.sortOrder)) + 1,
      addLevel: "None",
      editLevel: "None",
      deleteLevel: "None",
      inquireLevel: "None",
    };
    role.settings.push(setting);
    this.settingsById.set(setting.id, { role, setting });
    return setting;
  }

  /** Active members (API or full) whose role is this one: what keeps a role from being deleted. */
  activeMembersOf(role: RoleRecord): MemberRecord[] {
    return [...this.members.values()].filter((m) => memberRoleId(m) === role.id && m.fields.inactiveFlag !== true);
  }

  // ---- members ----

  memberByIdentifier(identifier: string): MemberRecord | undefined {
    const id = this.memberIdByIdentifier.get(identifier.toLowerCase());
    return id === undefined ? undefined : this.members.get(id);
  }

  addMember(licenseClass: "A" | "F", fields: Record<string, unknown>, now: Date, by: string): MemberRecord {
    const member: MemberRecord = {
      id: this.nextMemberId++,
      licenseClass,
      fields,
      createdAt: now.toISOString(),
      lastUpdated: now.toISOString(),
      updatedBy: by,
    };
    this.members.set(member.id, member);
    this.memberIdByIdentifier.set(String(fields.identifier).toLowerCase(), member.id);
    return member;
  }

  replaceMemberFields(member: MemberRecord, fields: Record<string, unknown>, now: Date, by: string): void {
    this.memberIdByIdentifier.delete(String(member.fields.identifier).toLowerCase());
    member.fields = fields;
    member.lastUpdated = now.toISOString();
    member.updatedBy = by;
    this.memberIdByIdentifier.set(String(fields.identifier).toLowerCase(), member.id);
  }

  // ---- keys ----

  addKey(
    memberId: number,
    kind: KeyRecord["kind"],
    description: string,
    now: Date,
    expiresAt?: Date,
    pair: KeyPair = newKeyPair(),
  ): KeyPair {
    this.keys.set(pair.publicKey, {
      publicKey: pair.publicKey,
      privateKeySha256: sha256(pair.privateKey),
      memberId,
      description,
      kind,
      createdAt: now.toISOString(),
      ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
    });
    return pair;
  }

  key(publicKey: string): KeyRecord | undefined {
    return this.keys.get(publicKey);
  }

  revokeKey(publicKey: string): boolean {
    return this.keys.delete(publicKey);
  }

  keysOf(memberId: number): KeyRecord[] {
    return [...this.keys.values()].filter((k) => k.memberId === memberId);
  }

  allKeys(): KeyRecord[] {
    return [...this.keys.values()];
  }

  /** Drops expired tokens so repeated minting does not grow the key table without bound. */
  purgeExpiredTokens(now: Date): void {
    for (const [publicKey, k] of this.keys) {
      if (k.expiresAt && Date.parse(k.expiresAt) <= now.getTime()) this.keys.delete(publicKey);
    }
  }

  // ---- persistence ----

  snapshot(): Snapshot {
    return {
      version: 1,
      nextRoleId: this.nextRoleId,
      nextSettingId: this.nextSettingId,
      nextMemberId: this.nextMemberId,
      adminKey: this.adminKey,
      tokenLifetimeSeconds: this.tokenLifetimeSeconds,
      roles: [...this.roles.values()],
      members: [...this.members.values()],
      keys: [...this.keys.values()],
    };
  }

  restore(raw: unknown): void {
    checkSnapshot(raw);
    const s = raw as Snapshot;
    this.nextRoleId = s.nextRoleId;
    this.nextSettingId = s.nextSettingId;
    this.nextMemberId = s.nextMemberId;
    this.adminKey = s.adminKey;
    this.tokenLifetimeSeconds = s.tokenLifetimeSeconds;
    for (const role of s.roles) this.indexRole(role);
    for (const m of s.members) {
      // A state file written before role deletes cleared their holders may name a deleted role.
      const roleId = memberRoleId(m);
      if (roleId !== undefined && !this.roles.has(roleId)) {
        const { securityRole: _dangling, ...rest } = m.fields;
        m.fields = rest;
      }
      this.members.set(m.id, m);
      this.memberIdByIdentifier.set(String(m.fields.identifier).toLowerCase(), m.id);
    }
    for (const k of s.keys) this.keys.set(k.publicKey, k);
  }
}

export function memberRoleId(member: MemberRecord): number | undefined {
  const ref = member.fields.securityRole as Ref | undefined | null;
  return ref?.id ?? undefined;
}

/** Synthetic identifiers: the real moduleIdentifier/moduleFunctionIdentifier strings are not published. */
export function moduleIdentifier(moduleName: string): string {
  return moduleName.replace(/[^A-Za-z0-9]/g, "");
}

export function moduleFunctionIdentifier(moduleName: string, functionName: string): string {
  return `${moduleIdentifier(moduleName)}_${functionName.replace(/[^A-Za-z0-9]/g, "")}`;
}

export function customizeIdentifierOf(moduleName: string, functionName: string): string | undefined {
  return findFunction(functionKey(moduleName, functionName))?.customizeIdentifier;
}
