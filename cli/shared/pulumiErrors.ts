// What a failed Pulumi CLI run says, as one line for the operator. The Automation API throws a
// CommandError whose message is the whole command result (exit code, stdout, stderr, the CLI's
// path and arguments, then all of it again); the commands print only the CLI's own `error:` lines,
// and a passphrase that is missing or wrong is named as the variable to set.

/** The passphrase variables, as the operator sets them (README: "Secrets and what to commit"). */
const PASSPHRASE_VARIABLES = "PULUMI_CONFIG_PASSPHRASE_FILE (a file holding it) or PULUMI_CONFIG_PASSPHRASE";

/** Where this run took its passphrase from, for a message: the file's path, never the value. */
function passphraseSource(env: NodeJS.ProcessEnv): string {
  if (env.PULUMI_CONFIG_PASSPHRASE_FILE) return `PULUMI_CONFIG_PASSPHRASE_FILE (${env.PULUMI_CONFIG_PASSPHRASE_FILE})`;
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return "PULUMI_CONFIG_PASSPHRASE";
  return "no passphrase variable";
}

/**
 * The passphrase problem that `text` (pulumi's stderr or an Automation API error) reports, as the
 * line to print; undefined when it reports none.
 */
export function passphraseProblem(text: string, stack: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const file = stack ? `Pulumi.${stack}.yaml` : "the stack's Pulumi.<stack>.yaml";
  const named = stack ? `stack "${stack}"` : "the selected stack";
  if (/incorrect passphrase/i.test(text)) {
    return (
      `${named}: wrong passphrase: the one from ${passphraseSource(env)} does not decrypt ${file}; ` +
      `set ${PASSPHRASE_VARIABLES} to the passphrase this stack was created with`
    );
  }
  if (/unable to read PULUMI_CONFIG_PASSPHRASE_FILE/i.test(text)) {
    return (
      `${named}: PULUMI_CONFIG_PASSPHRASE_FILE names ${env.PULUMI_CONFIG_PASSPHRASE_FILE ?? "a file"}, ` +
      `which cannot be read; point it at the file holding the passphrase of ${file}`
    );
  }
  if (/passphrase must be set/i.test(text)) {
    return `${named}: no passphrase: set ${PASSPHRASE_VARIABLES}; it decrypts the keys in ${file}`;
  }
  return undefined;
}

/**
 * pulumi's own `error:` lines from a failed run (an Automation API CommandError or a stderr text),
 * each once, without the command line, its path or the result dump; the text itself otherwise.
 */
export function pulumiErrorLines(text: string): string {
  const lines = text.split("\n").map((l) => l.trimEnd());
  const errors = [...new Set(lines.filter((l) => /^\s*error: /.test(l)).map((l) => l.trim()))];
  if (errors.length > 0) return errors.join("\n");
  const kept = lines.filter(
    (l) =>
      l.trim() !== "" &&
      !/^(code: -?\d+|\s*stdout: ?$|\s*stderr: ?$|\s*err\?: )/.test(l) &&
      !/Command failed with exit code/.test(l),
  );
  return [...new Set(kept.map((l) => l.trim()))].join("\n") || text.trim();
}

/** A failed Pulumi run on `stack`, as the operator should read it: the passphrase to set, else pulumi's errors. */
export function describePulumiFailure(error: unknown, stack: string, env: NodeJS.ProcessEnv): string {
  const text = error instanceof Error ? error.message : String(error);
  return passphraseProblem(text, stack, env) ?? pulumiErrorLines(text);
}
