// Our page filter, run over our ELF vmcore read back from the file, against the real makedumpfile
// 1.7.6's report for the same file: the same excluded pages per type at each dump level.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withDump } from '../../dump/formats.ts';
import { filterPages } from '../../dump/page-filter.ts';
import type { RunResult } from '../../scenarios/run.ts';
import { run as runIn } from '../support/partition.ts';
import { makedumpfile, tools } from '../support/tools.ts';

const P = 0x10000;

/** makedumpfile's report line `    <label> : 0x…` as a number. */
function reported(out: string, label: string): number {
  const m = new RegExp(`${label.replace(/[()]/g, '\\\\$&')}\\s*: 0x([0-9a-f]+)`).exec(out);
  if (!m) throw new Error(`no "${label}" in:\n${out}`);
  return Number.parseInt(m[1]!, 16);
}

describe.runIf(tools.makedumpfileTrixie())('the page filter against makedumpfile 1.7.6', () => {
  let elf: RunResult & { dir: string };
  beforeAll(async () => {
    elf = await runIn({ hotplug: { add: 2, remove: 1, offline: 1 }, cpus: 4 });
  });

  for (const level of [8, 16, 31]) {
    it(`-d ${level}: the same cache, private cache, user and free page counts`, () => {
      const vmcore = join(elf.dir, 'vmcore');
      const ours = withDump(vmcore, 'elf', (r) =>
        filterPages(
          {
            read: (a, n) => r.read(a, n).data,
            pfnRanges: r.contents.loads.map((l) => ({
              start: Math.floor(l.paddr / P),
              end: Math.ceil((l.paddr + l.size) / P),
            })),
            vmcoreinfo: r.contents.vmcoreinfo,
            order: r.contents.order,
          },
          level,
        ),
      );
      const out = makedumpfile('trixie', [
        '-d',
        String(level),
        '--message-level',
        '31',
        '-c',
        vmcore,
        join(elf.dir, `d${level}`),
      ]);
      expect(out.code, out.out).toBe(0);
      expect(ours.counts.cache).toBe(reported(out.out, 'Non-private cache pages'));
      expect(ours.counts.cachePrivate).toBe(reported(out.out, 'Private cache pages'));
      expect(ours.counts.user).toBe(reported(out.out, 'User process data pages'));
      expect(ours.counts.free).toBe(reported(out.out, 'Free pages'));
      expect(ours.counts.offline).toBe(reported(out.out, 'Offline pages'));
      if (level & 16) expect(ours.counts.free).toBeGreaterThan(0);
      if (level & 8) expect(ours.counts.user).toBeGreaterThan(0);
    });
  }
});
