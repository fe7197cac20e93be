// summary.dump.pages of our kdump runs against the real makedumpfile 1.7.6 run on our ELF vmcore of
// the same partition (hot-added, hot-removed and offlined memory): at dump levels 1, 8, 16 and 31
// the same pages per type in its report, and at 31 `makedumpfile -c` writes the same bitmaps and
// keeps the same pages as our own kdump file. And `--dump-level N` with an ELF dump writes the file
// `makedumpfile -E -d N` writes, byte for byte, which readelf, gdb and vmcore-dmesg open.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withDump } from '../../dump/formats.ts';
import type { RunOptions, RunResult } from '../../scenarios/run.ts';
import type { Summary } from '../../scenarios/summary.ts';
import { expectSameKdump } from '../support/kdump.ts';
import { run as runIn } from '../support/partition.ts';
import { makedumpfile, tools } from '../support/tools.ts';
import { EXACT } from '../support/verify.ts';

/** makedumpfile's report line `    <label> : 0x…` as a number. */
function reported(out: string, label: string): number {
  const m = new RegExp(`${label}\\s*: 0x([0-9a-f]+)`).exec(out);
  if (!m) throw new Error(`no "${label}" in:\n${out}`);
  return Number.parseInt(m[1]!, 16);
}

const SHAPE: Partial<RunOptions> = { hotplug: { add: 2, remove: 1, offline: 1 }, cpus: 4 };

describe.runIf(tools.makedumpfileTrixie())('dump levels against makedumpfile 1.7.6', () => {
  let elf: RunResult & { dir: string };
  beforeAll(async () => {
    elf = await runIn(SHAPE);
  });

  for (const level of [1, 8, 16, 31]) {
    it(`-d ${level}: summary.dump.pages counts what makedumpfile's report counts`, async () => {
      const ours = await runIn({ ...SHAPE, dump: { format: 'kdump', level } });
      const summary: Summary = JSON.parse(readFileSync(join(ours.dir, 'summary.json'), 'utf8'));
      expect(summary.verify).toMatchObject(EXACT);
      const theirs = join(elf.dir, `d${level}.kdump`);
      const vmcore = join(elf.dir, 'vmcore');
      const r = makedumpfile('trixie', ['-c', '-d', String(level), '--message-level', '31', vmcore, theirs]);
      expect(r.code, r.out).toBe(0);
      expect(summary.dump.pages).toMatchObject({
        zero: reported(r.out, 'Pages filled with zero'),
        cache: reported(r.out, 'Non-private cache pages'),
        cachePrivate: reported(r.out, 'Private cache pages'),
        user: reported(r.out, 'User process data pages'),
        free: reported(r.out, 'Free pages'),
        hwpoison: reported(r.out, 'Hwpoison pages'),
        offline: reported(r.out, 'Offline pages'),
        remaining: reported(r.out, 'Remaining pages'),
        total: reported(r.out, 'Total pages'),
      });
      // Each kind the level leaves out is there to be left out in this partition.
      // (Offlined memory keeps plain struct pages: offline_pages() sets no PageOffline.)
      const p = summary.dump.pages!;
      if (level & 1) expect(p.zero).toBeGreaterThan(0);
      if (level & 8) expect(p.user).toBeGreaterThan(0);
      if (level & 16) expect(p.free).toBeGreaterThan(0);
      if (level !== 31) return;

      // The same file up to the page descriptors (headers, notes, both bitmaps), the same pages.
      expectSameKdump(join(ours.dir, 'vmcore'), theirs);
    });
  }
});

/** The same shape in 2 GiB: an ELF that keeps most pages is as large as memory (sparse). */
const SMALL: Partial<RunOptions> = { ...SHAPE, memory: 2 * 2 ** 30 };

describe.runIf(tools.makedumpfileTrixie())('filtered ELF against makedumpfile 1.7.6 -E', () => {
  let elf: RunResult & { dir: string };
  beforeAll(async () => {
    elf = await runIn(SMALL);
  });

  for (const level of [1, 8, 31]) {
    it(`-E -d ${level}: the same file, byte for byte, verified exact and open in the ELF tools`, async () => {
      const ours = await runIn({ ...SMALL, dump: { format: 'elf', level } });
      const summary: Summary = JSON.parse(readFileSync(join(ours.dir, 'summary.json'), 'utf8'));
      expect(summary.verify).toMatchObject(EXACT);
      const theirs = join(elf.dir, `e${level}.elf`);
      const r = makedumpfile('trixie', ['-E', '-d', String(level), join(elf.dir, 'vmcore'), theirs]);
      expect(r.code, r.out).toBe(0);
      const file = join(ours.dir, 'vmcore');
      expect(spawnSync('cmp', [file, theirs], { encoding: 'utf8' }).stdout).toBe('');

      // What it left out is what its PT_LOADs describe past their p_filesz; the level is not in the file.
      const readelf = spawnSync(tools.readelf()!, ['-l', '-n', '-W', file], { encoding: 'utf8' });
      expect(readelf.status).toBe(0);
      expect(readelf.stderr).toBe('');
      const loads = [
        ...readelf.stdout.matchAll(/^ +LOAD +(?:0x[0-9a-f]+ +){3}(0x[0-9a-f]+) (0x[0-9a-f]+)/gm),
      ];
      const leftOut = loads.reduce((n, m) => n + Number(m[2]) - Number(m[1]), 0) / 2 ** 16;
      const p = summary.dump.pages!;
      expect(p.zero + p.cache + p.cachePrivate + p.user + p.free + p.hwpoison + p.offline).toBe(leftOut);
      expect(summary.dump.level).toBe(leftOut ? null : 0);
      if (level === 31) expect(p.zero * p.user * p.free).toBeGreaterThan(0);

      const dmesg = spawnSync(tools.vmcoreDmesg()!, [file], { encoding: 'utf8' });
      expect(dmesg.stdout).toBe(readFileSync(join(ours.dir, 'vmcore-dmesg.txt'), 'utf8'));
      // gdb reads the kernel's first bytes as the file holds them.
      const first = withDump(file, 'elf', (d) => Buffer.from(d.read(0, 8).data).readBigUInt64LE());
      const gdb = spawnSync(tools.gdb()!, ['-batch', '-ex', 'x/gx 0xc000000000000000', '-c', file], {
        encoding: 'utf8',
      });
      expect(gdb.stdout).toContain(`0xc000000000000000:\t0x${first.toString(16).padStart(16, '0')}`);
    });
  }
});
