// A local ConnectWise Manage: the published /apis/3.0 endpoints this project uses, the
// unauthenticated /login/companyinfo lookup, and the /console plane. One tenant, in memory,
// optionally persisted to a --state file. This file wires the store to the planes and mounts
// them on one dispatcher; each plane lives in its own file.

import { AddressInfo } from "net";
import { IncomingMessage, ServerResponse, createServer } from "http";
import { API_CONTENT_TYPE, API_PREFIX, apiPath, apiPlane, logRequests } from "./apiPlane";
import { CONSOLE_PREFIX, consolePlane } from "./consolePlane";
import { Faults, NO_FAULTS, injectFaults, mergeFaults } from "./faults";
import { Plane, isLoopbackAddress, parseTarget, planeRequest, send } from "./http";
import { LOGIN_PREFIX, loginPlane } from "./loginPlane";
import { loadState, removeStaleTemps, saveState } from "./persistence";
import { RequestLog } from "./requestLog";
import { SandboxContext } from "./routing";
import { CLIENT_ID, COMPANY_ID, Store } from "./store";

export type { Faults } from "./faults";

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. Anything but a loopback address (or "localhost") needs allowRemote. */
  host?: string;
  /** Allows a host that is not loopback: the API then answers other machines (the console still does not). */
  allowRemote?: boolean;
  /** JSON file: loaded if present, saved after every change. */
  statePath?: string;
  faults?: Partial<Faults>;
  /** Lifetime of keys minted by POST /system/members/{id}/tokens; default 30 days (longer than ApiKey's default rotateBefore of 7 days; the real lifetime is not published). */
  tokenLifetimeSeconds?: number;
}

export interface RunningSandbox {
  /** "http://127.0.0.1:PORT": what a stack uses as connectwise:site. */
  url: string;
  companyId: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
  consoleUrl: string;
  close(): Promise<void>;
}

/** A plane under a path prefix (matched case-insensitively), with the content type of its answers. */
interface Mount {
  prefix: string;
  contentType: string;
  plane: Plane;
}

/** The request handler: finds the mount for the path and hands the request to its plane. */
function dispatcher(mounts: Mount[]): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const target = parseTarget(req.url ?? "/");
    const lower = target?.pathname.toLowerCase() ?? (req.url ?? "").toLowerCase();
    const mount = mounts.find((m) => lower === m.prefix || lower.startsWith(`${m.prefix}/`));
    const contentType = mount?.contentType ?? "application/json";
    const fail = (status: number, code: string, message: string) =>
      send(res, { status, body: { code, message } }, contentType);
    // Refused before any plane sees it (so not in the request log), as IIS refuses a bad URL.
    if (!target) return fail(400, "BadRequest", "The URL is malformed (a percent escape does not decode)");
    if (!mount) return fail(404, "NotFound", `No resource at ${target.pathname}`);
    Promise.resolve()
      .then(() => mount.plane(planeRequest(req, target, mount.prefix)))
      .then(
        (reply) => (reply.drop ? req.socket.destroy() : send(res, reply, contentType)),
        (e: unknown) => {
          process.stderr.write(`sandbox: ${(e as Error).stack ?? String(e)}\n`);
          if (!res.headersSent) fail(500, "UnexpectedError", "An unexpected error occurred");
          else res.destroy();
        },
      );
  };
}

export function isLoopbackHostOption(host: string): boolean {
  return host.toLowerCase() === "localhost" || isLoopbackAddress(host);
}

/** The store from the --state file, or seeded; a file that cannot be used fails with its path and why. */
function openStore(options: SandboxOptions): Store {
  const store = new Store(options.tokenLifetimeSeconds ?? 30 * 86400);
  const statePath = options.statePath;
  if (statePath) removeStaleTemps(statePath);
  const saved = statePath ? loadState(statePath) : undefined;
  if (saved === undefined) {
    store.seed(new Date());
    return store;
  }
  try {
    store.restore(saved);
  } catch (e) {
    throw new Error(`state file ${statePath}: ${(e as Error).message}`, { cause: e });
  }
  if (options.tokenLifetimeSeconds !== undefined) store.tokenLifetimeSeconds = options.tokenLifetimeSeconds;
  return store;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopbackHostOption(host) && !options.allowRemote)
    throw new Error(`host ${host} is not a loopback address; allow it explicitly (allowRemote, --allow-remote)`);
  const statePath = options.statePath;
  const persist = () => {
    if (statePath) saveState(statePath, store.snapshot());
  };
  const store = openStore(options);
  persist();

  let faults = mergeFaults(NO_FAULTS, options.faults ?? {});
  const log = new RequestLog();
  const context: SandboxContext = { store, now: () => new Date() };
  let url = "";
  const baseUrl = () => url;

  const server = createServer(
    dispatcher([
      {
        prefix: CONSOLE_PREFIX,
        contentType: "application/json",
        plane: consolePlane({
          store,
          log,
          faults: () => faults,
          setFaults: (f) => (faults = f),
          now: () => new Date(),
          persist,
        }),
      },
      { prefix: LOGIN_PREFIX, contentType: "application/json", plane: loginPlane(baseUrl) },
      {
        prefix: API_PREFIX,
        contentType: API_CONTENT_TYPE,
        plane: logRequests(
          log,
          injectFaults(() => faults, apiPlane({ context, persist, baseUrl }), apiPath),
        ),
      },
    ]),
  );

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // On a wildcard address the printed URL names loopback: what this machine reaches it by.
  const urlHost = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  url = `http://${urlHost.includes(":") ? `[${urlHost}]` : urlHost}:${port}`;

  return {
    url,
    companyId: COMPANY_ID,
    publicKey: store.adminKey.publicKey,
    privateKey: store.adminKey.privateKey,
    clientId: CLIENT_ID,
    consoleUrl: `${url}/console`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
