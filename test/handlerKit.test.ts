// The handler kit on its own: field rules, unknown values, voices, cross-field rules, labels,
// the 404-is-done delete, and the input and args types inferred from a field table.

import type * as pulumi from "@pulumi/pulumi";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { ConnectWiseError } from "../connectwise/errors";
import {
  ArgsOf,
  InputsOf,
  PartialFailure,
  UNKNOWN,
  checker,
  containsUnknown,
  email,
  fieldFirst,
  flag,
  goneIsDone,
  isUnknown,
  judgedAcross,
  oneOf,
  optionalText,
  resourceLabel,
  text,
  valueFirst,
} from "../provider/handlerKit";
import type { ApiKeyArgs } from "../provider/apiKey";
import type { SecurityRoleArgs, SecurityRoleInputs } from "../provider/securityRole";

const FIELDS = {
  name: text({ max: 5 }),
  secret: text({ secret: true }),
  mail: email(),
  note: optionalText(),
  color: oneOf(["Red", "Blue"], {
    default: "Red",
    reason: (value, hint) => `${JSON.stringify(value)} is no color${hint}`,
  }),
  on: flag(true),
  maybe: flag(),
  later: judgedAcross<number>(),
};
const good = { name: "ab", secret: "s", mail: "a@b.io" };

test("the kit's unknown sentinel is the SDK's (written out so that handlers do not load the SDK runtime)", () => {
  expect(UNKNOWN).toBe(unknownValue);
  expect(isUnknown(unknownValue)).toBe(true);
});

describe("checker", () => {
  const check = checker({
    voice: valueFirst("Thing"),
    fields: FIELDS,
    across: ({ inputs, valid, fail }) => {
      if (valid.has("name") && inputs.name === "bad") fail("name", "is taken", "name.across");
    },
  });

  test("normalises, fills defaults, leaves optional fields out and passes unknown fields through", async () => {
    const result = await check({}, { ...good, name: " ab ", color: "blue", __provider: "p" });
    expect(result).toEqual({
      inputs: { name: "ab", secret: "s", mail: "a@b.io", color: "Blue", on: true, __provider: "p" },
    });
    expect(Object.keys(result.inputs)).not.toContain("maybe");
  });

  test("each failure names the type and field; secrets are not echoed; did-you-mean comes from oneOf", async () => {
    const { failures } = await check({}, { name: "toolong", secret: 7, mail: "x", color: "Bleu", on: "yes" });
    expect(failures).toEqual([
      { property: "name", reason: 'Thing name: "toolong" has 7 characters; ConnectWise allows at most 5' },
      { property: "secret", reason: "Thing secret: the value given is not allowed; give a non-empty string" },
      { property: "mail", reason: 'Thing mail: mail "x" is not a valid email address (expected name@domain.tld)' },
      { property: "color", reason: 'Thing color: "Bleu" is no color (did you mean "Blue"?)' },
      { property: "on", reason: 'Thing on: "yes" is not allowed; use true or false' },
    ]);
  });

  test("values unknown during preview are kept as given and not judged", async () => {
    const news = { name: unknownValue, secret: unknownValue, mail: unknownValue, color: unknownValue };
    expect(await check({}, news)).toEqual({ inputs: { ...news, on: true } });
  });

  test("cross-field rules see the normalised inputs and report with the voice's prefix", async () => {
    expect((await check({}, { ...good, name: " bad " })).failures).toEqual([
      { property: "name.across", reason: "Thing name: is taken" },
    ]);
  });

  test("the field-first voice leads with the resource label", async () => {
    const byField = checker({ voice: fieldFirst((news) => resourceLabel("Thing", news.name)), fields: FIELDS });
    const { failures } = await byField({}, { ...good, name: "abc", secret: undefined, maybe: 1, note: 2 });
    expect(failures).toEqual([
      { property: "secret", reason: "Thing abc: secret is required: give a non-empty string (got nothing)" },
      { property: "note", reason: "Thing abc: note must be a string (got 2)" },
      { property: "maybe", reason: "Thing abc: maybe must be true or false (got 1)" },
    ]);
  });
});

describe("unknowns, labels, delete", () => {
  test("isUnknown and containsUnknown", () => {
    expect(isUnknown(unknownValue)).toBe(true);
    expect(isUnknown("x")).toBe(false);
    expect(containsUnknown({ a: [1, { b: unknownValue }] })).toBe(true);
    expect(containsUnknown(undefined)).toBe(false);
  });

  test("resourceLabel", () => {
    expect(resourceLabel("SecurityRole", "ElementsAPI")).toBe("SecurityRole ElementsAPI");
    expect(resourceLabel("ApiKey", " svc-a ", "for member ")).toBe("ApiKey for member svc-a");
    expect(resourceLabel("ApiMember", 7)).toBe("ApiMember");
    expect(resourceLabel("ApiMember", "  ")).toBe("ApiMember");
  });

  const failure = (status: number) =>
    new ConnectWiseError({ status, code: "x", cwMessage: "x", method: "DELETE", path: "/system/x/1" });

  test("goneIsDone: 404 is done, anything else surfaces", async () => {
    await expect(goneIsDone(Promise.reject(failure(404)))).resolves.toBeUndefined();
    await expect(goneIsDone(Promise.resolve({}))).resolves.toBeUndefined();
    await expect(goneIsDone(Promise.reject(failure(500)))).rejects.toMatchObject({ status: 500 });
    await expect(goneIsDone(Promise.reject(new Error("dropped")))).rejects.toThrow("dropped");
  });

  test("PartialFailure carries what the engine keeps in the state", () => {
    const error = new PartialFailure("checklist", "7", { name: "r" }, ["1. step"]);
    expect(error).toBeInstanceOf(Error);
    expect({ message: error.message, id: error.id, properties: error.properties, reasons: error.reasons }).toEqual({
      message: "checklist",
      id: "7",
      properties: { name: "r" },
      reasons: ["1. step"],
    });
  });
});

// Compile-time checks (ts-jest type-checks this file): the types a field table yields.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const is = <T extends true>(): T => true as T;

describe("types inferred from a field table", () => {
  test("InputsOf: required and defaulted fields present, optional ones optional", () => {
    is<
      Equal<
        InputsOf<typeof FIELDS>,
        {
          name: string;
          secret: string;
          mail: string;
          color: "Red" | "Blue";
          on: boolean;
          note?: string;
          maybe?: boolean;
          later?: number;
        }
      >
    >();
    is<Equal<SecurityRoleInputs["exclusive"], boolean>>();
  });

  test("ArgsOf: every field a pulumi.Input, defaulted ones optional", () => {
    is<Equal<ArgsOf<typeof FIELDS>["name"], pulumi.Input<string>>>();
    is<Equal<ArgsOf<typeof FIELDS>["on"], pulumi.Input<boolean> | undefined>>();
    is<Equal<ApiKeyArgs["source"], pulumi.Input<"token" | "console"> | undefined>>();
    const role: SecurityRoleArgs = { name: "r", permissions: { "Finance/Agreements": { add: "All" } } };
    // @ts-expect-error name is required
    const nameless: SecurityRoleArgs = { permissions: {} };
    expect([role, nameless]).toHaveLength(2);
  });
});
