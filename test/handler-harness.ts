// Shared setup for the handler suites: an in-process sandbox, the operator's console, and the
// stack config a handler module's configure() receives (what `connectwise:*` config holds).

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { RECORDS_ENV, readRecords } from "../review/recordsFile";
import { lineOf } from "../review/renderLine";
import { SandboxConsole } from "../sandbox/console";
import { RunningSandbox, SandboxOptions, startSandbox } from "../sandbox/server";

export interface HandlerSandbox {
  sandbox: RunningSandbox;
  operator: SandboxConsole;
  /** The sandbox's credentials as `connectwise:*` stack config. */
  config: Record<string, string>;
}

export async function startHandlerSandbox(options: SandboxOptions = {}): Promise<HandlerSandbox> {
  // The handlers' create journal (provider/kit/journal.ts): one fresh directory per suite, never the user's.
  process.env.CW_IAC_JOURNAL_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-journal-"));
  const sandbox = await startSandbox({ port: 0, ...options });
  const config = {
    "connectwise:site": sandbox.url,
    "connectwise:companyId": sandbox.companyId,
    "connectwise:clientId": sandbox.clientId,
    "connectwise:publicKey": sandbox.publicKey,
    "connectwise:privateKey": sandbox.privateKey,
  };
  return { sandbox, operator: new SandboxConsole(sandbox.consoleUrl), config };
}

/** Hands `config` to a handler module, as the engine's Configure does. */
export function configure(
  provider: Required<pulumi.dynamic.ResourceProvider>,
  config: Record<string, string>,
): Promise<void> {
  return provider.configure({
    config: {
      get: (key) => config[key],
      require: (key) => {
        if (config[key] === undefined) throw new Error(`missing config ${key}`);
        return config[key];
      },
    },
  });
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

/**
 * What a handler reported during `run`, one line per record as lineOf renders it (a step record:
 * its screen path and action), from the records file a command would read. The terminal gets a
 * resource's steps as one pointer line (review/renderLine.ts `linesOf`); the records carry each.
 */
export async function reported(run: () => Promise<unknown>): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-reported-"));
  const file = path.join(dir, "records.jsonl");
  const before = process.env[RECORDS_ENV];
  process.env[RECORDS_ENV] = file;
  const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    await run();
    return readRecords(file)
      .map(lineOf)
      .filter((line): line is string => line !== undefined);
  } finally {
    printed.mockRestore();
    if (before === undefined) delete process.env[RECORDS_ENV];
    else process.env[RECORDS_ENV] = before;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
