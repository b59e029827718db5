// The bench's command line (scripts/bench/args.ts): the bench itself asserts nothing.
import { median, parseBenchArgs, roundOrder } from "../scripts/bench/args";

describe("bench arguments", () => {
  it("defaults to every part", () => {
    const o = parseBenchArgs([]);
    expect(o.only).toEqual(["handlers", "cli", "profile", "fleet"]);
    expect(o.sizes).toEqual([1, 10, 40]);
    expect(o.fleetStacks).toEqual([20, 200]);
    expect(o.fleetConverge).toBe(true);
  });

  it("reads a subset and round counts", () => {
    const o = parseBenchArgs(["--only", "cli,fleet", "--rounds", "5", "--sizes", "2,4", "--fleet-stacks", "3,30"]);
    expect(o).toMatchObject({ only: ["cli", "fleet"], rounds: 5, sizes: [2, 4], fleetStacks: [3, 30] });
    expect(parseBenchArgs(["--no-fleet-converge"]).fleetConverge).toBe(false);
  });

  it("refuses unknown parts, options and bad numbers", () => {
    expect(() => parseBenchArgs(["--only", "cli,gpu"])).toThrow(/unknown part gpu/);
    expect(() => parseBenchArgs(["--fast"])).toThrow(/unknown option --fast/);
    expect(() => parseBenchArgs(["--rounds", "0"])).toThrow(/at least 1/);
    expect(() => parseBenchArgs(["--rounds"])).toThrow(/whole number/);
  });

  it("takes medians and rotates the order round by round", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(roundOrder(["a", "b"], 0)).toEqual(["a", "b"]);
    expect(roundOrder(["a", "b"], 1)).toEqual(["b", "a"]);
    expect(roundOrder(["a", "b", "c"], 2)).toEqual(["c", "a", "b"]);
  });
});
