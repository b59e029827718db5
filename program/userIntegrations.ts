// The user's own integrations: one file per integration in the project's integrations/ folder
// (JSON or YAML, the shape of one program/presets.json entry), validated before anything is
// declared, and merged with the shipped presets into the kinds a stack's config can name.
import * as fs from "fs";
import * as path from "path";
import type * as YamlModule from "yaml";
import { RunError } from "@pulumi/pulumi/errors";
import { packageRoot } from "../pulumi-runtime/packageRoot";
import type { IntegrationDefinition } from "./definition";
import { IntegrationDefinitionSchema } from "./definitionSchema";
import { describeIssues, formatPath, inFile } from "./issues";
import { presets, PRESETS_FILE } from "./presets";

/** The YAML parser, loaded only when the folder has a file to read (0.02 to 0.04 s per run otherwise). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = (): typeof YamlModule => require("yaml") as typeof YamlModule;

/** The files loaded from the folder; anything else (README.md, *.sample) is left alone. */
const LOADED = /^[^.].*\.(json|ya?ml)$/i;

/** One definition and the place it came from, as messages name it. */
export interface KnownIntegration {
  definition: IntegrationDefinition;
  from: string;
}

/** The default folder: `<project root>/integrations`. */
export function defaultIntegrationsDir(): string {
  return path.join(packageRoot(), "integrations");
}

/** Keys written twice in one mapping, with their lines: both parsers would silently keep the last. */
function duplicateKeys(doc: YamlModule.Document, lines: YamlModule.LineCounter): string[] {
  const YAML = yaml();
  const found: string[] = [];
  const walk = (node: unknown, at: (string | number)[]): void => {
    if (YAML.isMap(node)) {
      const seen = new Map<string, string>();
      for (const pair of node.items) {
        const key = YAML.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const pos = YAML.isNode(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]) : undefined;
        const line = pos ? `line ${pos.line}, column ${pos.col}` : "?";
        const first = seen.get(key);
        if (first !== undefined)
          found.push(`${formatPath([...at, key]).replace(/^\./, "")}: defined twice (${first} and ${line})`);
        else seen.set(key, line);
        walk(pair.value, [...at, key]);
      }
    } else if (YAML.isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...at, i]));
    }
  };
  walk(doc.contents, []);
  return found;
}

/**
 * A YAML syntax error in full: "line 7, column 3: <what>", then the parser's excerpt of the file
 * (the lines around the place and a caret), indented under it.
 */
function yamlProblem(error: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }): string {
  const [head, ...excerpt] = error.message.split("\n");
  const what = head.replace(/ at line \d+, column \d+:?\s*$/, "");
  const pos = error.linePos?.[0];
  const where = pos ? `line ${pos.line}, column ${pos.col}: ` : "";
  const shown = excerpt.filter((l) => l.trim() !== "").map((l) => `    ${l}`);
  return [`${where}${what}`, ...shown].join("\n");
}

/** Reads one file: its value, or the problems that stop it from being read faithfully. */
function readFile(file: string, label: string): { value?: unknown; problems: string[] } {
  const text = fs.readFileSync(file, "utf8");
  const problems: string[] = [];
  if (/\.json$/i.test(file)) {
    try {
      JSON.parse(text); // JSON's own syntax rules, stricter than YAML's
    } catch (error) {
      return { problems: [`${label}: not valid JSON: ${(error as Error).message.replace(/\s+/g, " ")}`] };
    }
  }
  // JSON is YAML 1.2, so one parser finds duplicate keys in both, with their lines.
  const YAML = yaml();
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { uniqueKeys: false, lineCounter: lines, prettyErrors: true });
  for (const error of doc.errors) problems.push(`${label}: ${yamlProblem(error)}`);
  if (problems.length > 0) return { problems };
  for (const duplicate of duplicateKeys(doc, lines)) problems.push(`${label}: ${duplicate}`);
  return { value: doc.toJS(), problems };
}

/**
 * Every integration file in `dir` (missing folder: none), validated. Throws one RunError listing
 * every problem, each naming the file and the field: Pulumi prints it without a stack trace.
 */
export function loadIntegrationFiles(dir: string, labelBase: string = path.dirname(dir)): KnownIntegration[] {
  if (!fs.existsSync(dir)) return [];
  const loaded: KnownIntegration[] = [];
  const problems: string[] = [];
  for (const name of fs
    .readdirSync(dir)
    .filter((n) => LOADED.test(n))
    .sort()) {
    const file = path.join(dir, name);
    const label = path.relative(labelBase, file) || file;
    const { value, problems: found } = readFile(file, label);
    problems.push(...found);
    if (found.length > 0) continue;
    if (value === null || value === undefined) {
      problems.push(
        `${label}: empty; expected one integration (id, integration, roleName, keyDescription, permissions)`,
      );
      continue;
    }
    const parsed = IntegrationDefinitionSchema.safeParse(value);
    if (parsed.success) loaded.push({ definition: parsed.data, from: label });
    else problems.push(...describeIssues(inFile(label), IntegrationDefinitionSchema, value, parsed.error));
  }
  if (problems.length > 0) throw new RunError(`integration files are invalid:\n  ${problems.join("\n  ")}`);
  return loaded;
}

/**
 * One integration definition (the shape of an integrations/ file) validated as the program
 * validates files: returned with defaults filled, or an Error listing every problem, each with
 * its path (`<label>.permissions["Finance/Agreements"].ad: unknown field; ...`).
 */
export function parseIntegrationDefinition(value: unknown, label = "definition"): IntegrationDefinition {
  const parsed = IntegrationDefinitionSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = describeIssues(inFile(label), IntegrationDefinitionSchema, value, parsed.error);
  throw new Error(`integration definition is invalid:\n  ${problems.join("\n  ")}`);
}

/**
 * The kinds a stack can name: the shipped presets, then the user's files. A kind defined twice
 * (two files, or a file and a shipped preset) is refused with both places named.
 */
export function knownIntegrations(dir: string = defaultIntegrationsDir()): Map<string, KnownIntegration> {
  const known = new Map<string, KnownIntegration>();
  const problems: string[] = [];
  const shipped = presets.map((definition) => ({ definition, from: `${PRESETS_FILE} (shipped preset)` }));
  for (const entry of [...shipped, ...loadIntegrationFiles(dir)]) {
    const id = entry.definition.id;
    const earlier = known.get(id);
    if (earlier) problems.push(`integration kind "${id}" is defined twice: in ${earlier.from} and in ${entry.from}`);
    else known.set(id, entry);
  }
  if (problems.length > 0) throw new RunError(problems.join("\n"));
  return known;
}
