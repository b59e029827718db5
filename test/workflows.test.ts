// The GitHub Actions workflows an MSP's repository runs: actionlint (built once from its Go
// module by scripts/ensure-actionlint.sh) finds no problem, and each workflow keeps its contract.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { MARKER } from "../cli/fleet/fleetReport";

const ROOT = path.resolve(__dirname, "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const BUILD_TIMEOUT_MS = 10 * 60_000;

interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<
    string,
    {
      environment?: string;
      strategy?: { matrix?: Record<string, unknown> };
      steps?: { run?: string }[];
      needs?: string | string[];
      permissions?: Record<string, string>;
    }
  >;
}

const load = (file: string) => parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
const runs = (w: Workflow, job: string) => (w.jobs[job].steps ?? []).map((s) => s.run ?? "").join("\n");

describe("workflows", () => {
  it(
    "pass actionlint",
    () => {
      const built = spawnSync("bash", [path.join(ROOT, "scripts", "ensure-actionlint.sh")], { encoding: "utf8" });
      if (built.status !== 0) throw new Error(`scripts/ensure-actionlint.sh failed:\n${built.stderr}`);
      const actionlint = built.stdout.trim().split("\n").pop()!;
      const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));
      expect(files.sort()).toEqual(["fleet-drift.yml", "fleet-preview.yml", "fleet-up.yml"]);
      // Throws with actionlint's findings on a non-zero exit.
      // A broken workflow fails, so a pass below means something.
      const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-")), "bad.yml");
      fs.writeFileSync(
        bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n",
      );
      expect(spawnSync(actionlint, ["-no-color", bad], { encoding: "utf8" }).status).not.toBe(0);
      execFileSync(actionlint, ["-no-color", ...files.map((f) => path.join(WORKFLOWS, f))], {
        cwd: ROOT,
        encoding: "utf8",
      });
    },
    BUILD_TIMEOUT_MS,
  );

  it("pull requests: a matrix of chunks previewed, merged into one comment found by the marker", () => {
    const w = load("fleet-preview.yml");
    expect(Object.keys(w.on)).toEqual(["pull_request"]);
    expect(w.jobs.preview.needs).toBe("plan");
    expect(w.jobs.preview.strategy?.matrix?.stacks).toContain("fromJSON(needs.plan.outputs.chunks)");
    expect(runs(w, "preview")).toMatch(/fleet -- preview --stacks .* --json/);
    expect(runs(w, "comment")).toMatch(/fleet -- report --from .* --markdown comment\.md/);
    expect(runs(w, "comment")).toContain(`marker='${MARKER}'`);
    expect(runs(w, "comment")).toMatch(/--method PATCH .*issues\/comments/);
    expect(w.jobs.comment.permissions?.["pull-requests"]).toBe("write");
  });

  it("merge to main: up behind the production environment, one at a time", () => {
    const w = load("fleet-up.yml") as Workflow & { concurrency: { "cancel-in-progress": boolean } };
    expect(w.on.push).toEqual({ branches: ["main"] });
    expect(w.jobs.up.environment).toBe("production");
    expect(w.concurrency["cancel-in-progress"]).toBe(false);
    expect(runs(w, "up")).toContain("args=(up ");
  });

  it("nightly: refresh --preview-only, one issue", () => {
    const w = load("fleet-drift.yml");
    expect(w.on.schedule).toHaveLength(1);
    expect(runs(w, "drift")).toContain("fleet -- refresh --preview-only");
    expect(runs(w, "drift")).toContain("--label fleet-drift");
    // Refresh runs no policy: the guardrails judge the state of each stack that asks for them.
    expect(runs(w, "drift")).toContain('npm run --silent pulumi -- policy analyze --stack "$stack"');
    expect(w.jobs.drift.permissions?.issues).toBe("write");
  });

  it("take credentials from repository secrets only", () => {
    for (const file of fs.readdirSync(WORKFLOWS)) {
      const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
      for (const line of text.split("\n").filter((l) => /PASSPHRASE|SECRET|ACCESS_KEY|BACKEND_URL:/.test(l)))
        expect(line).toMatch(/\$\{\{ secrets\.\w+ \}\}|^\s*#/);
    }
  });
});
