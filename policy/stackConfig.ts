// A stack asks for the guardrails in its config, `<project>:guardrails`:
//
//   connectwise-iac:guardrails:
//     levels:                       # per policy: advisory, mandatory or disabled
//       role-broader-than-table: mandatory
//     minRotateBefore: 2d           # key-rotation-margin: a token's margin (default 1d)
//     maxConsoleKeyAgeDays: 180     # key-rotation-margin: a console key's longest use (default 365)
//
// Every entry point that runs the CLI (cli/pulumi.ts, the fleet) turns it into the policy pack's
// config file (`--policy-pack-config`) and adds `--policy-pack policy` to preview, up and
// `policy analyze`.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { packageRoot } from "../pulumi-runtime/packageRoot";
import { EnforcementLevel, POLICIES, POLICY_NAMES, PolicyName } from "./guardrails";

export interface GuardrailsConfig {
  levels?: Partial<Record<PolicyName, EnforcementLevel>>;
  minRotateBefore?: string;
  maxConsoleKeyAgeDays?: number;
}

const ENFORCEMENT: readonly EnforcementLevel[] = ["advisory", "mandatory", "disabled"];

/** The config value checked: an Error naming every problem, each by its key. */
export function parseGuardrails(value: unknown, key = "guardrails"): GuardrailsConfig {
  if (typeof value === "string") {
    try {
      value = JSON.parse(value); // `pulumi config set guardrails '{...}'` stores the text
    } catch {
      // reported below as not a map
    }
  }
  if (value === true || value === "true" || value === null || value === undefined) return {};
  const problems: string[] = [];
  if (typeof value !== "object" || Array.isArray(value))
    throw new Error(`${key}: expected a map (levels, minRotateBefore, maxConsoleKeyAgeDays)`);
  const { levels, minRotateBefore, maxConsoleKeyAgeDays, ...rest } = value as Record<string, unknown>;
  for (const field of Object.keys(rest))
    problems.push(`${key}.${field}: unknown field; fields: levels, minRotateBefore, maxConsoleKeyAgeDays`);
  if (levels !== undefined) {
    if (typeof levels !== "object" || levels === null) problems.push(`${key}.levels: expected a map of policy: level`);
    else
      for (const [policy, level] of Object.entries(levels)) {
        if (!(POLICY_NAMES as string[]).includes(policy))
          problems.push(`${key}.levels.${policy}: unknown policy; policies: ${POLICY_NAMES.join(", ")}`);
        else if (!(ENFORCEMENT as unknown[]).includes(level))
          problems.push(`${key}.levels.${policy}: ${JSON.stringify(level)} is not one of ${ENFORCEMENT.join(", ")}`);
      }
  }
  if (minRotateBefore !== undefined && typeof minRotateBefore !== "string")
    problems.push(`${key}.minRotateBefore: expected a duration such as "1d"`);
  if (
    maxConsoleKeyAgeDays !== undefined &&
    (typeof maxConsoleKeyAgeDays !== "number" || !Number.isInteger(maxConsoleKeyAgeDays) || maxConsoleKeyAgeDays < 1)
  )
    problems.push(`${key}.maxConsoleKeyAgeDays: expected a whole number of days, at least 1`);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return value;
}

/** The policy pack config (`--policy-pack-config`): every policy's level, the margin for keys. */
export function packConfig(config: GuardrailsConfig): Record<string, Record<string, string | number>> {
  return Object.fromEntries(
    POLICY_NAMES.map((name) => {
      const entry: Record<string, string | number> = {
        enforcementLevel: config.levels?.[name] ?? POLICIES[name].enforcementLevel,
      };
      if (name === "key-rotation-margin") {
        entry.minRotateBefore = config.minRotateBefore ?? "1d";
        entry.maxConsoleKeyAgeDays = config.maxConsoleKeyAgeDays ?? 365;
      }
      return [name, entry];
    }),
  );
}

/** The pack's directory (PulumiPolicy.yaml). */
export const policyPackDir = (): string => path.join(packageRoot(), "policy");

/**
 * The CLI arguments that run the guardrails with `config`: the pack and its config, written to a
 * private temporary file that `cleanup` removes.
 */
export function policyArgs(config: GuardrailsConfig): { args: string[]; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-policy-"));
  const file = path.join(dir, "policy-config.json");
  fs.writeFileSync(file, JSON.stringify(packConfig(config), null, 2), { mode: 0o600 });
  return {
    args: ["--policy-pack", policyPackDir(), "--policy-pack-config", file],
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The commands the guardrails run with: preview, up (update), and `policy analyze`. */
export function guardedCommand(argv: readonly string[]): boolean {
  const words = argv.filter((a) => !a.startsWith("-"));
  return ["preview", "up", "update"].includes(words[0]) || (words[0] === "policy" && words[1] === "analyze");
}

/** The `--stack` the arguments name, if any (`-s x`, `--stack x`, `--stack=x`). */
export function stackArg(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "-s" || argv[i] === "--stack") return argv[i + 1];
    if (argv[i].startsWith("--stack=")) return argv[i].slice("--stack=".length);
  }
  return undefined;
}
