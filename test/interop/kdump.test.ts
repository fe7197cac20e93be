// The kdump-compressed dumps we write, against the real makedumpfile (Debian's ppc64el build under
// qemu-user; trixie's 1.7.6 where the memory map is read): it reads ours (--dump-dmesg), and its own `-c` output of our ELF vmcore of the same run
// has the same headers, notes and bitmaps byte for byte, and decodes to the same pages.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunOptions, RunResult } from '../../scenarios/run.ts';
import { expectSameKdump } from '../support/kdump.ts';
import { run as runIn } from '../support/partition.ts';
import { makedumpfile, tools, withoutCaller } from '../support/tools.ts';
import { EXACT } from '../support/verify.ts';

const HOTPLUG: Partial<RunOptions> = { hotplug: { add: 2, remove: 1 }, cpus: 4 };

describe.runIf(tools.makedumpfile() && tools.makedumpfileTrixie())(
  'kdump-compressed dumps and the real makedumpfile',
  () => {
    let elf: RunResult & { dir: string };
    let kdump: RunResult & { dir: string };
    beforeAll(async () => {
      elf = await runIn(HOTPLUG);
      kdump = await runIn({ ...HOTPLUG, dump: { format: 'kdump', level: 1 } });
    });

    it('our kdump file verifies exactly, read back by our reader', () => {
      expect(kdump.summary.verify).toMatchObject(EXACT);
      expect(kdump.summary.dump).toMatchObject({ status: 'captured', format: 'kdump' });
    });

    it('makedumpfile --dump-dmesg of our kdump files (-d 1 and -d 31) equals vmcore-dmesg.txt', async () => {
      const filtered = await runIn({ ...HOTPLUG, dump: { format: 'kdump', level: 31 } });
      for (const dir of [kdump.dir, filtered.dir]) {
        const out = join(dir, 'mdf-dmesg.txt');
        for (const suite of ['bookworm', 'trixie'] as const) {
          rmSync(out, { force: true });
          const r = makedumpfile(suite, ['--dump-dmesg', join(dir, 'vmcore'), out]);
          expect(r.code, r.out).toBe(0);
          expect(withoutCaller(readFileSync(out, 'utf8'))).toBe(
            readFileSync(join(dir, 'vmcore-dmesg.txt'), 'utf8'),
          );
        }
      }
    });

    it('makedumpfile -c -d 1 of our ELF vmcore: the same headers and bitmaps, the same pages', () => {
      const theirs = join(elf.dir, 'mdf.kdump');
      const r = makedumpfile('trixie', ['-c', '-d', '1', join(elf.dir, 'vmcore'), theirs]);
      expect(r.code, r.out).toBe(0);
      expectSameKdump(join(kdump.dir, 'vmcore'), theirs);
    });
  },
);
