// End-to-end test support for the S3 state backend: a local S3-compatible server (moto's server
// mode, installed by scripts/ensure-s3-server.sh into a cache outside the repository), one bucket
// in it, and the environment that points the Pulumi CLI at that bucket.
import { ChildProcess, spawn } from "child_process";
import * as path from "path";

const ensureScript = path.resolve(__dirname, "..", "..", "scripts", "ensure-s3-server.sh");
/** ensure-s3-server.sh's exit code for "no usable Python 3 with venv and pip". */
const NO_PYTHON_EXIT_CODE = 2;
const START_TIMEOUT_MS = 30_000;

/** Dummy credentials: moto checks no signature, but the AWS SDK in the CLI refuses to sign without any. */
export const DUMMY_AWS_ACCESS_KEY_ID = "AKIACWIACTESTONLY0001";
export const DUMMY_AWS_SECRET_ACCESS_KEY = "cw-iac-dummy-secret-4f9b2e7a1c";

let installation: Promise<string> | undefined;

/** Runs scripts/ensure-s3-server.sh once per process; resolves to the path of `moto_server`. */
function ensureS3Server(): Promise<string> {
  installation ??= new Promise<string>((resolve, reject) => {
    const child = spawn("bash", [ensureScript], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      // Relayed as it comes: the first run installs moto from PyPI for about a minute.
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on("error", (error) => reject(new Error(`cannot run ${ensureScript}: ${error.message}`)));
    child.on("close", (code) => {
      const server = stdout.trim().split("\n").pop() ?? "";
      if (code === 0 && server) return resolve(server);
      const details = stderr.trim().split("\n").slice(-15).join("\n");
      reject(
        new Error(
          code === NO_PYTHON_EXIT_CODE
            ? `No local S3 server can be installed: install Python 3 with its venv module and pip ` +
                `(Debian/Ubuntu: apt-get install python3 python3-venv python3-pip) so that ` +
                `scripts/ensure-s3-server.sh can install moto[server] from PyPI, then rerun.\n${details}`
            : `scripts/ensure-s3-server.sh failed (exit code ${code}):\n${details}`,
        ),
      );
    });
  });
  return installation;
}

export interface S3Object {
  key: string;
  size: number;
}

export interface S3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  createBucket(bucket: string): Promise<void>;
  /** Every object under `prefix`, in key order (follows continuation tokens). */
  list(bucket: string, prefix?: string): Promise<S3Object[]>;
  get(bucket: string, key: string): Promise<string>;
  /**
   * The backend URL in the parameter names of gocloud.dev's AWS SDK v2 driver, which Pulumi
   * v3.259 uses; `legacy` gives the SDK v1 names (disableSSL, s3ForcePathStyle) that older
   * guides show and that the CLI still translates.
   */
  backendUrl(bucket: string, form?: "v2" | "legacy"): string;
  /** What a CLI run needs besides PULUMI_BACKEND_URL: dummy credentials, no shared AWS files. */
  awsEnv(scratchDir: string): Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts moto's server on a free loopback port (`-p 0`: the port is read from the line the
 * server prints on start, so no port is chosen and then raced for). The S3 calls below are plain
 * path-style requests with an unchecked signature, which moto accepts, so the tests need no AWS SDK.
 */
export async function startS3Server(): Promise<S3Server> {
  const server = await ensureS3Server();
  const child: ChildProcess = spawn(server, ["-H", "127.0.0.1", "-p", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`moto_server printed no port within ${START_TIMEOUT_MS / 1000} s:\n${output}`));
    }, START_TIMEOUT_MS);
    let found = false;
    const scan = (chunk: Buffer) => {
      // Read on after the port line too (moto logs each request), or a full pipe would stall it.
      if (found) return;
      output += chunk.toString();
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        found = true;
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on("data", scan);
    child.stderr!.on("data", scan);
    child.on("error", (error) => reject(new Error(`cannot start ${server}: ${error.message}`)));
    child.on("exit", (code) => reject(new Error(`moto_server ended (exit code ${code}) before serving:\n${output}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;

  // moto verifies no signature, but keeps objects written with credentials private to callers
  // that present some: a SigV4-shaped header naming the dummy key is enough.
  async function call(method: string, url: string): Promise<string> {
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, "");
    const authorization =
      `AWS4-HMAC-SHA256 Credential=${DUMMY_AWS_ACCESS_KEY_ID}/${day}/us-east-1/s3/aws4_request, ` +
      `SignedHeaders=host, Signature=${"0".repeat(64)}`;
    const res = await fetch(url, { method, headers: { Authorization: authorization } });
    const text = await res.text();
    if (!res.ok) throw new Error(`S3 ${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
    return text;
  }

  const unxml = (s: string) =>
    s
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, "&");

  return {
    endpoint,
    createBucket: async (bucket) => void (await call("PUT", `${endpoint}/${bucket}`)),
    async list(bucket, prefix = "") {
      const objects: S3Object[] = [];
      let token: string | undefined;
      do {
        const query = new URLSearchParams({ "list-type": "2", prefix });
        if (token) query.set("continuation-token", token);
        const xml = await call("GET", `${endpoint}/${bucket}?${query.toString()}`);
        for (const [, body] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          objects.push({
            key: unxml(/<Key>([\s\S]*?)<\/Key>/.exec(body)?.[1] ?? ""),
            size: Number(/<Size>(\d+)<\/Size>/.exec(body)?.[1] ?? 0),
          });
        }
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
          ? unxml(/<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/.exec(xml)?.[1] ?? "")
          : undefined;
      } while (token);
      return objects.sort((a, b) => a.key.localeCompare(b.key));
    },
    get: (bucket, key) => call("GET", `${endpoint}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`),
    backendUrl: (bucket, form = "v2") =>
      form === "v2"
        ? `s3://${bucket}?endpoint=${endpoint}&disable_https=true&use_path_style=true&region=us-east-1`
        : `s3://${bucket}?endpoint=127.0.0.1:${port}&disableSSL=true&s3ForcePathStyle=true&region=us-east-1`,
    awsEnv: (scratchDir) => ({
      AWS_ACCESS_KEY_ID: DUMMY_AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: DUMMY_AWS_SECRET_ACCESS_KEY,
      AWS_REGION: "us-east-1",
      // Not the developer's ~/.aws files or profile: the run must not depend on them.
      AWS_CONFIG_FILE: path.join(scratchDir, "aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: path.join(scratchDir, "aws-credentials"),
      AWS_PROFILE: "",
      AWS_EC2_METADATA_DISABLED: "true",
    }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
