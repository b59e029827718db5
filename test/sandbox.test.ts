// The sandbox's published-API behaviour, over real HTTP on a loopback port.

import { MODULE_FUNCTIONS, TABLE_SETUP_ENTRIES } from "../catalog";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, startSandbox } from "../sandbox/server";
import { Keys, apiBase, call, parseLink } from "./sandbox-harness";

let sb: RunningSandbox;
let ops: SandboxConsole;

beforeAll(async () => {
  sb = await startSandbox({ port: 0 });
  ops = new SandboxConsole(sb.consoleUrl);
});

afterAll(() => sb.close());

async function createRole(name: string): Promise<{ id: number; name: string }> {
  const res = await call(sb, "/system/securityroles", { method: "POST", body: { name } });
  expect(res.status).toBe(201);
  return res.body;
}

async function createApiMember(identifier: string, roleId: number): Promise<{ id: number; identifier: string }> {
  const res = await call(sb, "/system/apiMembers", {
    method: "POST",
    body: { identifier, name: `${identifier} name`, securityRole: { id: roleId } },
  });
  expect(res.status).toBe(201);
  return res.body;
}

/** A role made through the API, levels set in the console, an API member on it and a console key. */
async function memberWithPermissions(
  tag: string,
  permissions: Parameters<SandboxConsole["setPermissions"]>[1],
): Promise<{ roleId: number; memberId: number; keys: Keys }> {
  const role = await createRole(`${tag}Role`);
  await ops.setPermissions(role.name, permissions);
  const member = await createApiMember(tag, role.id);
  return { roleId: role.id, memberId: member.id, keys: await ops.createApiKey(tag, `${tag} key`) };
}

describe("discovery and system info", () => {
  it("answers /login/companyinfo without credentials, 404 for another company", async () => {
    const res = await fetch(`${sb.url}/login/companyinfo/${sb.companyId}`);
    expect(res.status).toBe(200);
    const info = await res.json();
    expect(info).toMatchObject({ Codebase: "v4_6_release/", CompanyID: "sandbox", IsCloud: false });
    expect((await fetch(`${sb.url}/login/companyinfo/other`)).status).toBe(404);
  });

  it("GET /system/info reports the version", async () => {
    const res = await call(sb, "/system/info");
    expect(res.status).toBe(200);
    expect(res.body.version).toMatch(/^v2025\.8/);
    expect(res.body.isCloud).toBe(false);
    expect(res.headers.get("content-type")).toContain("application/vnd.connectwise.com+json");
  });
});

describe("authentication", () => {
  it("refuses missing and wrong credentials with 401 Unauthorized", async () => {
    const none = await call(sb, "/system/info", { keys: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: "Unauthorized", errors: [] });
    expect((await call(sb, "/system/info", { keys: { publicKey: sb.publicKey, privateKey: "wrong" } })).status).toBe(
      401,
    );
    expect((await call(sb, "/system/info", { keys: { publicKey: "nope", privateKey: sb.privateKey } })).status).toBe(
      401,
    );
    const otherCompany = await fetch(`${apiBase(sb)}/system/info`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`other+${sb.publicKey}:${sb.privateKey}`).toString("base64")}`,
        clientId: sb.clientId,
      },
    });
    expect(otherCompany.status).toBe(401);
    expect(JSON.stringify(none.body)).not.toContain(sb.privateKey);
  });

  it("requires the clientId header (401)", async () => {
    const res = await call(sb, "/system/info", { clientId: null });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/clientId/);
  });
});

describe("security roles", () => {
  it("pages 30 roles by 10 with Link first/prev/next/last and no Link when all fits", async () => {
    for (let i = 0; i < 30; i++) await createRole(`Page${String(i).padStart(2, "0")}`);
    const seen: string[] = [];
    let url: string | undefined =
      `${apiBase(sb)}/system/securityroles?conditions=${encodeURIComponent('name like "Page*"')}&pageSize=10&orderBy=name%20asc`;
    const links: Record<string, string>[] = [];
    while (url) {
      const res = await call(sb, url);
      expect(res.status).toBe(200);
      seen.push(...res.body.map((r: { name: string }) => r.name));
      const link = parseLink(res.headers.get("link"));
      links.push(link);
      url = link.next;
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `Page${String(i).padStart(2, "0")}`));
    expect(links).toHaveLength(3);
    expect(links[0].next).toMatch(/page=2/);
    expect(links[0].last).toMatch(/page=3/);
    expect(links[0].next).toContain("conditions=");
    expect(links[1]).toMatchObject({ first: expect.stringMatching(/page=1/), prev: expect.stringMatching(/page=1/) });
    expect(links[2].next).toBeUndefined();
    expect(links[2].prev).toMatch(/page=2/);

    const all = await call(
      sb,
      `/system/securityroles?conditions=${encodeURIComponent('name like "Page*"')}&pageSize=5000`,
    );
    expect(all.body).toHaveLength(30);
    expect(all.headers.get("link")).toBeNull();
    const defaultSize = await call(sb, "/system/securityroles");
    expect(defaultSize.body).toHaveLength(25);
    expect(parseLink(defaultSize.headers.get("link")).next).toMatch(/page=2/);
  });

  it("pages forward-only by pageId with only rel=next", async () => {
    const total = (await call(sb, "/system/securityroles/count")).body.count;
    const ids: number[] = [];
    let url: string | undefined = `${apiBase(sb)}/system/securityroles?pageSize=10&orderBy=name%20desc`;
    let pages = 0;
    while (url) {
      const res = await call(sb, url, { headers: { "pagination-type": "forward-only" } });
      ids.push(...res.body.map((r: { id: number }) => r.id));
      const link = parseLink(res.headers.get("link"));
      expect(link.last).toBeUndefined();
      expect(link.prev).toBeUndefined();
      if (link.next) expect(link.next).toMatch(new RegExp(`pageId=${ids[ids.length - 1]}`));
      url = link.next;
      pages++;
    }
    expect(ids).toHaveLength(total);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(pages).toBe(Math.ceil(total / 10));
  });

  it("filters with conditions: escaped quotes, AND/OR, in, case-insensitive strings", async () => {
    const tricky = await createRole('Q"uote\\Back');
    const q = (c: string) => call(sb, `/system/securityroles?conditions=${encodeURIComponent(c)}`);
    const exact = await q('name="Q\\"uote\\\\Back"');
    expect(exact.body.map((r: { id: number }) => r.id)).toEqual([tricky.id]);
    expect((await q('name = "q\\"UOTE\\\\back"')).body).toHaveLength(1);
    expect((await q('(name="Page01" OR name="Page02") and adminFlag=false')).body).toHaveLength(2);
    expect((await q('name in ("Page03", "Page04", "Missing")')).body).toHaveLength(2);
    expect((await q('name contains "age1" AND NOT name = "Page10"')).body).toHaveLength(9);
    expect((await q(`id = ${tricky.id}`)).body[0].name).toBe('Q"uote\\Back');
  });

  it("refuses unknown fields and bad syntax in conditions with 400 InvalidCondition", async () => {
    const bad = await call(sb, `/system/securityroles?conditions=${encodeURIComponent('nmae="x"')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("InvalidCondition");
    expect(bad.body.errors[0].field).toBe("nmae");
    expect(
      (await call(sb, `/system/securityroles?conditions=${encodeURIComponent('name="unterminated')}`)).status,
    ).toBe(400);
    expect((await call(sb, `/system/securityroles?conditions=${encodeURIComponent("name=Admin")}`)).status).toBe(400);
    expect((await call(sb, `/system/securityroles?conditions=${encodeURIComponent('id="1"')}`)).status).toBe(400);
  });

  it("projects fields and counts with conditions", async () => {
    const res = await call(sb, `/system/securityroles?fields=id,name&conditions=${encodeURIComponent('name="Admin"')}`);
    expect(res.body).toEqual([{ id: expect.any(Number), name: "Admin" }]);
    const count = await call(sb, `/system/securityroles/count?conditions=${encodeURIComponent('name like "Page1*"')}`);
    expect(count.body).toEqual({ count: 10 });
    const info = await call(sb, `/system/securityroles/info/count`);
    expect(info.body.count).toBe((await call(sb, "/system/securityroles/count")).body.count);
  });

  it("orders by orderBy", async () => {
    const res = await call(
      sb,
      `/system/securityroles?conditions=${encodeURIComponent('name like "Page*"')}&orderBy=name%20desc&pageSize=3&fields=name`,
    );
    expect(res.body).toEqual([{ name: "Page29" }, { name: "Page28" }, { name: "Page27" }]);
    expect((await call(sb, "/system/securityroles?orderBy=bogus")).status).toBe(400);
  });

  it("refuses a duplicate name (any case) with 400 InvalidObject/ObjectExists, and checks required and max length", async () => {
    await createRole("DupRole");
    const dup = await call(sb, "/system/securityroles", { method: "POST", body: { name: "duprole" } });
    expect(dup.status).toBe(400);
    expect(dup.body).toMatchObject({
      code: "InvalidObject",
      errors: [{ code: "ObjectExists", field: "name", resource: "securityRole" }],
    });
    const missing = await call(sb, "/system/securityroles", { method: "POST", body: { roleType: "x" } });
    expect(missing.body).toMatchObject({
      code: "InvalidObject",
      errors: [{ code: "MissingRequiredField", field: "name" }],
    });
    const long = await call(sb, "/system/securityroles", { method: "POST", body: { name: "x".repeat(31) } });
    expect(long.status).toBe(400);
    expect(long.body.code).toBe("MaxLengthField");
    const longType = await call(sb, "/system/securityroles", {
      method: "POST",
      body: { name: "TypeTooLong", roleType: "t".repeat(31) },
    });
    expect(longType.body.code).toBe("MaxLengthField");
  });

  it("seeds one None setting per catalog function; settings are readable and read-only", async () => {
    const role = await createRole("Seeded");
    const list = await call(sb, `/system/securityRoles/${role.id}/settings?pageSize=1000`);
    expect(list.body).toHaveLength(MODULE_FUNCTIONS.length);
    expect(
      list.body.every((s: Record<string, string>) =>
        [s.addLevel, s.editLevel, s.deleteLevel, s.inquireLevel].every((l) => l === "None"),
      ),
    ).toBe(true);
    const tableSetup = list.body.find(
      (s: { moduleName: string; moduleFunctionName: string }) =>
        s.moduleName === "System" && s.moduleFunctionName === "Table Setup",
    );
    expect(tableSetup.customFlag).toBe(true);
    expect(list.body.find((s: { moduleFunctionName: string }) => s.moduleFunctionName === "Security").customFlag).toBe(
      false,
    );

    const count = await call(sb, `/system/securityRoles/${role.id}/settings/count`);
    expect(count.body.count).toBe(MODULE_FUNCTIONS.length);
    const one = await call(sb, `/system/securityRoles/${role.id}/settings/${tableSetup.id}`);
    expect(one.body).toMatchObject({ id: tableSetup.id, moduleFunctionName: "Table Setup" });
    // Paths are case-insensitive.
    expect((await call(sb, `/SYSTEM/securityroles/${role.id}/SETTINGS/${tableSetup.id}`)).status).toBe(200);
    const other = await createRole("OtherSeeded");
    expect((await call(sb, `/system/securityRoles/${other.id}/settings/${tableSetup.id}`)).status).toBe(404);

    await ops.setPermissions("Seeded", { "System/Table Setup": { inquire: "All", edit: "My" } });
    const changed = await call(
      sb,
      `/system/securityRoles/${role.id}/settings?conditions=${encodeURIComponent('moduleName="System" and moduleFunctionName="Table Setup"')}`,
    );
    expect(changed.body[0]).toMatchObject({ inquireLevel: "All", editLevel: "My", addLevel: "None" });
    expect((await ops.role("Seeded")).permissions).toEqual({
      "System/Table Setup": { add: "None", edit: "My", delete: "None", inquire: "All" },
    });
  });

  it("answers 405 with Allow for PUT/PATCH on roles and settings, 404 for unknown ids and paths", async () => {
    const role = await createRole("NoEdits");
    for (const method of ["PUT", "PATCH"]) {
      const res = await call(sb, `/system/securityroles/${role.id}`, { method, body: { name: "Renamed" } });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, DELETE");
      const setting = await call(sb, `/system/securityRoles/${role.id}/settings/1`, { method, body: [] });
      expect(setting.status).toBe(405);
      expect(setting.headers.get("allow")).toBe("GET");
    }
    expect((await call(sb, "/system/apiMembers/1", { method: "DELETE" })).status).toBe(405);
    const missing = await call(sb, "/system/securityroles/999999");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("NotFound");
    expect((await call(sb, "/system/securityroles/abc")).status).toBe(404);
    expect((await call(sb, "/system/nothing/here")).status).toBe(404);
    expect((await call(sb, "/system/locations", { method: "POST", body: { name: "x" } })).status).toBe(501);
  });

  it("refuses to delete a role an active member uses, naming the member; deletes it once unused", async () => {
    const { roleId, memberId } = await memberWithPermissions("InUse", {});
    const refused = await call(sb, `/system/securityroles/${roleId}`, { method: "DELETE" });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].message).toContain("InUse");
    expect((await call(sb, `/system/members/${memberId}/deactivate`, { method: "POST", body: {} })).status).toBe(200);
    const deleted = await call(sb, `/system/securityroles/${roleId}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect((await call(sb, `/system/securityroles/${roleId}`)).status).toBe(404);
  });
});

describe("permissions", () => {
  it("answers 403 Security when the caller's role lacks the function or level", async () => {
    const { keys } = await memberWithPermissions("Limited", { "System/Security": { inquire: "All" } });
    expect((await call(sb, "/system/securityroles", { keys })).status).toBe(200);
    const post = await call(sb, "/system/securityroles", { keys, method: "POST", body: { name: "ByLimited" } });
    expect(post.status).toBe(403);
    expect(post.body).toEqual({
      code: "Security",
      message: "You do not have security permission to perform this action.",
    });
    expect((await call(sb, "/system/apiMembers", { keys })).status).toBe(403);
    expect((await call(sb, "/system/info", { keys })).status).toBe(200);

    await ops.setPermissions("LimitedRole", { "System/Security": { add: "All" } });
    expect(
      (await call(sb, "/system/securityroles", { keys, method: "POST", body: { name: "ByLimited" } })).status,
    ).toBe(201);
  });

  it("console refuses unknown functions and levels", async () => {
    await expect(ops.setPermissions("Admin", { "System/Tabel Setup": { inquire: "All" } })).rejects.toThrow(
      /did you mean 'System\/Table Setup'/,
    );
    await expect(ops.setPermissions("Admin", { "System/Table Setup": { inquire: "Mine" as never } })).rejects.toThrow(
      /None, My or All/,
    );
    await expect(ops.setTableSetup("Admin", ["Service / Servce Board"])).rejects.toThrow(/Service \/ Service Board/);
  });
});

describe("console: a function the catalog does not know", () => {
  it("adds it to one role with levels; the API lists it as a setting; PUT permissions changes it", async () => {
    const { roleId, keys } = await memberWithPermissions("Newer", { "System/Security": { inquire: "All" } });
    const other = await createRole("NewerOther");
    const before = (await call(sb, `/system/securityRoles/${roleId}/settings/count`)).body.count;

    const view = await ops.addExtraFunction("NewerRole", "Service Desk", "AI Assist", { inquire: "All", add: "My" });
    expect(view.permissions["Service Desk/AI Assist"]).toEqual({
      add: "My",
      edit: "None",
      delete: "None",
      inquire: "All",
    });
    expect(view.extraFunctions).toEqual(["Service Desk/AI Assist"]);

    const where = `?conditions=${encodeURIComponent('moduleFunctionName="AI Assist"')}`;
    const [setting] = (await call(sb, `/system/securityRoles/${roleId}/settings${where}`)).body;
    expect(setting).toMatchObject({
      moduleName: "Service Desk",
      moduleFunctionName: "AI Assist",
      addLevel: "My",
      inquireLevel: "All",
      editLevel: "None",
      customFlag: false,
      sortOrder: MODULE_FUNCTIONS.length + 1,
    });
    expect((await call(sb, `/system/securityRoles/${roleId}/settings/${setting.id}`)).body.id).toBe(setting.id);
    expect((await call(sb, `/system/securityRoles/${roleId}/settings/count`)).body.count).toBe(before + 1);
    // Only that role has it, and its members see it in mySecurity.
    expect((await call(sb, `/system/securityRoles/${other.id}/settings${where}`)).body).toEqual([]);
    expect((await ops.role("NewerOther")).extraFunctions).toBeUndefined();
    expect((await call(sb, `/system/mySecurity${where}`, { keys })).body).toEqual([
      expect.objectContaining({ inquireLevel: "All", member: expect.objectContaining({ identifier: "Newer" }) }),
    ]);

    const changed = await ops.setPermissions("NewerRole", { "service desk/ai assist": { add: "None", edit: "All" } });
    expect(changed.permissions["Service Desk/AI Assist"]).toEqual({
      add: "None",
      edit: "All",
      delete: "None",
      inquire: "All",
    });
    await expect(ops.setPermissions("NewerOther", { "Service Desk/AI Assist": { add: "All" } })).rejects.toThrow(
      /unknown module function/,
    );
  });

  it("refuses catalog functions, duplicates, bad names and levels, and then changes nothing", async () => {
    await createRole("Refusing");
    await expect(ops.addExtraFunction("Refusing", "System", "Security", { add: "All" })).rejects.toThrow(
      /400 'System\/Security' is in the catalog/,
    );
    await expect(ops.addExtraFunction("Refusing", "Service Desk", "Bots", { add: "Most" as never })).rejects.toThrow(
      /None, My or All/,
    );
    await expect(ops.addExtraFunction("Refusing", "", "Bots")).rejects.toThrow(/non-empty names/);
    await expect(ops.addExtraFunction("Refusing", "A/B", "Bots")).rejects.toThrow(/no "\/" in the module/);
    await expect(ops.addExtraFunction("Nobody", "Service Desk", "Bots")).rejects.toThrow(/404/);
    expect((await ops.role("Refusing")).extraFunctions).toBeUndefined();
    await ops.addExtraFunction("Refusing", "Service Desk", "Bots");
    await expect(ops.addExtraFunction("Refusing", "service desk", "BOTS", { add: "All" })).rejects.toThrow(
      /already has 'service desk\/BOTS'/,
    );
    // Added with no levels: all None, so not among the permissions, but listed as extra.
    expect(await ops.role("Refusing")).toMatchObject({ permissions: {}, extraFunctions: ["Service Desk/Bots"] });
  });
});

describe("API members", () => {
  it("creates with references resolved and validates required, max length, uniqueness and references", async () => {
    const role = await createRole("MemberRole");
    const created = await call(sb, "/system/apiMembers", {
      method: "POST",
      body: {
        identifier: "Elements",
        name: "Elements API",
        securityRole: { id: role.id },
        structureLevel: { id: 1 },
        securityLocation: { name: "tampa office" },
        defaultDepartment: { id: 10 },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      identifier: "Elements",
      securityRole: { id: role.id, name: "MemberRole" },
      structureLevel: { id: 1, name: "Corporate" },
      securityLocation: { id: 2, name: "Tampa Office" },
      defaultDepartment: { id: 10, identifier: "Admin", name: "Admin" },
      inactiveFlag: false,
    });

    const missing = await call(sb, "/system/apiMembers", { method: "POST", body: { name: "No id" } });
    expect(missing.body).toMatchObject({
      code: "InvalidObject",
      errors: [{ code: "MissingRequiredField", field: "identifier" }],
    });
    const long = await call(sb, "/system/apiMembers", { method: "POST", body: { identifier: "x".repeat(16) } });
    expect(long.body.code).toBe("MaxLengthField");
    const dup = await call(sb, "/system/apiMembers", { method: "POST", body: { identifier: "ADMIN", name: "clash" } });
    expect(dup.body).toMatchObject({ code: "InvalidObject", errors: [{ code: "ObjectExists", field: "identifier" }] });
    const badRef = await call(sb, "/system/apiMembers", {
      method: "POST",
      body: { identifier: "BadRef", securityRole: { id: 424242 }, defaultLocation: { id: 10 } },
    });
    expect(badRef.status).toBe(400);
    expect(badRef.body.code).toBe("InvalidObject");
    expect(badRef.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      "defaultLocation/id",
      "securityRole/id",
    ]);
    const badType = await call(sb, "/system/apiMembers", {
      method: "POST",
      body: { identifier: "BadType", inactiveFlag: "yes" },
    });
    expect(badType.body.errors[0]).toMatchObject({ code: "InvalidField", field: "inactiveFlag" });

    const list = await call(
      sb,
      `/system/apiMembers?conditions=${encodeURIComponent(`securityRole/id=${role.id}`)}&fields=identifier,securityRole/name`,
    );
    expect(list.body).toEqual([{ identifier: "Elements", securityRole: { name: "MemberRole" } }]);
    const members = await call(
      sb,
      `/system/members?conditions=${encodeURIComponent('licenseClass="A" and identifier="elements"')}`,
    );
    expect(members.body).toHaveLength(1);
    expect(members.body[0].firstName).toBe("Elements API");
  });

  it("PUT replaces the whole object and requires name; PATCH applies add/replace/remove and validates", async () => {
    const roleA = await createRole("PatchRoleA");
    const roleB = await createRole("PatchRoleB");
    const m = (
      await call(sb, "/system/apiMembers", {
        method: "POST",
        body: { identifier: "Patchy", name: "Patchy", notes: "keep?", securityRole: { id: roleA.id } },
      })
    ).body;

    const noName = await call(sb, `/system/apiMembers/${m.id}`, { method: "PUT", body: { identifier: "Patchy" } });
    expect(noName.body).toMatchObject({
      code: "InvalidObject",
      errors: [{ code: "MissingRequiredField", field: "name" }],
    });
    const put = await call(sb, `/system/apiMembers/${m.id}`, {
      method: "PUT",
      body: { identifier: "Patchy", name: "Put name", securityRole: { id: roleA.id } },
    });
    expect(put.status).toBe(200);
    expect(put.body.notes).toBeUndefined();

    const patched = await call(sb, `/system/apiMembers/${m.id}`, {
      method: "PATCH",
      body: [
        { op: "replace", path: "name", value: "Patched" },
        { op: "replace", path: "/securityRole/id", value: roleB.id },
        { op: "add", path: "emailAddress", value: "p@example.invalid" },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: "Patched",
      securityRole: { id: roleB.id, name: "PatchRoleB" },
      emailAddress: "p@example.invalid",
    });
    const whole = await call(sb, `/system/apiMembers/${m.id}`, {
      method: "PATCH",
      body: [{ op: "replace", path: "/securityRole", value: { name: "PatchRoleA" } }],
    });
    expect(whole.body.securityRole).toEqual({ id: roleA.id, name: "PatchRoleA" });

    const bad = async (ops: unknown) =>
      (await call(sb, `/system/apiMembers/${m.id}`, { method: "PATCH", body: ops })).body;
    expect((await bad([{ op: "move", path: "name", value: "x" }])).errors[0].code).toBe("InvalidPatchOperation");
    expect((await bad([{ op: "replace", path: "id", value: 5 }])).errors[0].field).toBe("id");
    expect((await bad([{ op: "replace", path: "nonsense", value: 5 }])).errors[0].field).toBe("nonsense");
    expect((await bad({ op: "replace", path: "name", value: "x" })).code).toBe("InvalidObject");
    expect((await bad([{ op: "replace", path: "name", value: "n".repeat(31) }])).code).toBe("MaxLengthField");
    expect((await bad([{ op: "remove", path: "name" }])).errors[0]).toMatchObject({
      code: "MissingRequiredField",
      field: "name",
    });
    expect((await bad([{ op: "replace", path: "securityRole/id", value: 987654 }])).errors[0].field).toBe(
      "securityRole/id",
    );
    expect((await bad([{ op: "replace", path: "identifier", value: "admin" }])).errors[0].code).toBe("ObjectExists");
    // Nothing above was applied.
    expect((await call(sb, `/system/apiMembers/${m.id}`)).body.securityRole.id).toBe(roleA.id);
    expect((await call(sb, `/system/apiMembers/999999`, { method: "PATCH", body: [] })).status).toBe(404);
  });

  it("serves /apiMembers/default, /count and lookups", async () => {
    const def = await call(sb, "/system/apiMembers/default");
    expect(def.body).toMatchObject({ structureLevel: { name: "Corporate" }, defaultDepartment: { name: "Admin" } });
    expect((await call(sb, "/system/apiMembers/count")).body.count).toBeGreaterThan(0);
    expect((await call(sb, "/system/locations")).body.map((l: { name: string }) => l.name)).toEqual([
      "Main",
      "Tampa Office",
      "Remote",
      "Europe",
    ]);
    expect((await call(sb, "/system/locations/count")).body).toEqual({ count: 4 });
    expect(
      (await call(sb, "/system/departments?conditions=" + encodeURIComponent('identifier="Sales"'))).body[0],
    ).toMatchObject({ id: 12, name: "Sales" });
    expect((await call(sb, "/system/departments/13")).body.name).toBe("Projects");
    expect((await call(sb, "/system/myCompany/corporateStructureLevels")).body).toEqual([
      { id: 1, name: "Corporate" },
      { id: 2, name: "Region" },
    ]);
    expect((await call(sb, "/system/myCompany/corporateStructureLevels/3")).status).toBe(404);
  });

  it("finds members by identifier or id", async () => {
    const byIdentifier = await call(sb, "/system/members/ADMIN");
    expect(byIdentifier.body).toMatchObject({ identifier: "admin", licenseClass: "F" });
    expect((await call(sb, `/system/members/${byIdentifier.body.id}`)).body.identifier).toBe("admin");
    expect((await call(sb, "/system/members/nobody")).status).toBe(404);
    expect((await call(sb, "/system/members/count")).body.count).toBeGreaterThan(1);
  });
});

describe("tokens and keys", () => {
  it("mints tokens that authenticate until they expire", async () => {
    await memberWithPermissions("Tokened", { "System/Security": { inquire: "All" } });
    await ops.setSettings({ tokenLifetimeSeconds: 1 });
    try {
      const before = Date.now();
      const res = await call(sb, "/system/members/Tokened/tokens", { method: "POST" });
      expect(res.status).toBe(200);
      const expires = Date.parse(res.body.expiration);
      expect(expires).toBeGreaterThanOrEqual(before + 900);
      expect(expires).toBeLessThanOrEqual(Date.now() + 1100);
      const token: Keys = { publicKey: res.body.publicKey, privateKey: res.body.privateKey };
      expect((await call(sb, "/system/securityroles", { keys: token })).status).toBe(200);
      expect((await call(sb, "/system/apiMembers", { keys: token })).status).toBe(403);
      await new Promise((r) => setTimeout(r, Math.max(0, expires - Date.now()) + 100));
      const expired = await call(sb, "/system/securityroles", { keys: token });
      expect(expired.status).toBe(401);
    } finally {
      await ops.setSettings({ tokenLifetimeSeconds: 86400 });
    }
    expect((await call(sb, "/system/members/nobody/tokens", { method: "POST" })).status).toBe(404);
  });

  it("rejects keys of a deactivated member and refuses it new tokens", async () => {
    const { memberId, keys } = await memberWithPermissions("Leaver", { "System/Security": { inquire: "All" } });
    expect((await call(sb, "/system/info", { keys })).status).toBe(200);
    const deactivated = await call(sb, `/system/members/${memberId}/deactivate`, {
      method: "POST",
      body: { deleteOpenTimeSheetsFlag: false },
    });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body).toEqual({ deleteOpenTimeSheetsFlag: false });
    expect((await call(sb, "/system/info", { keys })).status).toBe(401);
    const member = await call(sb, `/system/apiMembers/${memberId}`);
    expect(member.body.inactiveFlag).toBe(true);
    expect(member.body.inactiveDate).toEqual(expect.any(String));
    expect((await call(sb, "/system/members/Leaver/tokens", { method: "POST" })).status).toBe(400);
  });

  it("revoked console keys stop authenticating", async () => {
    const { keys } = await memberWithPermissions("Revoked", {});
    expect((await call(sb, "/system/info", { keys })).status).toBe(200);
    await ops.revokeApiKey("Revoked", keys.publicKey);
    expect((await call(sb, "/system/info", { keys })).status).toBe(401);
    const state = await ops.state();
    expect(JSON.stringify(state)).not.toContain(keys.privateKey);
    expect(JSON.stringify(state)).not.toContain(sb.privateKey);
  });
});

describe("mySecurity", () => {
  it("customizeItems reflects the console's Table Setup list while Table Setup inquire is granted", async () => {
    const { keys } = await memberWithPermissions("Tables", { "System/Table Setup": { inquire: "All" } });
    await ops.setTableSetup("TablesRole", ["Service / Service Board", "company / company status"]);
    const items = await call(sb, "/system/mySecurity/customizeItems/", { keys });
    expect(items.status).toBe(200);
    expect(items.body).toEqual([
      {
        id: TABLE_SETUP_ENTRIES.indexOf("Service / Service Board") + 1,
        customizeIdentifier: "SystemTableSetup",
        itemIdentifier: "Service / Service Board",
      },
      {
        id: TABLE_SETUP_ENTRIES.indexOf("Company / Company Status") + 1,
        customizeIdentifier: "SystemTableSetup",
        itemIdentifier: "Company / Company Status",
      },
    ]);
    expect((await call(sb, "/system/mySecurity/customizeItems", { keys })).body).toHaveLength(2);

    await ops.setPermissions("TablesRole", { "System/Table Setup": { inquire: "None" } });
    expect((await call(sb, "/system/mySecurity/customizeItems/", { keys })).body).toEqual([]);

    const admin = await call(sb, "/system/mySecurity/customizeItems/?pageSize=1000");
    expect(admin.body).toHaveLength(TABLE_SETUP_ENTRIES.length);
  });

  it("mySecurity lists the caller's own role settings", async () => {
    const { keys } = await memberWithPermissions("Mine", { "Finance/Agreements": { inquire: "All", add: "All" } });
    const res = await call(
      sb,
      `/system/mySecurity?conditions=${encodeURIComponent('moduleName="Finance" and moduleFunctionName="Agreements"')}`,
      { keys },
    );
    expect(res.body).toEqual([
      expect.objectContaining({
        addLevel: "All",
        inquireLevel: "All",
        editLevel: "None",
        member: expect.objectContaining({ identifier: "Mine" }),
      }),
    ]);
    expect((await call(sb, "/system/mySecurity?pageSize=1000", { keys })).body).toHaveLength(MODULE_FUNCTIONS.length);
  });
});

describe("request log", () => {
  it("counts requests by method and path with ids as {id}, and masks private keys", async () => {
    await ops.resetRequests();
    const role = await createRole("Logged");
    await call(sb, `/system/securityroles/${role.id}`);
    await call(sb, `/system/securityroles/${role.id}`);
    await call(sb, "/system/members/admin/tokens", { method: "POST" });
    const log = await ops.requests();
    expect(log.counts).toEqual({
      "POST /system/securityroles": 1,
      "GET /system/securityroles/{id}": 2,
      "POST /system/members/admin/tokens": 1,
    });
    const tokenEntry = log.entries.find((e) => e.path.endsWith("/tokens"))!;
    expect(tokenEntry.status).toBe(200);
    expect((tokenEntry.responseBody as { privateKey: string }).privateKey).toBe("***");
    expect(log.entries[0]).toMatchObject({
      method: "POST",
      path: "/system/securityroles",
      status: 201,
      requestBody: { name: "Logged" },
    });
  });
});
