// The checklist as the Markdown runbook OperatorChecklist writes (`runbooks/<stack>.md`): the
// same numbered steps as checkboxes, then the API keys a lost answer may have minted.
import { Checklist, nextStep } from "./renderChecklist";
import { stepCount, unansweredTokenText } from "./renderLine";
import type { UnansweredToken } from "./records";

/** The runbook's section on keys that may exist unseen (none: no section). */
function unansweredSection(tokens: UnansweredToken[]): string[] {
  if (tokens.length === 0) return [];
  return [
    "## API keys that may exist without the stack knowing them",
    "",
    "A token POST got no answer: the API may have minted these keys, and the published API can neither",
    "list nor revoke keys. Look for each in the Manage UI and revoke it if it is there.",
    "",
    ...tokens.map((token) => `- [ ] ${unansweredTokenText(token)}`),
    "",
  ];
}

/** The same checklist as a Markdown runbook with checkboxes; then the keys that may exist unseen. */
export function formatRunbook(checklist: Checklist, unanswered: UnansweredToken[] = []): string {
  const lines = [
    `# Operator checklist: stack ${checklist.stack}`,
    "",
    `Tenant: ${checklist.tenants.join(", ") || "unknown"}`,
    "",
  ];
  if (checklist.count === 0) {
    lines.push("Nothing pending: the last `pulumi up` verified every console setting.", "");
    lines.push(...unansweredSection(unanswered));
    return lines.join("\n");
  }
  lines.push(`${stepCount(checklist.count)} the published ConnectWise API cannot do, in click order.`, "");
  for (const group of checklist.groups) {
    lines.push(`## ${group.screen}`, "");
    for (const step of group.steps) lines.push(`- [ ] ${step.number}. ${step.text}`);
    lines.push("");
  }
  lines.push(...unansweredSection(unanswered));
  lines.push(nextStep(checklist.stack), "");
  return lines.join("\n");
}
