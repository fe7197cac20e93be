// The kdump-compressed writer and reader: a dump image written and read back page for page, in both
// byte orders; hostile files end in one DumpFileError naming what is wrong and where.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DumpFileError } from '../../../dump/dump-reader.ts';
import { formatOf, withDump } from '../../../dump/formats.ts';
import { subtractPfns } from '../../../dump/image-memory.ts';
import { openKdumpDump, runs } from '../../../dump/kdump-reader.ts';
import { DISK_DUMP_HEADER, KDUMP_SUB_HEADER, PAGE_DESC } from '../../../dump/kdump-structs.ts';
import { writeKdump } from '../../../dump/kdump-writer.ts';
import { PhysicalMemory } from '../../../emulator/physical-memory.ts';
import type { ByteOrder } from '../../../emulator/struct.ts';
import type { DumpImage } from '../../../kernel-model/dump-image.ts';
import { PT_REGS, prstatusNote } from '../../../kernel-model/elf.ts';

const P = 0x10000;

/** 64 page frames: a PT_LOAD of 0..16, one of 20.5..40 (a partly covered first page), data in a few. */
function image(order: ByteOrder): { image: DumpImage; mem: PhysicalMemory } {
  const mem = new PhysicalMemory(() => true);
  mem.poke(3 * P, new Uint8Array(P).fill(0xab)); // compresses
  const noise = new Uint8Array(P);
  for (let i = 0; i < P; i++) noise[i] = (i * 2654435761) >>> 24;
  mem.poke(7 * P, noise); // does not compress
  mem.poke(21 * P + 5, new Uint8Array([1, 2, 3]));
  mem.poke(20 * P, new Uint8Array([9])); // before the second PT_LOAD starts: not dumped
  const regs = PT_REGS.decode(new Uint8Array(PT_REGS.size), order);
  const notes = prstatusNote(regs, 0, order);
  return {
    mem,
    image: {
      order,
      notes,
      segments: [
        { paddr: 0, vaddr: 0xc000000000000000n, size: 16 * P, source: mem, sourceAddr: 0 },
        {
          paddr: 20 * P + 0x8000,
          vaddr: 0xc000000000000000n + BigInt(20 * P + 0x8000),
          size: 20 * P - 0x8000,
          source: mem,
          sourceAddr: 20 * P + 0x8000,
        },
      ],
    },
  };
}

describe('kdump-compressed files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fadump-kdump-'));
  });

  for (const order of ['le', 'be'] as const) {
    it(`round-trips a dump image page for page (${order})`, async () => {
      const { image: img, mem } = image(order);
      const path = join(dir, `rt-${order}`);
      const w = await writeKdump(path, img, { level: 1 });
      expect(w.dumpable).toBe(16 + 20);
      expect(w.zero).toBe(36 - 3);
      expect(formatOf(path)).toBe('kdump');
      withDump(path, 'kdump', (r) => {
        expect(r.contents.order).toBe(order);
        expect(r.contents.cpus).toHaveLength(1);
        expect(r.contents.loads.map((l) => [l.paddr / P, l.size / P])).toEqual([
          [0, 16],
          [20, 20],
        ]);
        for (const pfn of [3, 7, 0, 15]) expect(r.read(pfn * P, P).data).toEqual(mem.peek(pfn * P, P));
        // The part of page 20 before the PT_LOAD reads as zero, as makedumpfile dumps it.
        expect(r.read(20 * P, 1).data[0]).toBe(0);
        expect(r.read(21 * P + 5, 3).data).toEqual(new Uint8Array([1, 2, 3]));
        expect(r.read(16 * P, 4 * P).unread).toBe(4 * P);
        expect(r.mayHoldDataOutside([{ base: 0, size: 40 * P }])).toBe(false);
        expect(r.mayHoldDataOutside([{ base: 0, size: 16 * P }])).toBe(true);
      });
    });
  }

  it('leaves out the excluded page frames: no bit in the 2nd bitmap, no descriptor', async () => {
    const { image: img, mem } = image('le');
    const path = join(dir, 'excluded');
    const w = await writeKdump(path, img, { level: 31, excluded: [{ start: 2, end: 5 }] });
    expect(w.dumpable).toBe(36 - 3);
    withDump(path, 'kdump', (r) => {
      expect(r.read(2 * P, 3 * P).unread).toBe(3 * P);
      expect(r.read(7 * P, P).data).toEqual(mem.peek(7 * P, P));
    });
  });

  it('dump level bit 1 stores one zero page for all; without it each zero page is stored', async () => {
    const { image: img } = image('le');
    const offsets = (path: string) => {
      const b = readFileSync(path);
      const out = new Set<bigint>();
      for (let i = 0; i < 36; i++) out.add(b.readBigInt64LE(4 * P + i * PAGE_DESC.size));
      return out.size;
    };
    await writeKdump(join(dir, 'l0'), img, { level: 0 });
    await writeKdump(join(dir, 'l1'), img, { level: 1 });
    expect(offsets(join(dir, 'l1'))).toBe(3 + 1);
    expect(offsets(join(dir, 'l0'))).toBe(36);
  });

  describe('hostile files', () => {
    let good: Buffer;
    beforeAll(async () => {
      await writeKdump(join(dir, 'good'), image('le').image, { level: 1 });
      good = readFileSync(join(dir, 'good'));
    });
    const damaged = (name: string, change: (b: Buffer) => Buffer) => {
      const path = join(dir, name);
      writeFileSync(path, change(Buffer.from(good)));
      return path;
    };
    const error = (path: string) => {
      try {
        openKdumpDump(path).close();
      } catch (e) {
        expect(e).toBeInstanceOf(DumpFileError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    const at = (struct: { offsetOf(f: never): number }, f: string) => struct.offsetOf(f as never);
    const offDesc = 4 * P;

    it('a truncated header, notes or bitmap', () => {
      expect(error(damaged('short', (b) => b.subarray(0, 100)))).toMatch(
        /disk dump header lies beyond the end/,
      );
      expect(error(damaged('nobitmap', (b) => b.subarray(0, 2 * P + 10)))).toMatch(/1st bitmap lies beyond/);
    });
    it('a block size that makes no sense in either byte order', () => {
      expect(
        error(
          damaged('block', (b) => {
            b.writeInt32LE(12345, at(DISK_DUMP_HEADER, 'block_size'));
            return b;
          }),
        ),
      ).toMatch(/neither byte order/);
    });
    it('another header version', () => {
      expect(
        error(
          damaged('v5', (b) => {
            b.writeInt32LE(5, 8);
            return b;
          }),
        ),
      ).toMatch(/header version 5/);
    });
    it('max_mapnr larger than the bitmaps', () => {
      const path = damaged('mapnr', (b) => {
        b.writeBigUInt64LE(2n ** 40n, P + at(KDUMP_SUB_HEADER, 'max_mapnr_64'));
        return b;
      });
      expect(error(path)).toMatch(/cannot hold 1099511627776 page frames/);
    });
    it('a page descriptor that says more than a page, or bad zlib data', () => {
      const big = damaged('pdsize', (b) => {
        b.writeUInt32LE(P + 1, offDesc + 3 * PAGE_DESC.size + 8);
        return b;
      });
      expect(() => withDump(big, 'kdump', (r) => r.read(3 * P, 1))).toThrow(
        /page frame 3: 65537 bytes stored/,
      );
      const zlib = damaged('zlib', (b) => {
        const off = Number(b.readBigInt64LE(offDesc + 3 * PAGE_DESC.size));
        b.fill(0x55, off, off + 4);
        return b;
      });
      expect(() => withDump(zlib, 'kdump', (r) => r.read(3 * P, 1))).toThrow(/zlib data does not decompress/);
    });
    it('a page stored with a compression the reader does not read', () => {
      const lzo = damaged('lzo', (b) => {
        b.writeUInt32LE(2, offDesc + 3 * PAGE_DESC.size + 12);
        return b;
      });
      expect(() => withDump(lzo, 'kdump', (r) => r.read(3 * P, 1))).toThrow(/CompressedLzo.*zlib only/);
    });
  });

  it('runs finds the set bits bit by bit would, over words of 0, of 1 and mixed, at any offset', () => {
    const byte = fc.oneof(fc.constant(0), fc.constant(0xff), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 64 }), fc.nat(3), fc.nat(7), (bytes, skew, cut) => {
        const backing = new Uint8Array(bytes.length + skew);
        backing.set(bytes, skew);
        const bitmap = backing.subarray(skew);
        const bits = Math.max(0, bytes.length * 8 - cut);
        const naive: [number, number][] = [];
        for (let i = 0; i < bits; i++) {
          if (!(bitmap[i >> 3]! & (1 << (i & 7)))) continue;
          const last = naive[naive.length - 1];
          if (last && last[1] === i) last[1] = i + 1;
          else naive.push([i, i + 1]);
        }
        expect(runs(bitmap, bits)).toEqual(naive);
      }),
      { seed: 20261203, numRuns: 300 },
    );
  });

  it('runs and subtract: bitmap runs and range differences', () => {
    expect(runs(new Uint8Array([0b1110_0001, 0xff, 0x01]), 24)).toEqual([
      [0, 1],
      [5, 17],
    ]);
    expect(
      subtractPfns(
        [{ start: 0, end: 10 }],
        [
          { start: 2, end: 4 },
          { start: 8, end: 12 },
        ],
      ),
    ).toEqual([
      { start: 0, end: 2 },
      { start: 4, end: 8 },
    ]);
  });
});
