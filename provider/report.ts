// The one way a handler tells a reviewer what it found: report(records). Each record is rendered
// as the line users of plain `pulumi preview` read (review/renderLine.ts; a resource's console
// steps as one line pointing to the checklist, which lists them once), all the records of
// one call as one message so their (click) order holds: under our provider server a diagnostic
// on the resource (its URN in `pulumi preview --json`), under the SDK's server a stderr line the
// engine shows under the stack. When a command asked for them (CW_IAC_RECORDS), the same records
// go, as data, to its records file (review/recordsFile.ts): checklist and fleet read that, never
// the lines. Callers never put key material in a record.

import { currentUrn, diagnostics, type PropertyDiff } from "../pulumi-runtime/diagnostics";
import { appendRecords } from "../review/recordsFile";
import { currentOperation } from "../connectwise/operationScope";
import { linesOf } from "../review/renderLine";
import type { ReviewRecord } from "../review/records";

export function report(...records: ReviewRecord[]): void {
  if (records.length === 0) return;
  const lines = linesOf(records);
  if (lines.length > 0) diagnostics.info(lines.join("\n"));
  const urn = currentUrn();
  appendRecords(urn ? records.map((record) => ({ ...record, urn })) : records, currentOperation().env);
}

export type { PropertyDiff };
export type DetailedDiff = Record<string, PropertyDiff>;
