// A loopback reverse proxy in front of a sandbox that holds API requests until the test lets
// them through: the test sees when each request reaches the "site" and decides when it is
// answered, so limits are shown by what arrives, not by how long anything took. Discovery
// (/login/...) always passes. The sandbox still answers every request it is given.
import * as http from "http";
import { AddressInfo } from "net";

export interface Gate {
  url: string;
  /** "METHOD /path" of each API request that reached the gate, in order. */
  arrived: string[];
  /** Requests waiting at the gate now. */
  held(): number;
  /** The most requests waiting at the gate at once. */
  maxHeld: number;
  /** Lets the oldest `count` held requests through to the sandbox. */
  release(count?: number): void;
  close(): Promise<void>;
}

export async function startGate(target: string): Promise<Gate> {
  const upstream = new URL(target);
  const queue: (() => void)[] = [];
  const sockets = new Set<import("net").Socket>();
  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => {
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    out.end(body);
  };
  const gate: Gate = {
    url: "",
    arrived: [],
    held: () => queue.length,
    maxHeld: 0,
    release(count = 1) {
      for (const next of queue.splice(0, count)) next();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = new URL(req.url ?? "/", "http://gate").pathname;
      if (!path.includes("/apis/3.0/")) return forward(req, res, body);
      gate.arrived.push(`${req.method} ${path.replace(/^.*\/apis\/3\.0/, "")}`);
      queue.push(() => forward(req, res, body));
      gate.maxHeld = Math.max(gate.maxHeld, queue.length);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  gate.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return gate;
}
