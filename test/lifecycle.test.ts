// The lifecycle kit on its own (provider/kit/lifecycle.ts, provider/kit/context.ts): the input
// diff from a field table's flags, the one diff result, the preview guard, create-or-recover
// after a lost answer, release on delete, and the context configure() builds. No request is made.

import type * as pulumi from "@pulumi/pulumi";
import { ConnectWiseError } from "../connectwise/errors";
import { UNKNOWN, field, flag, judgedAcross, text, valueFirst } from "../provider/handlerKit";
import { contextFor } from "../provider/kit/context";
import {
  Definition,
  diffResult,
  inputDetails,
  inputDiff,
  lifecycle,
  postOrRecover,
  releaseAdopted,
  sameName,
  stillUnknown,
} from "../provider/kit/lifecycle";

const FIELDS = {
  name: field(text({ max: 30 }), { replaces: true }),
  role: field(text(), { same: sameName }),
  key: field(judgedAcross<string>(), { replaces: (news) => news.kind === "console", secret: true }),
  kind: text(),
  adopt: field(flag(false), { same: "ignored" }),
};

const config = (values: Record<string, string>): pulumi.dynamic.Config => ({
  get: (key) => values[key],
  require: (key) => values[key],
});

describe("inputDiff", () => {
  const olds = { name: "a", role: "Admin", key: "k1", kind: "token", adopt: false };

  it("names nothing when nothing changed, names compared as ConnectWise matches them", () => {
    expect(inputDiff(FIELDS, olds, { ...olds, role: "ADMIN" })).toEqual({ changed: [], replaces: [] });
  });

  it("tells changes from replacements, in table order; ignored fields never count", () => {
    expect(inputDiff(FIELDS, olds, { ...olds, name: "b", role: "Other", adopt: true })).toEqual({
      changed: ["name", "role"],
      replaces: ["name"],
    });
  });

  it("a conditional replacement applies only to the inputs it names", () => {
    expect(inputDiff(FIELDS, olds, { ...olds, key: "k2" })).toEqual({ changed: ["key"], replaces: [] });
    expect(inputDiff(FIELDS, { ...olds, kind: "console" }, { ...olds, kind: "console", key: "k2" })).toEqual({
      changed: ["key"],
      replaces: ["key"],
    });
  });

  it("a value still unknown is a change", () => {
    expect(inputDiff(FIELDS, olds, { ...olds, name: UNKNOWN })).toEqual({ changed: ["name"], replaces: ["name"] });
    expect(stillUnknown({ tables: ["a", UNKNOWN] }, ["tables"])).toBe(true);
    expect(stillUnknown({ tables: ["a"], other: UNKNOWN }, ["tables"])).toBe(false);
  });

  it("the secret flag is on the table", () => {
    expect(FIELDS.key.secret).toBe(true);
    expect(text({ secret: true }).secret).toBe(true);
    expect(FIELDS.name.secret).toBeUndefined();
  });
});

describe("diff results", () => {
  it("carry a detailed diff only when some property is named", () => {
    expect(diffResult(false)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(diffResult(true, ["name"], inputDetails(["name"]))).toEqual({
      changes: true,
      replaces: ["name"],
      deleteBeforeReplace: false,
      detailedDiff: { name: { kind: "update", inputDiff: true } },
    });
    expect(inputDetails(["owner", "name"], { name: "a" })).toEqual({
      owner: { kind: "add", inputDiff: true },
      name: { kind: "update", inputDiff: true },
    });
  });
});

describe("postOrRecover", () => {
  const lost = () =>
    new ConnectWiseError({
      status: 502,
      code: undefined,
      cwMessage: "bad gateway",
      method: "POST",
      path: "/x",
      outcomeUnknown: true,
    });
  const base = { label: "Thing t", noun: "thing", tenant: "1 at h", absent: "no thing of that name" };

  it("returns the POST's answer", async () => {
    const find = jest.fn();
    await expect(
      postOrRecover({ ...base, post: () => Promise.resolve(1), find, take: () => Promise.resolve(2) }),
    ).resolves.toBe(1);
    expect(find).not.toHaveBeenCalled();
  });

  it("after a lost answer, hands what the natural key finds to the resource's proof", async () => {
    const take = jest.fn((found: string, why: string) => Promise.resolve(`${found}: ${why}`));
    const result = await postOrRecover({
      ...base,
      post: () => Promise.reject(lost()),
      find: () => Promise.resolve("found"),
      take,
    });
    expect(result).toMatch(/^found: /);
  });

  it("says nothing was created when the key finds nothing", async () => {
    await expect(
      postOrRecover({
        ...base,
        post: () => Promise.reject(lost()),
        find: () => Promise.resolve(undefined),
        take: jest.fn(),
      }),
    ).rejects.toThrow(
      /^Thing t: the POST that creates the thing got no answer \(.*\), and no thing of that name exists on 1 at h: nothing was created; the next up creates it$/,
    );
  });

  it("a refusal or a definite failure is not recovered", async () => {
    const definite = new ConnectWiseError({ status: 400, code: "x", cwMessage: "no", method: "POST", path: "/x" });
    const find = jest.fn();
    await expect(postOrRecover({ ...base, post: () => Promise.reject(definite), find, take: jest.fn() })).rejects.toBe(
      definite,
    );
    await expect(
      postOrRecover({
        ...base,
        post: () => Promise.reject(definite),
        refused: () => new Error("refused"),
        find,
        take: jest.fn(),
      }),
    ).rejects.toThrow("refused");
    expect(find).not.toHaveBeenCalled();
  });
});

describe("lifecycle", () => {
  type Outs = { adopted?: boolean; deleteAdopted?: boolean };
  const made = (): { definition: Definition<Record<string, unknown>, Outs>; deleted: string[]; released: string[] } => {
    const deleted: string[] = [];
    const released: string[] = [];
    const definition: Definition<Record<string, unknown>, Outs> = {
      type: "Thing",
      fields: FIELDS,
      voice: valueFirst("Thing"),
      release: releaseAdopted("deleteAdopted", (id) => released.push(id)),
      diff: (_c, _id, _o, _n, input) => Promise.resolve(diffResult(input.changed.length > 0, input.replaces)),
      create: () => Promise.resolve({ id: "1", outs: {} }),
      read: (_c, id, props) => Promise.resolve({ id, props }),
      update: () => Promise.resolve({ outs: {} }),
      delete: (_c, id) => {
        deleted.push(id);
        return Promise.resolve();
      },
    };
    return { definition, deleted, released };
  };

  it("releases an adopted object unless its flag asks for the delete", async () => {
    const { definition, deleted, released } = made();
    const provider = lifecycle(definition);
    await provider.delete("1", { adopted: true });
    await provider.delete("2", { adopted: true, deleteAdopted: true });
    await provider.delete("3", {});
    expect(released).toEqual(["1"]);
    expect(deleted).toEqual(["2", "3"]);
  });

  it("check() runs the field table in its voice; diff() gets the table's input diff", async () => {
    const provider = lifecycle(made().definition);
    await expect(provider.check({}, { name: "", role: "r", kind: "token" })).resolves.toEqual({
      failures: [{ property: "name", reason: 'Thing name: "" is not allowed; give a non-empty string' }],
    });
    const olds = { name: "a", role: "r", kind: "token" };
    await expect(provider.diff("1", olds, { ...olds, name: "b" })).resolves.toEqual(diffResult(true, ["name"]));
  });

  it("configure() builds one context per connection config, shared by the resource types", () => {
    const values = { "connectwise:site": "http://127.0.0.1:1", "connectwise:companyId": "c" };
    expect(contextFor(config(values))).toBe(contextFor(config({ ...values })));
    expect(contextFor(config(values))).not.toBe(contextFor(config({ ...values, "connectwise:companyId": "d" })));
    expect(contextFor(config(values)).lookups).toBe(contextFor(config(values)).lookups);
  });
});
