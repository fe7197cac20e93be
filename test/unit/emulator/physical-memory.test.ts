import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKING_PAGE, FlatMemory, MachineCheck, PhysicalMemory } from '../../../emulator/physical-memory.ts';

const SIZE = 8 * BACKING_PAGE;

describe('PhysicalMemory', () => {
  it('records the guest accesses it is asked to, merged: reads, then writes, in address order', () => {
    const m = new PhysicalMemory((a, n) => a + n <= SIZE);
    m.read(0, 4);
    const outer = m.record();
    m.write(0x2000, new Uint8Array([1, 2]));
    const inner = m.record();
    m.read(0x100, 8);
    m.read(0x108, 8);
    m.peek(0x5000, 16); // the inspection path is not the guest's
    expect(inner()).toEqual([{ addr: 0x100, len: 16, write: false }]);
    m.write(0x2002, new Uint8Array(6));
    m.read(0x104, 2);
    // A machine check is no access.
    expect(() => m.read(SIZE, 8)).toThrow(MachineCheck);
    const all = outer();
    expect(all).toEqual([
      { addr: 0x100, len: 16, write: false },
      { addr: 0x2000, len: 8, write: true },
    ]);
    // Stopped: later accesses are not recorded, and asking again gives the same ranges.
    m.read(0x3000, 4);
    expect(outer()).toBe(all);
    expect(inner()).toEqual([{ addr: 0x100, len: 16, write: false }]);
  });

  it('reads unwritten memory as zero and allocates pages only on non-zero writes', () => {
    const m = new PhysicalMemory(() => true);
    expect(m.peek(12345, 10)).toEqual(new Uint8Array(10));
    m.poke(100, new Uint8Array(50));
    expect(m.presentPageCount()).toBe(0);
    m.poke(BACKING_PAGE - 2, Uint8Array.of(1, 2, 3, 4));
    expect(m.presentPages()).toEqual([0, 1]);
    expect([...m.peek(BACKING_PAGE - 2, 4)]).toEqual([1, 2, 3, 4]);
  });

  it('raises a machine check for guest access outside assigned memory or to a poisoned page', () => {
    const m = new PhysicalMemory((a, l) => a + l <= SIZE);
    expect(() => m.read(SIZE - 2, 4)).toThrow(MachineCheck);
    expect(() => m.write(SIZE, Uint8Array.of(1))).toThrow(/unassigned/);
    m.poison(BACKING_PAGE * 2 + 5);
    expect(() => m.read(BACKING_PAGE * 2, 1)).toThrow(/poisoned/);
    expect(m.peek(BACKING_PAGE * 2, 1)).toEqual(new Uint8Array(1));
    expect(m.accessible(0, 16)).toBe(true);
  });

  it('keeps snapshots unchanged by later writes, copies and zeroing', () => {
    const m = new PhysicalMemory(() => true);
    m.poke(10, Uint8Array.of(7, 7, 7));
    const snap = m.snapshot();
    m.poke(10, Uint8Array.of(9));
    m.zero(0, BACKING_PAGE);
    expect([...snap.peek(10, 3)]).toEqual([7, 7, 7]);
    expect([...m.peek(10, 3)]).toEqual([0, 0, 0]);
  });

  it('copy moves only present pages and zeroes the destination where the source is empty', () => {
    const m = new PhysicalMemory(() => true);
    m.poke(3 * BACKING_PAGE, Uint8Array.of(5));
    m.poke(6 * BACKING_PAGE + 1, Uint8Array.of(6));
    m.copy(0, 4 * BACKING_PAGE, 4 * BACKING_PAGE);
    expect(m.peek(4 * BACKING_PAGE, 1)[0]).toBe(0);
    expect(m.peek(7 * BACKING_PAGE, 1)[0]).toBe(5);
    expect(m.peek(6 * BACKING_PAGE + 1, 1)[0]).toBe(0);
  });

  it('behaves like a flat memory for any sequence of pokes, zeroes, copies and snapshots', () => {
    const op = fc.oneof(
      fc.record({
        k: fc.constant('poke' as const),
        at: fc.nat(SIZE - 300),
        data: fc.uint8Array({ minLength: 1, maxLength: 300 }),
      }),
      fc.record({ k: fc.constant('zero' as const), at: fc.nat(SIZE - 1), len: fc.nat(2 * BACKING_PAGE) }),
      fc.record({
        k: fc.constant('copy' as const),
        src: fc.nat(SIZE / 2 - 1),
        // Half the copies keep the offset in the page (whole pages shared), half go to any byte.
        dst: fc.option(fc.nat(SIZE / 2 - 1), { nil: undefined }),
        len: fc.nat(SIZE / 2),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const sparse = new PhysicalMemory(() => true);
        const flat = new FlatMemory(SIZE);
        const snaps: [ReturnType<PhysicalMemory['snapshot']>, Uint8Array][] = [];
        for (const o of ops) {
          if (o.k === 'poke') {
            sparse.poke(o.at, o.data);
            flat.poke(o.at, o.data);
          } else if (o.k === 'zero') {
            const len = Math.min(o.len, SIZE - o.at);
            sparse.zero(o.at, len);
            flat.zero(o.at, len);
          } else {
            const dst = o.dst ?? o.src;
            const len = Math.min(o.len, SIZE / 2 - o.src, SIZE / 2 - dst);
            sparse.copy(o.src, SIZE / 2 + dst, len);
            flat.copy(o.src, SIZE / 2 + dst, len);
            snaps.push([sparse.snapshot(), flat.peek(0, SIZE)]);
          }
        }
        const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
        return (
          same(sparse.peek(0, SIZE), flat.peek(0, SIZE)) &&
          snaps.every(([s, bytes]) => same(s.peek(0, SIZE), bytes))
        );
      }),
      { seed: 20261124, numRuns: 150 },
    );
  });
});
