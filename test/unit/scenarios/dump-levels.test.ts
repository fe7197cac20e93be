// Dump levels end to end: the kdump service's makedumpfile leaves pages out by their struct pages,
// verification accepts exactly what the level allows, in either byte order, and a file that left
// out more than its level allows is caught.
import { openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withDump } from '../../../dump/formats.ts';
import { KDUMP_SUB_HEADER } from '../../../dump/kdump-structs.ts';
import { ELF64_EHDR, ELF64_PHDR } from '../../../kernel-model/elf.ts';
import type { Summary } from '../../../scenarios/summary.ts';
import { type CrashTruth, verifyDump } from '../../../scenarios/verify.ts';
import { GiB, run } from '../../support/partition.ts';
import { EXACT } from '../../support/verify.ts';

const SHAPE = { memory: 4 * GiB, hotplug: { add: 2, remove: 1 }, cpus: 2, crashCpu: 1 } as const;
const read = (dir: string): Summary => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

describe('dump levels', () => {
  for (const endian of ['le', 'be'] as const) {
    it(`level 31 (${endian}): cache, user and free pages left out, every kept page exact`, async () => {
      const r = await run({ ...SHAPE, endian, dump: { format: 'kdump', level: 31 } });
      const s = read(r.dir);
      expect(s.verify).toMatchObject(EXACT);
      expect(s.dump).toMatchObject({ status: 'captured', format: 'kdump', level: 31 });
      const p = s.dump.pages!;
      for (const kind of ['zero', 'cache', 'cachePrivate', 'user', 'free'] as const)
        expect(p[kind], kind).toBeGreaterThan(0);
      // What the file left out is what crash-time memory allowed, kind for kind.
      expect(s.verify.excludablePages).toMatchObject({
        cache: p.cache,
        cachePrivate: p.cachePrivate,
        user: p.user,
        free: p.free,
      });
      expect(p.total).toBe(
        Math.ceil(Math.max(...s.dump.loads.map((l) => Number(l.start) + Number(l.size))) / 2 ** 16),
      );
      withDump(r.captures[0]!.path, 'kdump', (d) => expect(d.contents.order).toBe(endian));
      // The table per memory block adds up to the totals, and each block is whole.
      const sum = (k: 'kept' | 'zero' | 'cache' | 'user' | 'free') =>
        p.byBlock.reduce((n, b) => n + b.blocks * b[k], 0);
      expect(sum('zero')).toBe(p.zero);
      expect(sum('cache')).toBe(p.cache);
      expect(sum('user')).toBe(p.user);
      expect(sum('free')).toBe(p.free);
      expect(sum('kept')).toBe(p.remaining + p.zero);
      expect(p.blockSize).toBe(2 ** 28);
      for (const b of p.byBlock) expect(b.described).toBeLessThanOrEqual(2 ** 28 / 2 ** 16);
    });
  }

  it('each level leaves out only its kinds; a larger level a smaller file', async () => {
    const sizes: number[] = [];
    for (const level of [0, 1, 2, 8, 16, 31]) {
      const s = read((await run({ ...SHAPE, memory: 2 * GiB, dump: { format: 'kdump', level } })).dir);
      expect(s.verify, `level ${level}`).toMatchObject(EXACT);
      const p = s.dump.pages!;
      expect(p.zero > 0).toBe((level & 1) !== 0);
      expect(p.cache > 0).toBe((level & 6) !== 0);
      expect(p.user > 0).toBe((level & 8) !== 0);
      expect(p.free > 0).toBe((level & 16) !== 0);
      sizes.push(s.dump.bytes!);
    }
    expect(sizes[5]).toBeLessThan(sizes[4]!);
    expect(sizes[1]).toBeLessThan(sizes[0]!);
  });

  it('an ELF at level 31 (be), as makedumpfile -E writes it: zero pages left out too, long runs cut', async () => {
    const r = await run({ ...SHAPE, endian: 'be', dump: { format: 'elf', level: 31 } });
    const s = read(r.dir);
    expect(s.verify).toMatchObject(EXACT);
    expect(s.dump).toMatchObject({ status: 'captured', format: 'elf', level: null });
    const p = s.dump.pages!;
    for (const kind of ['zero', 'cache', 'user', 'free'] as const) expect(p[kind], kind).toBeGreaterThan(0);
    // An ELF keeps no zero page: the blocks' kept pages are the remaining ones.
    const sum = (k: 'kept' | 'zero') => p.byBlock.reduce((n, b) => n + b.blocks * b[k], 0);
    expect(sum('kept')).toBe(p.remaining);
    expect(sum('zero')).toBe(p.zero);
    withDump(r.captures[0]!.path, 'elf', (d) => {
      const c = d.contents;
      expect(c.order).toBe('be');
      const left = c.leftOut.reduce((n, x) => n + x.size, 0) / 2 ** 16;
      expect(left).toBe(p.zero + p.cache + p.cachePrivate + p.user + p.free + p.hwpoison + p.offline);
      // A PT_LOAD cut short ends in a run of at least 256 pages left out, then the next starts
      // where that run ends.
      for (const [i, l] of c.loads.entries()) {
        const next = c.loads[i + 1];
        if (l.size === l.fileSize || !next || next.paddr !== l.paddr + l.size) continue;
        expect(l.size - l.fileSize).toBeGreaterThanOrEqual(256 * 2 ** 16);
      }
    });
    // Smaller than the kdump file's page count suggests: only kept pages take space.
    expect(s.dump.bytes).toBeLessThan(p.remaining * 2 ** 16 + 2 ** 20);
  });

  it('an ELF that leaves out pages no dump level allows is caught', async () => {
    // 1 GiB: the file now holds data it does not describe, so verification reads all of it.
    const r = await run({ ...SHAPE, memory: GiB, dump: { format: 'elf', level: 0 } });
    const s = read(r.dir);
    const path = r.captures[0]!.path;
    // The first PT_LOAD (the kernel at 0) made to hold nothing: p_filesz 0, p_memsz as it was.
    const fd = openSync(path, 'r+');
    writeSync(
      fd,
      new Uint8Array(8),
      0,
      8,
      ELF64_EHDR.size + ELF64_PHDR.size + ELF64_PHDR.offsetOf('p_filesz'),
    );
    const v = withDump(path, 'elf', (d) => {
      expect(d.contents.dumpLevel).toBeNull();
      return verifyDump(d, truthOf(r, s)).verify;
    });
    const kernelPages = Number(BigInt(s.dump.loads[0]!.size)) / 2 ** 16;
    expect(v.wronglyLeftOutPages).toBeGreaterThan(0);
    expect(v.wronglyLeftOutPages).toBeLessThan(kernelPages);
  });

  it('a file that left out more than its level allows: every such page is counted', async () => {
    const r = await run({ ...SHAPE, dump: { format: 'kdump', level: 31 } });
    const s = read(r.dir);
    const path = r.captures[0]!.path;
    // Say level 1 in the sub header: the cache, user and free pages left out are now not allowed.
    const at = 2 ** 16 + KDUMP_SUB_HEADER.offsetOf('dump_level');
    const fd = openSync(path, 'r+');
    writeSync(fd, new Uint8Array([1, 0, 0, 0]), 0, 4, at);
    const v = withDump(path, 'kdump', (d) => verifyDump(d, truthOf(r, s)).verify);
    const p = s.dump.pages!;
    expect(v.wronglyLeftOutPages).toBe(p.cache + p.cachePrivate + p.user + p.free);
    expect(v.excludablePages).toMatchObject({ cache: 0, cachePrivate: 0, user: 0, free: 0 });
  });
});

/** What verification holds a dump of the run to: its crash-time memory and VMCOREINFO (no CPUs). */
function truthOf(r: Awaited<ReturnType<typeof run>>, s: Summary): CrashTruth {
  return {
    memory: r.snapshots[0]!,
    cpus: [],
    crashingCpu: 0,
    noteIds: 'logical',
    ranges: s.crash.ranges.map((x) => ({ base: Number(x.start), size: Number(x.size) })),
    notDumpedByDesign: [],
    beyondLimit: [],
    exclude: [],
    hints: [],
    vmcoreinfo: s.dump.vmcoreinfo,
    order: 'le',
    blockSize: 2 ** 28,
    notSavedForOthers: [],
  };
}
