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

/** A C integer literal's digits ("0x1f", "017", "42") as a number: base 16, 8 or 10 by its prefix. */
function cInteger(digits: string): number {
  if (/^0[xX]/.test(digits)) return Number.parseInt(digits.slice(2), 16);
  if (digits.length > 1 && digits[0] === '0') return Number.parseInt(digits.slice(1), 8);
  return Number(digits);
}

const C_INTEGER = '0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*';
const KSTRTOINT = new RegExp(`^([+-]?)(${C_INTEGER})\\n?$`);
const MEMPARSE = new RegExp(`^(${C_INTEGER})([KkMmGgTtPpEe]?)`);

/**
 * kstrtoint(text, 0): an int in C syntax — an optional sign, then "0x" hex, a leading 0 octal or
 * decimal — with at most one trailing newline; undefined where the kernel returns an error
 * (-EINVAL for anything else, leading spaces included; -ERANGE past an int).
 */
export function kstrtoint(text: string): number | undefined {
  const m = KSTRTOINT.exec(text);
  if (!m) return undefined;
  const v = m[1] === '-' ? -cInteger(m[2]!) : cInteger(m[2]!);
  return v >= -(2 ** 31) && v < 2 ** 31 ? v : undefined;
}

/**
 * memparse (lib/cmdline.c): a C integer with an optional K, M, G, T, P or E suffix, from `at`; the
 * value and where parsing stopped (at `at`, value 0, when there is no number).
 */
export function memparse(text: string, at = 0): { value: number; end: number } {
  const m = MEMPARSE.exec(text.slice(at));
  if (!m) return { value: 0, end: at };
  const shift = { k: 10, m: 20, g: 30, t: 40, p: 50, e: 60 }[m[2]!.toLowerCase()] ?? 0;
  return { value: cInteger(m[1]!) * 2 ** shift, end: at + m[0].length };
}

/** A JS number as a u64, wrapping like C (addresses from a damaged dump can reach past 2^64). */
export const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(Math.trunc(n)));
