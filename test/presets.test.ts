// The shipped integration definitions hold exactly what their vendors published, and every
// name in them is one the provider accepts.
import * as fs from "fs";
import * as path from "path";
import { findFunction, TABLE_SETUP_ENTRIES } from "../catalog";
import { elements } from "../stacks/elements";
import { lifecycleManager } from "../stacks/lifecycleManager";
import { presets } from "../stacks/presets";

const SHARED = path.resolve(__dirname, "../../shared/connectwise/integration-presets.json");
const definitions = [elements, lifecycleManager, ...presets];

describe.each(definitions.map((d) => [d.id, d] as const))("integration %s", (_id, definition) => {
  it("names only catalog functions and Table Setup entries", () => {
    for (const key of Object.keys(definition.permissions)) expect(findFunction(key)).toBeDefined();
    for (const table of definition.tableSetup) expect(TABLE_SETUP_ENTRIES).toContain(table);
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
  if (!available && !process.env.CI) {
    it("did not run: ../shared/connectwise/integration-presets.json is not beside the project", () => {
      expect(fs.existsSync(SHARED)).toBe(false);
    });
    return;
  }

  const published = available ? JSON.parse(fs.readFileSync(SHARED, "utf8")).presets : [];
  it.each(presets.map((p) => [p.id, p] as const))("%s matches its published table", (id, preset) => {
    expect(available).toBe(true);
    const source = published.find((p: { id: string }) => p.id === id);
    expect(source).toBeDefined();
    const expected: Record<string, Record<string, string>> = {};
    for (const row of source.permissions) {
      const levels: Record<string, string> = {};
      for (const field of ["add", "edit", "delete", "inquire"]) if (row[field] !== "None") levels[field] = row[field];
      expected[`${row.module}/${row.function}`] = levels;
    }
    expect(preset.permissions).toEqual(expected);
    expect([...preset.tableSetup].sort()).toEqual([...source.tableSetupAllowList].sort());
  });
});
