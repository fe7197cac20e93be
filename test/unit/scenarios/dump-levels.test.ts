// Dump levels end to end: the kdump service's makedumpfile leaves pages out by their struct pages,
// verification accepts exactly what the level allows, in either byte order, and a file that left
// out more than its level allows is caught.
import { openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withDump } from '../../../dump/formats.ts';
import { KDUMP_SUB_HEADER } from '../../../dump/kdump-structs.ts';
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

  it('a file that left out more than its level allows: every such page is counted', async () => {
    const r = await run({ ...SHAPE, dump: { format: 'kdump', level: 31 } });
    const s = read(r.dir);
    const path = r.captures[0]!.path;
    // Say level 1 in the sub header: the cache, user and free pages left out are now not allowed.
    const at = 2 ** 16 + KDUMP_SUB_HEADER.offsetOf('dump_level');
    const fd = openSync(path, 'r+');
    writeSync(fd, new Uint8Array([1, 0, 0, 0]), 0, 4, at);
    const truth: CrashTruth = {
      memory: r.snapshots[0]!,
      cpus: [],
      crashingCpu: 0,
      noteIds: 'logical',
      ranges: s.crash.ranges.map((x) => ({ base: Number(x.start), size: Number(x.size) })),
      notDumpedByDesign: [],
      exclude: [],
      hints: [],
      vmcoreinfo: s.dump.vmcoreinfo,
      order: 'le',
      blockSize: 2 ** 28,
      notSavedForOthers: [],
    };
    const v = withDump(path, 'kdump', (d) => verifyDump(d, truth).verify);
    const p = s.dump.pages!;
    expect(v.wronglyLeftOutPages).toBe(p.cache + p.cachePrivate + p.user + p.free);
    expect(v.excludablePages).toMatchObject({ cache: 0, cachePrivate: 0, user: 0, free: 0 });
  });
});
