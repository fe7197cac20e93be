// Page-frame sets from kdump bitmaps: held as runs, or as the bitmap when runs would take more
// memory; both answer membership, rank and runs as the bitmap does, bit for bit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitmapSet, difference, popcount, RunSet, readPfnSet, runs } from '../../../dump/pfn-set.ts';

/** The reference: bit by bit. */
function naive(bitmap: Uint8Array, bits: number) {
  const has = (p: number) => p < bits && (bitmap[p >> 3]! & (1 << (p & 7))) !== 0;
  return {
    has,
    rank: (p: number) => Array.from({ length: Math.min(p, bits) }, (_, i) => i).filter(has).length,
  };
}

const reader = (bitmap: Uint8Array) => (into: Uint8Array, at: number) =>
  into.set(bitmap.subarray(at, at + into.length));

describe('page-frame sets', () => {
  it('runs, rank and membership agree with the bitmap, as runs or as a bitmap', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 96 }), fc.nat(), (bytes, cut) => {
        const bitmap = Uint8Array.from(bytes);
        const bits = bitmap.length * 8 - (cut % 8);
        const want = naive(bitmap, bits);
        for (const set of [
          readPfnSet(reader(bitmap), bitmap.length, bits),
          new BitmapSet(bitmap, bits),
          new RunSet(runs(bitmap, bits)),
        ]) {
          expect(set.count).toBe(want.rank(bits));
          for (let p = 0; p <= bits; p++) {
            expect(set.has(p)).toBe(want.has(p));
            expect(set.rank(p)).toBe(want.rank(p));
          }
          // Runs: sorted, disjoint, not touching, and exactly the set bits.
          const r = set.runs();
          for (let i = 1; i < r.length; i++) expect(r[i]![0]).toBeGreaterThan(r[i - 1]![1]);
          expect(r.reduce((n, [s, e]) => n + e - s, 0)).toBe(set.count);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a long bitmap of few runs is held as runs; one of bits alternating, as itself', () => {
    const bits = 2 ** 23;
    const few = new Uint8Array(bits / 8);
    few.fill(0xff, 1000, 200_000);
    few.fill(0xff, 300_000, 300_001);
    const a = readPfnSet(reader(few), few.length, bits);
    expect(a).toBeInstanceOf(RunSet);
    expect(a.runs()).toEqual([
      [8000, 1_600_000],
      [2_400_000, 2_400_008],
    ]);
    expect(a.rank(2_400_004)).toBe(1_592_000 + 4);
    const alternating = new Uint8Array(bits / 8).fill(0x55);
    const b = readPfnSet(reader(alternating), alternating.length, bits);
    expect(b).toBeInstanceOf(BitmapSet);
    expect(b.count).toBe(bits / 2);
    expect(b.rank(1001)).toBe(501);
    expect(popcount(alternating)).toBe(bits / 2);
  });

  it('difference: the runs of one less the other', () => {
    expect(
      difference(
        [
          [0, 10],
          [20, 30],
        ],
        [
          [2, 4],
          [8, 22],
          [25, 26],
        ],
      ),
    ).toEqual([
      [0, 2],
      [4, 8],
      [22, 25],
      [26, 30],
    ]);
    expect(difference([[0, 5]], [])).toEqual([[0, 5]]);
    expect(difference([], [[0, 5]])).toEqual([]);
  });
});
