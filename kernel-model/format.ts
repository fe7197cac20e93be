// printf conversions the kernel's fadump messages use, so console lines match Linux byte for byte.

/** C's `%#016llx`: "0x" counted in the width of 16; zero prints without the prefix. */
export function hash016(v: number | bigint): string {
  if (BigInt(v) === 0n) return '0'.repeat(16);
  return `0x${v.toString(16).padStart(14, '0')}`;
}

/** C's `%#llx`. */
export function hashx(v: number | bigint): string {
  return BigInt(v) === 0n ? '0' : `0x${v.toString(16)}`;
}

/** C's `%llx`. */
export function llx(v: number | bigint): string {
  return v.toString(16);
}

export const MiB = 2 ** 20;

export function pageAlign(v: number, page: number): number {
  return Math.ceil(v / page) * page;
}

/** Parses a kernel size argument ("512M", "2G", "0x1000000"), memparse-style. */
export function memparse(text: string): number | undefined {
  const m = /^(0x[0-9a-f]+|\d+)([KMGT]?)$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const mult: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
  return n * mult[m[2]!.toUpperCase()]!;
}

/**
 * kstrtoint(text, 0): an int in C syntax — an optional sign, then "0x" hex, a leading 0 octal or
 * decimal — with at most one trailing newline; undefined where the kernel returns an error
 * (-EINVAL for anything else, leading spaces included; -ERANGE past an int).
 */
export function kstrtoint(text: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\n?$/.exec(text);
  if (!m) return undefined;
  const digits = m[2]!;
  const magnitude = /^0[xX]/.test(digits)
    ? Number.parseInt(digits.slice(2), 16)
    : digits.length > 1 && digits[0] === '0'
      ? Number.parseInt(digits.slice(1), 8)
      : Number(digits);
  const v = m[1] === '-' ? -magnitude : magnitude;
  return v >= -(2 ** 31) && v < 2 ** 31 ? v : undefined;
}

/** A JS number as a u64, wrapping like C (addresses from a damaged dump can reach past 2^64). */
export const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(Math.trunc(n)));
