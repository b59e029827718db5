// The shipped integration definitions (program/presets.json only: the user's integrations/ folder
// is tested by test/integrations-*.test.ts, so a file of theirs never fails this suite) hold what
// their vendors published, and every name in them is one the provider accepts.
import * as fs from "fs";
import { findFunction, LEVELS, TABLE_SETUP_ENTRIES } from "../catalog";
import { presets } from "../program/presets";
import presetData from "../program/presets.json";
import { BASE, broadest, resolveIntegration } from "../program/resolve";
import { missingSharedMessage, sharedPath } from "./shared-data";

const SHARED = sharedPath("connectwise/integration-presets.json");
const definitions = presets;

/** The published rows as `{ "Module/Function": { field: level } }`, None levels left out. */
function table(rows: Record<string, string>[]): Record<string, Record<string, string>> {
  const expected: Record<string, Record<string, string>> = {};
  for (const row of rows) {
    const levels: Record<string, string> = {};
    for (const field of ["add", "edit", "delete", "inquire"]) if (row[field] !== "None") levels[field] = row[field];
    expected[`${row.module}/${row.function}`] = levels;
  }
  return expected;
}

describe("the shipped kinds", () => {
  it("keep the ids and role names deployed stacks use, Elements and Lifecycle Manager among them", () => {
    const byId = new Map(presets.map((p) => [p.id, p]));
    expect(byId.size).toBe(presets.length);
    expect(byId.get("elements")).toMatchObject({ roleName: "ElementsAPI", keyDescription: "Elements", tableSetup: [] });
    expect(byId.get("lifecycle-manager")).toMatchObject({
      roleName: "LifecycleManagerAPI",
      tableSetup: ["Service / Service Board"],
    });
  });
});

describe.each(definitions.map((d) => [d.id, d] as const))("integration %s", (_id, definition) => {
  it("names only catalog functions and Table Setup entries", () => {
    const whole = broadest(definition); // every tier and option too
    for (const key of Object.keys(whole.permissions)) expect(findFunction(key)).toBeDefined();
    for (const table of whole.tableSetup) expect(TABLE_SETUP_ENTRIES).toContain(table);
  });

  it("fits ConnectWise's limits and cites a source", () => {
    expect(definition.roleName.length).toBeLessThanOrEqual(30);
    expect(definition.roleName.length).toBeGreaterThan(0);
    expect(Object.keys(definition.permissions).length).toBeGreaterThan(0);
    expect(definition.sources.length).toBeGreaterThan(0);
  });
});

describe("shipped presets against the vendors' published tables (../shared)", () => {
  const available = fs.existsSync(SHARED);
  if (!available) {
    // Not a pass that says it did not run: the suite fails, naming what to provide.
    it("needs the vendors' published tables", () => {
      throw new Error(missingSharedMessage(SHARED));
    });
    return;
  }

  const data = JSON.parse(fs.readFileSync(SHARED, "utf8"));
  const published = data.presets as {
    id: string;
    permissions: Record<string, string>[];
    tableSetupAllowList: string[];
  }[];
  const complete = presets.filter((p) => published.some((q) => q.id === p.id));

  it("holds every shipped preset but Elements and Lifecycle Manager as a complete published table", () => {
    expect(available).toBe(true);
    expect(presets.filter((p) => !complete.includes(p)).map((p) => p.id)).toEqual(["elements", "lifecycle-manager"]);
  });

  it("ships every complete published table", () => {
    expect(complete.map((p) => p.id).sort()).toEqual(published.map((p) => p.id).sort());
  });

  /** A Table Setup entry as the catalog spells it (the vendors' case varies: "Invoicing / Tax code"). */
  const entries = (list: readonly string[]) => list.map((t) => t.toLowerCase()).sort();

  it.each(complete.map((p) => [p.id, p] as const))("%s matches its published table", (id, preset) => {
    const source = published.find((p) => p.id === id)! as (typeof published)[number] & {
      optionalFeatureBlocks?: Record<string, Record<string, string>[]>;
    };
    // Every tier and every option: the whole table the vendor publishes, nothing more (a vendor's
    // optionalFeatureBlocks lie outside its table: then the table is the base).
    const whole = broadest(preset);
    const main = source.optionalFeatureBlocks ? resolveIntegration(preset, { options: [] }) : whole;
    expect(main.permissions).toEqual(table(source.permissions));
    expect(entries(whole.tableSetup)).toEqual(entries(source.tableSetupAllowList));
    // A row the vendor marks as a feature tier is granted by the base only when it is the base tier.
    for (const row of source.permissions as (Record<string, string> & { featureTier?: string })[]) {
      if (row.featureTier === undefined || (!preset.tiers && !preset.options)) continue;
      const origins = Object.values(whole.origins.permissions[`${row.module}/${row.function}`] ?? {});
      if (["authentication", "basic"].includes(row.featureTier)) expect(origins).toEqual(origins.map(() => BASE));
      else expect(origins.every((o) => o !== BASE)).toBe(true);
    }
    // The vendor's optional blocks: one option each, the same rows.
    for (const rows of Object.values(source.optionalFeatureBlocks ?? {})) {
      const match = Object.values(preset.options ?? {}).find(
        (o) => JSON.stringify(o.permissions) === JSON.stringify(table(rows)),
      );
      expect(match).toBeDefined();
    }
  });

  it("tiers and options: Rewst, ManageEngine, CrushBank, SmileBack and Team GPS use them", () => {
    const byId = new Map(presets.map((p) => [p.id, p]));
    expect(byId.get("rewst")!.tiers!.map((t) => t.name)).toEqual(["authentication", "full"]);
    const auth = resolveIntegration(byId.get("rewst")!, { tier: "authentication" });
    expect(Object.keys(auth.permissions).sort()).toEqual([
      "Companies/Company Maintenance",
      "System/Member Maintenance",
    ]);
    // Unselected, a stack deployed before tiers keeps the whole table it had.
    expect(resolveIntegration(byId.get("rewst")!).tier).toBe("full");
    for (const id of ["manageengine-endpoint-central-msp", "crushbank", "smileback", "team-gps"])
      expect(Object.keys(byId.get(id)!.options ?? {}).length).toBeGreaterThan(0);
    const me = resolveIntegration(byId.get("manageengine-endpoint-central-msp")!, { options: ["asset-sync"] });
    expect(me.origins.permissions["Companies/Configurations"]).toEqual({
      add: "option asset-sync",
      edit: "option asset-sync",
      inquire: "option asset-sync",
    });
    expect(me.permissions["Service Desk/Service Tickets"]).toBeUndefined();
    // SmileBack's allow-list is on unless a stack turns it off (options: []).
    expect(resolveIntegration(byId.get("smileback")!).tableSetup).toEqual([
      "Service / Service Board",
      "Service / Surveys - Service",
    ]);
    expect(resolveIntegration(byId.get("smileback")!, { options: [] }).tableSetup).toEqual([]);
    expect(() => resolveIntegration(byId.get("crushbank")!, { options: ["nope"] })).toThrow(
      'integration "crushbank": no option "nope"; options: smartclassifier, solved-my-issue, ticket-budgeter, kba-articles',
    );
  });

  it("leaves out every partial or ambiguous table, each with why", () => {
    const leftOut = (presetData as unknown as { leftOut: { id: string; reason: string }[] }).leftOut;
    const partial = (data.partialOrAmbiguous as { id: string }[]).map((p) => p.id);
    expect(leftOut.map((l) => l.id).sort()).toEqual([...partial].sort());
    for (const l of leftOut) {
      expect(l.reason.length).toBeGreaterThan(20);
      expect(presets.map((p) => p.id)).not.toContain(l.id);
    }
  });

  it("lifecycle-manager grants nothing beyond ScalePad's published (partial) table, and cites its pages", () => {
    const source = data.partialOrAmbiguous.find((p: { id: string }) => p.id === "scalepad-lifecycle-manager");
    expect(source).toBeDefined();
    const lm = presets.find((p) => p.id === "lifecycle-manager")!;
    const allowed = table(source.permissions);
    for (const [key, levels] of Object.entries(lm.permissions)) {
      expect(allowed[key]).toBeDefined();
      for (const [field, level] of Object.entries(levels))
        expect(LEVELS.indexOf(level)).toBeLessThanOrEqual(LEVELS.indexOf(allowed[key][field] as never));
    }
    const urls = source.sources.map((s: { url: string }) => s.url);
    for (const cited of lm.sources) expect(urls).toContain(cited);
  });

  it("elements has no public table to hold it against, and says so in its sources", () => {
    const missing = data.notFound.find((n: { integration: string }) => n.integration.includes("'Elements'"));
    expect(missing).toBeDefined();
    expect(presets.find((p) => p.id === "elements")!.sources.join(" ")).toContain("notFound");
  });
});
