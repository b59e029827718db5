// A small loopback HTTP proxy for the reliability suite: the provider uses it as its site, and it
// forwards every request to the sandbox. For a request that a rule picks (say the POST that
// creates one integration's role), it lets the sandbox act and answer, then either destroys the
// client's connection without passing the answer on ("lose": what a reset after the server acted
// looks like to the client) or keeps the connection open with the answer unsent ("hold": the
// CLI can be killed while the request is in flight, after the sandbox acted).
import * as http from "http";
import { AddressInfo } from "net";

export type ProxyAction = "lose" | "hold";

/** Which requests a rule picks: method, path under the site, and optionally the JSON body. */
export interface ProxyRule {
  /** Name used in figures and messages, e.g. "role ElementsAPI". */
  label: string;
  method: string;
  path: RegExp;
  body?: (body: unknown) => boolean;
  action: ProxyAction;
  /** How many matching requests it takes (default 1). */
  times?: number;
}

/** A request a rule took: the sandbox's answer to it, which the client never received. */
export interface Interception {
  label: string;
  action: ProxyAction;
  method: string;
  path: string;
  status: number;
  /** The answer's JSON body (it may hold a minted key: keep it out of printed output). */
  answer: unknown;
}

export interface LossyProxy {
  /** "http://127.0.0.1:PORT": the site a stack uses. */
  url: string;
  /** Replaces the rules (each with its own count). */
  setRules(rules: ProxyRule[]): void;
  /** Requests the rules took, in the order the sandbox answered them. */
  readonly intercepted: Interception[];
  /** Resolves once `count` requests have been taken (rejects after `timeoutMs`, naming what it saw). */
  waitForInterceptions(count: number, timeoutMs: number): Promise<Interception[]>;
  /** Destroys the connections of held answers (their answers are lost). */
  dropHeld(): void;
  /** Requests forwarded, in total. */
  forwarded(): number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"]);

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

function parseJson(buffer: Buffer): unknown {
  try {
    return buffer.length > 0 ? JSON.parse(buffer.toString("utf8")) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the proxy on 127.0.0.1 in front of `target` ("http://127.0.0.1:PORT"). */
export async function startLossyProxy(target: string): Promise<LossyProxy> {
  const upstream = new URL(target);
  let rules: { rule: ProxyRule; left: number }[] = [];
  const intercepted: Interception[] = [];
  const held: http.ServerResponse[] = [];
  const waiters: (() => void)[] = [];
  let forwarded = 0;

  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const path = req.url ?? "/";
      const json = parseJson(body);
      const picked = rules.find(
        ({ rule, left }) =>
          left > 0 &&
          rule.method === req.method &&
          rule.path.test(path.split("?")[0]) &&
          (rule.body === undefined || rule.body(json)),
      );
      if (picked) picked.left--;
      forwarded++;
      const headers: http.OutgoingHttpHeaders = { ...req.headers, host: upstream.host };
      const answer = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const out = http.request(
          { host: upstream.hostname, port: upstream.port, method: req.method, path, headers, agent: false },
          resolve,
        );
        out.on("error", reject);
        out.end(body);
      });
      const answerBody = await readAll(answer);
      if (picked) {
        const { rule } = picked;
        intercepted.push({
          label: rule.label,
          action: rule.action,
          method: req.method ?? "",
          path: path.split("?")[0],
          status: answer.statusCode ?? 0,
          answer: parseJson(answerBody),
        });
        waiters.splice(0).forEach((w) => w());
        if (rule.action === "lose") req.socket.destroy();
        else held.push(res);
        return;
      }
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
      out["content-length"] = answerBody.length;
      res.writeHead(answer.statusCode ?? 502, out);
      res.end(answerBody);
    })().catch(() => req.socket.destroy()); // the sandbox unreachable: a dropped connection too
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    setRules: (next) => (rules = next.map((rule) => ({ rule, left: rule.times ?? 1 }))),
    intercepted,
    waitForInterceptions: (count, timeoutMs) =>
      new Promise((resolve, reject) => {
        const deadline = setTimeout(
          () =>
            reject(
              new Error(
                `the proxy took ${intercepted.length} of ${count} requests within ${timeoutMs} ms: ${intercepted.map((i) => i.label).join(", ") || "none"}`,
              ),
            ),
          timeoutMs,
        );
        const check = () => {
          if (intercepted.length >= count) {
            clearTimeout(deadline);
            resolve([...intercepted]);
          } else waiters.push(check);
        };
        check();
      }),
    dropHeld: () => held.splice(0).forEach((res) => res.socket?.destroy()),
    forwarded: () => forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        held.splice(0).forEach((res) => res.socket?.destroy());
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
