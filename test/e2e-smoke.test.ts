// Proves the offline Pulumi set-up works end to end with a dynamic resource, through both ways of
// running a program: inline (Automation API language server) and local (pulumi-language-nodejs).
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PulumiFn } from "@pulumi/pulumi/automation";
import { createStack, PulumiEnvironment, pulumiEnvironment } from "./e2e/pulumi";

const projectDir = path.resolve(__dirname, "..");
// The first run builds the CLI from Go modules (about 5 minutes on 2 cores).
const BUILD_TIMEOUT_MS = 20 * 60_000;
/** Three CLI runs (up, preview, destroy): jest's default 60 s is too short on two loaded cores. */
const STEP_TIMEOUT_MS = 5 * 60_000;

// A resource whose id is derived from its input: nothing remote, so only Pulumi is under test.
const noteProvider: pulumi.dynamic.ResourceProvider = {
  create: (inputs) => Promise.resolve({ id: `note-${inputs.text}`, outs: inputs }),
  diff: (_id, olds, news) => Promise.resolve({ changes: olds.text !== news.text }),
  update: (_id, _olds, news) => Promise.resolve({ outs: news }),
  delete: () => Promise.resolve(),
};

class Note extends pulumi.dynamic.Resource {
  constructor(name: string, text: string) {
    super(noteProvider, name, { text }, {}, "smoke", "Note");
  }
}

const inlineProgram: PulumiFn = () => {
  const note = new Note("note", "hello");
  return Promise.resolve({ noteId: note.id });
};

// The same resource as a standalone program, for the CLI to run through the language host.
const localProgram = `
const pulumi = require("@pulumi/pulumi");
const provider = {
  async create(inputs) { return { id: "note-" + inputs.text, outs: inputs }; },
  async diff(_id, olds, news) { return { changes: olds.text !== news.text }; },
  async update(_id, _olds, news) { return { outs: news }; },
  async delete() {},
};
const note = new pulumi.dynamic.Resource(provider, "note", { text: "hello" }, {}, "smoke", "Note");
exports.noteId = note.id;
`;

function writeLocalProgram(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: smoke-local\nruntime: nodejs\nmain: index.js\n");
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "smoke-local", private: true }));
  fs.writeFileSync(path.join(dir, "index.js"), localProgram);
  fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(dir, "node_modules"), "dir");
}

describe("Pulumi CLI, offline, with a dynamic resource", () => {
  let env: PulumiEnvironment;

  beforeAll(async () => {
    env = await pulumiEnvironment();
  }, BUILD_TIMEOUT_MS);

  afterAll(() => env?.dispose());

  test.each(["inline", "local"] as const)(
    "%s program: up, preview without changes, destroy",
    async (route) => {
      const programDir = path.join(env.tempDir, "program");
      if (route === "local") writeLocalProgram(programDir);
      const stack = await createStack({
        stackName: route,
        projectName: `smoke-${route}`,
        program: route === "inline" ? inlineProgram : undefined,
        workDir: path.join(env.tempDir, `work-${route}`),
        programDir: route === "local" ? programDir : projectDir,
        env,
      });

      const up = await stack.up();
      expect(up.summary.result).toBe("succeeded");
      expect(up.summary.resourceChanges).toEqual({ create: 2 });
      expect(up.outputs.noteId.value).toBe("note-hello");

      const preview = await stack.preview({ expectNoChanges: true });
      expect(preview.changeSummary).toEqual({ same: 2 });

      const destroy = await stack.destroy();
      expect(destroy.summary.resourceChanges).toEqual({ delete: 2 });
      const state = await stack.exportStack();
      expect(state.deployment.resources ?? []).toHaveLength(0);
    },
    STEP_TIMEOUT_MS,
  );
});
