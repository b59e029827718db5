// The user's integration files: found in a folder, validated with messages naming the file and
// the field (duplicate keys included, in YAML and JSON), a kind defined twice refused with both
// places named; the shipped folder loads nothing and its example is a valid integration.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RunError } from "@pulumi/pulumi/errors";
import { defaultIntegrationsDir, knownIntegrations, loadIntegrationFiles } from "../program/userIntegrations";

const VALID = `id: my-tool
integration: My Tool
roleName: MyToolAPI
keyDescription: My Tool
permissions:
  Finance/Agreements:
    add: All
    inquire: All
`;

let root: string;
let dir: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-files-"));
  dir = path.join(root, "integrations");
  fs.mkdirSync(dir);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function write(name: string, text: string): void {
  fs.writeFileSync(path.join(dir, name), text);
}

/** The problems a load reports, one per line (the first line is the heading). */
function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    expect(RunError.isInstance(error)).toBe(true); // printed by Pulumi without a stack trace
    return (error as Error).message.split("\n").map((l) => l.trim());
  }
  throw new Error("loaded without a problem");
}

describe("loading", () => {
  it("reads YAML, .yml and JSON files into definitions, with defaults, and ignores other files", () => {
    write("my-tool.yaml", VALID);
    write("other.yml", VALID.replace("my-tool", "other"));
    write("third.json", JSON.stringify({ ...parse(VALID), id: "third", sources: ["x"] }));
    write("README.md", "# not an integration");
    write("draft.yaml.sample", "not: [valid");
    write(".hidden.yaml", "not: [valid");
    const loaded = loadIntegrationFiles(dir);
    expect(loaded.map((l) => [l.definition.id, l.from])).toEqual([
      ["my-tool", "integrations/my-tool.yaml"],
      ["other", "integrations/other.yml"],
      ["third", "integrations/third.json"],
    ]);
    expect(loaded[0].definition).toEqual({ ...parse(VALID), tableSetup: [], sources: [] });
  });

  it("treats a missing folder as no integrations", () => {
    expect(loadIntegrationFiles(path.join(root, "absent"))).toEqual([]);
  });
});

describe("a bad file is named with the field", () => {
  it("unknown, misspelled, missing and wrong fields, catalog names with a did-you-mean", () => {
    write(
      "my-tool.yaml",
      `id: My Tool
integration: My Tool
keyDescription: My Tool
permissions:
  Finance/Agreements:
    ad: All
    inquire: Al
  Finance/Agreement:
    inquire: All
tableSetup: [Service / Service Bord]
sourcez: []
`,
    );
    expect(problems(() => loadIntegrationFiles(dir))).toEqual([
      "integration files are invalid:",
      "integrations/my-tool.yaml: id: must be lower-case letters and digits, words joined by '-' (e.g. my-tool)",
      "integrations/my-tool.yaml: roleName: missing (expected string)",
      'integrations/my-tool.yaml: permissions["Finance/Agreements"].inquire: "Al" is not one of "None", "My", "All" (did you mean "All"?)',
      'integrations/my-tool.yaml: permissions["Finance/Agreements"].ad: unknown field; did you mean "add"?',
      'integrations/my-tool.yaml: permissions["Finance/Agreement"]: unknown module function (write "Module/Function") (did you mean "Finance/Agreements"?)',
      'integrations/my-tool.yaml: tableSetup[0]: unknown Table Setup entry (write "Category / Table") (did you mean "Service / Service Board"?)',
      'integrations/my-tool.yaml: sourcez: unknown field; did you mean "sources"?',
    ]);
  });

  it("a Table Setup allow-list on a role without System/Table Setup inquire All, naming the integration", () => {
    write(
      "lm-like.yaml",
      `id: lm-like
integration: LM Like
roleName: LMLikeAPI
keyDescription: LM Like
permissions:
  Service Desk/Service Tickets: { inquire: All }
tableSetup: [Service / Service Board]
`,
    );
    expect(problems(() => loadIntegrationFiles(dir))).toEqual([
      "integration files are invalid:",
      'integrations/lm-like.yaml: permissions: integration "LM Like" (lm-like) has a Table Setup allow-list (Service / Service Board) but its role grants System/Table Setup inquire None; add "System/Table Setup": { inquire: "All" } to its permissions',
    ]);
  });

  it("a key written twice, in YAML and in JSON, with both positions", () => {
    write("a.yaml", VALID + "  Finance/Agreements:\n    inquire: My\n");
    write(
      "b.json",
      '{"id": "b", "roleName": "B", "integration": "B", "keyDescription": "B",\n "roleName": "C", "permissions": {"Finance/Agreements": {"inquire": "All"}}}',
    );
    expect(problems(() => loadIntegrationFiles(dir))).toEqual([
      "integration files are invalid:",
      'integrations/a.yaml: permissions["Finance/Agreements"]: defined twice (line 6, column 3 and line 9, column 3)',
      "integrations/b.json: roleName: defined twice (line 1, column 13 and line 2, column 2)",
    ]);
  });

  it("syntax errors and an empty file, every file reported at once", () => {
    write("a.json", '{"id": }');
    write("b.yaml", "id: [x\n");
    write("c.yaml", "");
    write("d.yaml", VALID);
    const found = problems(() => loadIntegrationFiles(dir));
    // The YAML error in full: line, column, the parser's message and its excerpt with a caret.
    expect(found).toHaveLength(6);
    expect(found[1]).toMatch(/^integrations\/a\.json: not valid JSON: /);
    expect(found.slice(2, 5)).toEqual([
      "integrations/b.yaml: line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]",
      "id: [x",
      "^",
    ]);
    expect(found[5]).toBe(
      "integrations/c.yaml: empty; expected one integration (id, integration, roleName, keyDescription, permissions)",
    );
  });
});

describe("a kind defined twice", () => {
  it("in two files: both files named", () => {
    write("a.yaml", VALID);
    write("b.json", JSON.stringify(parse(VALID)));
    expect(problems(() => knownIntegrations(dir))).toEqual([
      'integration kind "my-tool" is defined twice: in integrations/a.yaml and in integrations/b.json',
    ]);
  });

  it("in a file and a shipped preset: both named", () => {
    write("rewst.yaml", VALID.replace("my-tool", "rewst"));
    expect(problems(() => knownIntegrations(dir))).toEqual([
      'integration kind "rewst" is defined twice: in program/presets.json (shipped preset) and in integrations/rewst.yaml',
    ]);
  });
});

describe("the shipped integrations/ folder", () => {
  const shipped = path.resolve(__dirname, "..", "integrations");

  it("is found from the project root, not the current directory", () => {
    const cwd = process.cwd();
    try {
      process.chdir(os.tmpdir());
      expect(defaultIntegrationsDir()).toBe(shipped);
    } finally {
      process.chdir(cwd);
    }
  });

  it("loads nothing as shipped, and its example is a valid integration once renamed", () => {
    expect(fs.readdirSync(shipped).sort()).toEqual(["README.md", "example.yaml.sample"]);
    expect(loadIntegrationFiles(shipped)).toEqual([]);
    fs.copyFileSync(path.join(shipped, "example.yaml.sample"), path.join(dir, "my-backup-tool.yaml"));
    const [example] = loadIntegrationFiles(dir);
    expect(example.definition).toMatchObject({ id: "my-backup-tool", tableSetup: ["Service / Service Board"] });
    expect(knownIntegrations(dir).get("my-backup-tool")?.from).toBe("integrations/my-backup-tool.yaml");
  });
});

function parse(yamlText: string): Record<string, unknown> {
  // The valid fixture, as plain data (a test must not trust the loader to produce its own expectation).
  return {
    id: /id: (.*)/.exec(yamlText)![1],
    integration: "My Tool",
    roleName: "MyToolAPI",
    keyDescription: "My Tool",
    permissions: { "Finance/Agreements": { add: "All", inquire: "All" } },
  };
}
