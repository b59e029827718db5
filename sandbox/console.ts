// A typed client of the console plane (/console/...), for tests and the demo: plays the operator
// in the Manage UI. Uses the global fetch; errors carry the console's message, never a key.

import type { ConsoleRole, ConsoleSettings, ConsoleState } from "./consolePlane";
import type { Faults, LostAnswer, Reshape } from "./faults";
import type { KeyPair } from "./store";
import type { FaultCounts, LogEntry } from "./requestLog";
import type { Level, PermissionField } from "../catalog";

export type { ConsoleRole, ConsoleSettings, ConsoleState, Permissions } from "./consolePlane";
export type { FaultCounts, LogEntry } from "./requestLog";

export type PermissionUpdate = Record<string, Partial<Record<PermissionField, Level>>>;

export interface RequestLogView {
  counts: Record<string, number>;
  /** Injected faults answered since the last reset, by kind. */
  faults: FaultCounts;
  entries: LogEntry[];
}

/** A `loseAnswers` rule as set: count defaults to 1, reply to "drop". */
export type LostAnswerRule = Pick<LostAnswer, "method" | "path"> & Partial<Pick<LostAnswer, "count" | "reply">>;

export class SandboxConsole {
  constructor(private readonly consoleUrl: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.consoleUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const message = (parsed as { message?: string } | undefined)?.message ?? res.statusText;
      throw new Error(`console ${method} ${path}: ${res.status} ${message}`);
    }
    return parsed as T;
  }

  state(): Promise<ConsoleState> {
    return this.call("GET", "/state");
  }

  role(name: string): Promise<ConsoleRole> {
    return this.call("GET", `/roles/${encodeURIComponent(name)}`);
  }

  /** Merges levels into the role, as an operator clicks them in System > Security Roles. */
  setPermissions(role: string, permissions: PermissionUpdate): Promise<ConsoleRole> {
    return this.call("PUT", `/roles/${encodeURIComponent(role)}/permissions`, permissions);
  }

  /**
   * Adds to the role a module function the catalog does not know (as a newer Manage version
   * would have), with levels; PUT permissions can change them afterwards under "Module/Function".
   */
  addExtraFunction(
    role: string,
    module: string,
    fn: string,
    levels: Partial<Record<PermissionField, Level>> = {},
  ): Promise<ConsoleRole> {
    return this.call("POST", `/roles/${encodeURIComponent(role)}/extraFunctions`, { module, function: fn, levels });
  }

  /** Replaces the role's Table Setup "Allow access to these" list ("Category / Table" entries). */
  setTableSetup(role: string, tables: string[]): Promise<ConsoleRole> {
    return this.call("PUT", `/roles/${encodeURIComponent(role)}/tableSetup`, { tables });
  }

  /** Renames the role (System > Security Roles > role > Role ID); its members show the new name. */
  renameRole(role: string, name: string): Promise<ConsoleRole> {
    return this.call("PUT", `/roles/${encodeURIComponent(role)}/name`, { name });
  }

  /** A persistent API key, as made in System > Members > API Keys. */
  createApiKey(member: string, description: string): Promise<KeyPair> {
    return this.call("POST", `/members/${encodeURIComponent(member)}/apiKeys`, { description });
  }

  async revokeApiKey(member: string, publicKey: string): Promise<void> {
    await this.call("DELETE", `/members/${encodeURIComponent(member)}/apiKeys/${encodeURIComponent(publicKey)}`);
  }

  requests(): Promise<RequestLogView> {
    return this.call("GET", "/requests");
  }

  async resetRequests(): Promise<void> {
    await this.call("DELETE", "/requests");
  }

  setFaults(faults: Partial<Omit<Faults, "loseAnswers">> & { loseAnswers?: LostAnswerRule[] }): Promise<Faults> {
    return this.call("PUT", "/faults", faults);
  }

  // The API carries out the next matching request(s) and the answer is lost: `path` is under
  // /apis/3.0 with `*` for one segment, e.g. { method: "POST", path: "/system/members/*/tokens" }.
  // Replaces the rules set before.
  loseAnswers(...rules: LostAnswerRule[]): Promise<Faults> {
    return this.setFaults({ loseAnswers: rules });
  }

  // Matching 2xx answers come back wrong-shaped: `field` dropped (no `value`) or set to `value`,
  // on the answer or each item of a list (only item `item` when given). Replaces the rules set before.
  reshape(...rules: Reshape[]): Promise<Faults> {
    return this.setFaults({ reshape: rules });
  }

  setSettings(settings: ConsoleSettings): Promise<ConsoleSettings> {
    return this.call("PUT", "/settings", settings);
  }
}
