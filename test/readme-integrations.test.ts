// The README's integration list is generated (scripts/integrations-readme.ts), never written by
// hand: this fails while README.md's block differs from what the data gives.
import * as fs from "fs";
import * as path from "path";
import { BEGIN, END, integrationsBlock, withBlock } from "../scripts/integrations-readme";

const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

it("README.md's integrations block is the generated one (fix: npm run readme:integrations)", () => {
  const block = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END) + END.length);
  expect(block).toBe(integrationsBlock());
});

it("the block lists every shipped kind with its tiers and options, and what was left out", () => {
  const block = integrationsBlock();
  expect(block).toContain("tiers `authentication` < `full` (default `full`)");
  expect(block).toContain("options `allow-list` (default)");
  expect(block).toContain("- `cyberfox-autoelevate` (CyberFox AutoElevate): blank cells were collapsed");
  expect(withBlock(`a\n${BEGIN}\nold\n${END}\nb`, "NEW")).toBe("a\nNEW\nb");
});
