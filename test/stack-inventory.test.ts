// The offline inventory's reading of a stack file (cli/shared/stackInventory.ts): the integrations
// block as a YAML list (new-client writes it so) and as the JSON text `pulumi config set` writes.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackFile } from "../cli/shared/stackInventory";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-inventory-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const member = { identifier: "APIMember", name: "API member" };

test.each([
  ["a YAML list", `    - kind: elements\n      member:\n        identifier: APIMember\n`],
  ["JSON text", `    '${JSON.stringify([{ kind: "elements", member }])}'\n`],
])("the integrations block as %s", (_form, block) => {
  const value = block.startsWith("    -") ? `\n${block}` : ` ${block.trim()}\n`;
  fs.writeFileSync(
    path.join(dir, "Pulumi.acme.yaml"),
    `config:\n  connectwise:site: https://na.myconnectwise.net\n  connectwise:companyId: acme\n  connectwise-iac:integrations:${value}`,
  );
  const read = readStackFile(dir, "connectwise-iac", "acme");
  expect(read.site).toBe("https://na.myconnectwise.net");
  expect(read.integrations.map((i) => [i.kind, i.identifier])).toEqual([["elements", "APIMember"]]);
});
