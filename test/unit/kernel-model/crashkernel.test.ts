// crashkernel= as fadump reads it (kernel/crash_reserve.c parse_crashkernel; arch/powerpc/kernel/
// fadump.c fadump_calculate_reserve_size): simple sizes and offsets, ranges matched against RAM
// rounded up to 128 MiB, the last crashkernel= without a suffix, and the kernel's warnings for what
// it rejects, after which fadump uses its default (5% of RAM, at least 320 MiB on pSeries).
import { describe, expect, it } from 'vitest';
import { memparse } from '../../../kernel-model/format.ts';
import type { Release } from '../../../kernel-model/releases.ts';
import { GiB, MiB, pseries } from '../../support/partition.ts';

function boot(cmdline: string, memory = 8 * GiB, kernel: Release = '6.15') {
  const { f, lines } = pseries({ memory, seed: 3 }).boot(`fadump=on ${cmdline}`, { kernel });
  return { size: f.bootMemSize, lines };
}

/** The default boot memory on 8 GiB: 5% rounded down to 256 MiB is 256 MiB, below the 320 MiB minimum. */
const DEFAULT = 320 * MiB;

describe('memparse', () => {
  it('reads C integers with a binary suffix and says where it stopped', () => {
    expect(memparse('512M')).toEqual({ value: 512 * MiB, end: 4 });
    expect(memparse('0x1000k,')).toEqual({ value: 0x1000 * 1024, end: 7 });
    expect(memparse('1G-4G', 0)).toEqual({ value: GiB, end: 2 });
    expect(memparse('010')).toEqual({ value: 8, end: 3 });
    expect(memparse('x1G')).toEqual({ value: 0, end: 0 });
  });
});

describe('crashkernel= for fadump', () => {
  it('a range list: the range holding the memory gives the size (8 GiB in 4G-64G: 512 MiB)', () => {
    expect(boot('crashkernel=1G-4G:192M,4G-64G:512M').size).toBe(512 * MiB);
    expect(boot('crashkernel=1G-4G:192M,4G-64G:512M', 4 * GiB).size).toBe(512 * MiB);
    expect(boot('crashkernel=1G-4G:384M,4G-64G:512M', 3 * GiB).size).toBe(384 * MiB);
    // An open end, and an offset, which fadump ignores.
    expect(boot('crashkernel=2G-:1G@64M').size).toBe(GiB);
  });

  it('a simple size, with or without an offset; the last crashkernel= without a suffix counts', () => {
    expect(boot('crashkernel=1G').size).toBe(GiB);
    expect(boot('crashkernel=1G@256M').size).toBe(GiB);
    expect(boot('crashkernel=1G crashkernel=768M').size).toBe(768 * MiB);
    expect(boot('crashkernel=768M crashkernel=2G,high').size).toBe(768 * MiB);
  });

  it(',high and ,low are not for fadump: with only those, the default', () => {
    expect(boot('crashkernel=2G,high crashkernel=256M,low').size).toBe(DEFAULT);
  });

  it('no range holding the memory: "crashkernel size resulted in zero bytes", the default', () => {
    const r = boot('crashkernel=1G-4G:512M');
    expect(r.size).toBe(DEFAULT);
    expect(r.lines).toContain('crashkernel size resulted in zero bytes');
  });

  it('what the kernel rejects gets its warning, and the default', () => {
    for (const [arg, warning] of [
      ['crashkernel=1G-4G-:512M', "crashkernel: ':' expected"],
      // No colon: the simple form, which stops at the '-'.
      ['crashkernel=1G-4G', 'crashkernel: unrecognized char: -'],
      ['crashkernel=1G:512M', "crashkernel: '-' expected"],
      ['crashkernel=4G-1G:512M', 'crashkernel: end <= start'],
      ['crashkernel=1G-x:512M', 'crashkernel: Memory value expected'],
      ['crashkernel=4G-:16G', 'crashkernel: invalid size'],
      ['crashkernel=4G-:1G@x', "crahskernel: Memory value expected after '@'"],
      ['crashkernel=x', 'crashkernel: memory value expected'],
      ['crashkernel=512M,foo', 'crashkernel: unrecognized char: ,'],
      // The ,cma suffix came after 6.15 (Linux 6.16): to these releases it is an unrecognized char.
      ['crashkernel=512M,cma', 'crashkernel: unrecognized char: ,'],
    ] as const) {
      const r = boot(arg);
      expect(r.size, arg).toBe(DEFAULT);
      expect(r.lines, arg).toContain(warning);
    }
  });

  it('more than a quarter of RAM is capped with a message; all of RAM or more is refused from 6.12', () => {
    const big = boot('crashkernel=3G');
    expect(big.size).toBe(2 * GiB);
    expect(big.lines).toContain('fadump: Adjusted boot memory size to 2048MB');
    const all = boot('crashkernel=8G', 8 * GiB, '6.10');
    expect(all.size).toBe(2 * GiB);
    expect(all.lines).toContain('fadump: Adjusted boot memory size to 2048MB');
    expect(boot('crashkernel=8G', 8 * GiB, '6.12').size).toBe(DEFAULT);
  });
});
