// Arithmetic on physical address ranges ({ base, size }): what is left of one after cutting
// another out, and how many bytes of a set another set does not cover.

import type { Range } from './memory-blocks.ts';

/** `r` with `cut` taken out: nothing, one or two ranges. */
export function subtract(r: Range, cut: Range): Range[] {
  const end = r.base + r.size;
  const cEnd = cut.base + cut.size;
  if (cut.size === 0 || cEnd <= r.base || cut.base >= end) return [r];
  const out: Range[] = [];
  if (cut.base > r.base) out.push({ base: r.base, size: cut.base - r.base });
  if (cEnd < end) out.push({ base: cEnd, size: end - cEnd });
  return out;
}

/** The parts of `r` that no range of `cuts` covers, in address order. */
export function uncovered(r: Range, cuts: readonly Range[]): Range[] {
  let left = [r];
  for (const c of cuts) left = left.flatMap((x) => subtract(x, c));
  return left.sort((a, b) => a.base - b.base);
}

/** `ranges` less `cuts`, both sorted by base and disjoint, in one pass. */
export function without(ranges: readonly Range[], cuts: readonly Range[]): Range[] {
  const out: Range[] = [];
  let j = 0;
  for (const r of ranges) {
    let at = r.base;
    const end = r.base + r.size;
    while (j < cuts.length && cuts[j]!.base + cuts[j]!.size <= at) j++;
    for (let k = j; k < cuts.length && cuts[k]!.base < end; k++) {
      const c = cuts[k]!;
      if (c.base > at) out.push({ base: at, size: c.base - at });
      at = Math.max(at, c.base + c.size);
    }
    if (at < end) out.push({ base: at, size: end - at });
  }
  return out;
}

/** Bytes of `a` not covered by `b`. */
export function bytesNotIn(a: readonly Range[], b: readonly Range[]): number {
  return a.reduce((total, r) => total + uncovered(r, b).reduce((s, x) => s + x.size, 0), 0);
}

/** The sum of the ranges' sizes: the bytes they cover when they do not overlap. */
export function sizeOf(ranges: readonly Range[]): number {
  return ranges.reduce((n, r) => n + r.size, 0);
}
