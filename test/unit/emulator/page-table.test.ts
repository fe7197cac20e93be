// The page table behind sparse memory: a Map's answers (get, has, size, keys in order) under any
// sequence of sets and deletes, leaf counts that say whether 16 MiB hold anything, and copies that
// stay as they were when either side changes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEAF_PAGES, PageTable } from '../../../emulator/page-table.ts';

const op = fc.oneof(
  fc.record({ set: fc.integer({ min: 0, max: 4 * LEAF_PAGES }) }),
  fc.record({ del: fc.integer({ min: 0, max: 4 * LEAF_PAGES }) }),
  fc.constant({ copy: true }),
);

describe('PageTable', () => {
  it('answers as a Map does, and every copy keeps what it held', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const t = new PageTable();
        const m = new Map<number, Uint8Array>();
        const copies: [PageTable, Map<number, Uint8Array>][] = [];
        for (const [i, o] of ops.entries()) {
          if ('set' in o) {
            const b = new Uint8Array([i]);
            t.set(o.set, b);
            m.set(o.set, b);
          } else if ('del' in o) expect(t.delete(o.del)).toBe(m.delete(o.del));
          else copies.push([t.copy(), new Map(m)]);
        }
        for (const [table, map] of [[t, m] as const, ...copies]) {
          expect(table.size).toBe(map.size);
          expect(table.keys()).toEqual([...map.keys()].sort((a, b) => a - b));
          for (const [k, v] of map) expect(table.get(k)).toBe(v);
          for (let l = 0; l < 5; l++)
            expect(table.countIn(l)).toBe(
              [...map.keys()].filter((k) => Math.floor(k / LEAF_PAGES) === l).length,
            );
        }
      }),
      { numRuns: 300 },
    );
  });
});
