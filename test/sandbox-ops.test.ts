// The sandbox as a process: injected faults, --state persistence across restarts, and the CLI.

import { spawn } from "child_process";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { createInterface } from "readline";
import { SandboxConsole } from "../sandbox/console";
import { startSandbox } from "../sandbox/server";
import { call } from "./sandbox-harness";

describe("faults", () => {
  it("answers 429 with Retry-After and 503, drops connections, and logs each", async () => {
    const sb = await startSandbox({ port: 0 });
    const ops = new SandboxConsole(sb.consoleUrl);
    try {
      await ops.setFaults({ rate429: 1, retryAfterSeconds: 7 });
      const limited = await call(sb, "/system/securityroles");
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toBe("7");
      // Faults never touch the console or discovery.
      expect((await fetch(`${sb.url}/login/companyinfo/sandbox`)).status).toBe(200);

      await ops.setFaults({ rate429: 0, rate503: 1 });
      expect((await call(sb, "/system/securityroles")).status).toBe(503);

      await ops.setFaults({ rate503: 0, rateDrop: 1 });
      await expect(call(sb, "/system/securityroles")).rejects.toThrow();

      // Latency, shown without a clock: a request under it is still unanswered when discovery
      // (which faults never touch) and the console have answered requests sent after it.
      await ops.setFaults({ rateDrop: 0, latencyMs: 2000 });
      let slowStatus: number | undefined;
      const slow = call(sb, "/system/securityroles").then((r) => (slowStatus = r.status));
      expect((await fetch(`${sb.url}/login/companyinfo/sandbox`)).status).toBe(200);
      expect((await ops.requests()).entries).toHaveLength(3);
      expect(slowStatus).toBeUndefined();
      await slow;
      expect(slowStatus).toBe(200);
      await ops.setFaults({ latencyMs: 0 });

      await expect(ops.setFaults({ rate429: 2 })).rejects.toThrow(/between 0 and 1/);
      const log = await ops.requests();
      expect(log.counts["GET /system/securityroles"]).toBe(4);
      expect(log.faults).toEqual({ "429": 1, "503": 1, drop: 1, lostAnswer: 0 });
      expect(log.entries.map((e) => [e.path, e.status, e.fault])).toEqual([
        ["/system/securityroles", 429, "429"],
        ["/system/securityroles", 503, "503"],
        ["/system/securityroles", 0, "drop"],
        ["/system/securityroles", 200, undefined],
      ]);
    } finally {
      await sb.close();
    }
  });

  it("draws the rates from its seed: the same seed gives the same faults, and GET /faults shows it", async () => {
    const seed = 20261206;
    process.stderr.write(`sandbox-ops: fault seed ${seed}\n`);
    const sb = await startSandbox({ port: 0, faults: { seed } });
    const ops = new SandboxConsole(sb.consoleUrl);
    const pattern = async (faults: { seed?: number }) => {
      await ops.setFaults({ rate503: 0.5, rate429: 0.2, ...faults });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await call(sb, "/system/info")).status);
      return statuses.join(" ");
    };
    try {
      expect((await ops.setFaults({})).seed).toBe(seed);
      const first = await pattern({});
      // Each change of the faults starts the draws again from the seed. The seed is in each
      // compared value, so a failure names it.
      expect({ seed, statuses: await pattern({}) }).toEqual({ seed, statuses: first });
      expect({ seed, statuses: await pattern({ seed }) }).toEqual({ seed, statuses: first });
      expect({ seed, statuses: first }).toEqual({ seed, statuses: expect.stringMatching(/503.*200|200.*503/) });
      const other = await pattern({ seed: seed + 1 });
      expect({ seeds: [seed, seed + 1], same: other === first }).toEqual({ seeds: [seed, seed + 1], same: false });
      await expect(ops.setFaults({ seed: 1.5 })).rejects.toThrow(/seed/);
    } finally {
      await sb.close();
    }
  });
});

describe("--state persistence", () => {
  it("keeps roles, permissions, members, keys and the admin key across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cw-sandbox-"));
    const statePath = join(dir, "state.json");
    try {
      const first = await startSandbox({ port: 0, statePath });
      const ops1 = new SandboxConsole(first.consoleUrl);
      const role = (await call(first, "/system/securityroles", { method: "POST", body: { name: "Persisted" } })).body;
      await ops1.setPermissions("Persisted", { "System/Security": { inquire: "All" } });
      await ops1.setTableSetup("Persisted", ["Products / UOM"]);
      await ops1.addExtraFunction("Persisted", "Service Desk", "AI Assist", { inquire: "All" });
      const member = (
        await call(first, "/system/apiMembers", {
          method: "POST",
          body: { identifier: "Keeper", name: "Keeper", securityRole: { id: role.id } },
        })
      ).body;
      const keys = await ops1.createApiKey("Keeper", "kept");
      await first.close();
      const saved = readFileSync(statePath, "utf8");
      expect(saved).not.toContain(keys.privateKey);

      const second = await startSandbox({ port: 0, statePath });
      try {
        expect(second.publicKey).toBe(first.publicKey);
        expect(second.privateKey).toBe(first.privateKey);
        expect((await call(second, `/system/securityroles/${role.id}`)).body.name).toBe("Persisted");
        expect((await call(second, `/system/apiMembers/${member.id}`)).body.securityRole).toEqual({
          id: role.id,
          name: "Persisted",
        });
        expect((await call(second, "/system/securityroles", { keys })).status).toBe(200);
        const ops2 = new SandboxConsole(second.consoleUrl);
        expect(await ops2.role("Persisted")).toMatchObject({
          permissions: { "System/Security": { inquire: "All" } },
          tableSetup: ["Products / UOM"],
          extraFunctions: ["Service Desk/AI Assist"],
        });
        expect((await ops2.role("Persisted")).permissions["Service Desk/AI Assist"]).toMatchObject({ inquire: "All" });
        const next = (await call(second, "/system/securityroles", { method: "POST", body: { name: "AfterRestart" } }))
          .body;
        expect(next.id).toBeGreaterThan(role.id);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CLI", () => {
  it("prints exactly one JSON line and serves until killed", async () => {
    // Its own process group, so the kill reaches the node process npx starts, not only npx.
    const child = spawn("npx", ["ts-node", "--transpile-only", "sandbox/main.ts", "--port", "0"], {
      cwd: join(__dirname, ".."),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once("line", resolve);
        child.once("exit", (code) => reject(new Error(`sandbox exited with ${code}`)));
      });
      const info = JSON.parse(first);
      expect(Object.keys(info).sort()).toEqual([
        "clientId",
        "companyId",
        "consoleUrl",
        "privateKey",
        "publicKey",
        "url",
      ]);
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await call(info, "/system/info")).status).toBe(200);
      const more: string[] = [];
      lines.on("line", (l) => more.push(l));
      await new Promise((r) => setTimeout(r, 200));
      expect(more).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(-child.pid!, "SIGTERM");
        await exited;
      }
    }
  });
});

describe("the console's role rename", () => {
  it("renames a role as the UI does: the API and its members show the new name; a taken name is refused", async () => {
    const sb = await startSandbox({ port: 0 });
    const ops = new SandboxConsole(sb.consoleUrl);
    try {
      const role = await call(sb, "/system/securityroles", { method: "POST", body: { name: "Before Rename" } });
      expect(role.status).toBe(201);
      const member = await call(sb, "/system/apiMembers", {
        method: "POST",
        body: { identifier: "RenameMember", name: "Rename Member", securityRole: { id: role.body.id } },
      });
      expect(member.status).toBe(201);
      expect((await ops.renameRole("Before Rename", "After Rename")).name).toBe("After Rename");
      expect((await call(sb, `/system/securityroles/${role.body.id}`)).body.name).toBe("After Rename");
      const read = await call(sb, `/system/apiMembers/${member.body.id}`);
      expect(read.body.securityRole).toMatchObject({ id: role.body.id, name: "After Rename" });
      await expect(ops.renameRole("After Rename", "Admin")).rejects.toThrow(/already exists/);
      await expect(ops.role("Before Rename")).rejects.toThrow(/404/);
    } finally {
      await sb.close();
    }
  });
});
