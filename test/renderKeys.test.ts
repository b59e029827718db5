// Which keys the checklist tells the operator to enter in a vendor's setup screen: a token minted
// (first up) or rotated (a new expiration) since the last up, never a console key or an unchanged one.
import type { PendingItem } from "../review/records";
import { mintedKeys, mintedKeysText } from "../review/renderKeys";

const item = (member: string, expiration: string, source = "token"): PendingItem => ({
  resource: `ApiKey for member ${member}`,
  tenant: "",
  steps: [],
  key: { member, description: member === "ElementsAPI" ? "Elements" : "Rewst", source, expiration },
});

test("first up: every token key; a console key never", () => {
  const now = [item("ElementsAPI", "2027-01-05T17:30:40.059Z"), item("Rewst", "", "console")];
  expect(mintedKeysText(mintedKeys(undefined, now), "acme")).toBe(
    [
      "Keys for the vendors' tools:",
      "  - Enter the new API key of member ElementsAPI (expires 2027-01-05) in the Elements setup screen so the integration can connect: npm run keys -- --stack acme --show-secrets",
    ].join("\n"),
  );
});

test("a rotation names the old key's expiry; an unchanged key and an item from before the field are left out", () => {
  const before = [item("ElementsAPI", "2026-12-10T09:00:00.000Z"), item("RewstAPI", "2026-12-20T09:00:00.000Z")];
  const legacy: PendingItem = { resource: "ApiKey for member Other", tenant: "", steps: [] };
  const now = [
    item("ElementsAPI", "2027-01-05T17:30:40.059Z"),
    item("RewstAPI", "2026-12-20T09:00:00.000Z"),
    item("Other", "2027-01-05T17:30:40.059Z"),
  ];
  const minted = mintedKeys([...before, legacy], now);
  expect(minted.map((m) => m.key.member)).toEqual(["ElementsAPI"]);
  expect(mintedKeysText(minted, "acme")).toContain(
    "in the Elements setup screen before the key it replaces stops working at 2026-12-10 09:00 UTC: npm run keys -- --stack acme --show-secrets",
  );
  expect(mintedKeysText(mintedKeys(now, now), "acme")).toBe("");
});
