// Sizes and durations as people write them, for the command line and scenario files alike.

const SIZE_UNIT: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
const TIME_UNIT: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 };

/** "8G", "256M", "1024KiB", "0x10000000" or a plain byte count in bytes; undefined if it is none of those. */
export function sizeBytes(text: string): number | undefined {
  const m = /^(0x[0-9a-f]+|\d+)\s*([KMGT]i?B?)?$/i.exec(String(text).trim());
  return m ? Number(m[1]) * SIZE_UNIT[(m[2] ?? '').charAt(0).toUpperCase()]! : undefined;
}

/** "5ms", "0.2s", "150us" or "2000000ns" in nanoseconds; undefined if it is none of those. */
export function durationNs(text: string): bigint | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|ms|s)$/.exec(String(text).trim());
  return m ? BigInt(Math.round(Number(m[1]) * TIME_UNIT[m[2]!]!)) : undefined;
}
