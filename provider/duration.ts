// Durations as users write them in resource inputs: "7d", "12h", "30m", or a sum such as "1d12h".

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000 };
const DURATION = /^(?:\d+[dhm])+$/;

/** Milliseconds in `text` ("7d", "12h", "30m", "1d12h"; case-insensitive), or undefined if it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const compact = text.trim().toLowerCase();
  if (!DURATION.test(compact)) return undefined;
  let total = 0;
  for (const [, amount, unit] of compact.matchAll(/(\d+)([dhm])/g)) total += Number(amount) * UNIT_MS[unit];
  return total;
}
