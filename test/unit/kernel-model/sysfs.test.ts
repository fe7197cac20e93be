// /sys/kernel/fadump as fadump_init_files creates it and its stores parse (arch/powerpc/kernel/
// fadump.c): the files that exist in which kernel, kstrtoint(buf, 0) parsing, the links kept for
// old tools, and fadump_invalidate_release_mem freeing memory whatever the invalidation returned.
import { describe, expect, it } from 'vitest';
import { encodeDtb } from '../../../emulator/dtb.ts';
import { FDT_ADDR } from '../../../firmware/rtas/pseries-firmware.ts';
import { kstrtoint } from '../../../kernel-model/format.ts';
import { GiB, pseries } from '../../support/partition.ts';

const FADUMP = '/sys/kernel/fadump';

describe('kstrtoint (base 0)', () => {
  it('takes C integers with an optional sign and one trailing newline; nothing else', () => {
    for (const [text, v] of [
      ['1', 1],
      ['1\n', 1],
      ['0x1', 1],
      ['0X1f', 31],
      ['010', 8],
      ['0', 0],
      ['+5', 5],
      ['-0x10', -16],
      ['2147483647', 2 ** 31 - 1],
    ] as const)
      expect(kstrtoint(text), JSON.stringify(text)).toBe(v);
    for (const text of [' 1', '1 ', '1\n\n', '08', '0x', 'on', '', '2147483648', '1.0'])
      expect(kstrtoint(text), JSON.stringify(text)).toBeUndefined();
  });
});

describe('/sys/kernel/fadump', () => {
  it('registered takes what kstrtoint takes: 0x0 unregisters, 01 registers, " 1" is EINVAL', () => {
    const { k } = pseries({ memory: 2 * GiB, seed: 3 }).boot('fadump=on');
    expect(k.sysfsWrite(`${FADUMP}/registered`, '0x0\n')).toBe(0);
    expect(k.sysfsRead(`${FADUMP}/registered`)).toBe('0\n');
    expect(k.sysfsWrite(`${FADUMP}/registered`, '01')).toBe(0);
    expect(k.sysfsRead(`${FADUMP}/registered`)).toBe('1\n');
    expect(k.sysfsWrite(`${FADUMP}/registered`, ' 1')).toBe(-22);
    expect(k.sysfsWrite(`${FADUMP}/enabled`, '1')).toBe(-13);
  });

  it('release_mem and fadump_release_mem exist only in a kernel booted with a dump waiting; a second release is EPERM', () => {
    const p = pseries({ memory: 2 * GiB, seed: 3 });
    const first = p.boot('fadump=on');
    expect(first.k.sysfsWrite(`${FADUMP}/release_mem`, '1')).toBe(-2);
    expect(first.k.sysfsWrite('/sys/kernel/fadump_release_mem', '1')).toBe(-2);
    expect(first.k.sysfsRead('/sys/kernel/fadump_enabled')).toBe('1\n');
    expect(first.k.sysfsRead('/sys/kernel/fadump_registered')).toBe('1\n');
    first.k.panic(0, 'test');
    const { k, f } = p.boot('fadump=on');
    expect(k.sysfsWrite('/sys/kernel/fadump_release_mem', '0x2')).toBe(-22);
    expect(k.sysfsWrite('/sys/kernel/fadump_release_mem', '1\n')).toBe(0);
    expect(f.dumpActive).toBe(false);
    expect(k.sysfsWrite(`${FADUMP}/release_mem`, '1')).toBe(-1);
  });

  it('does not exist when firmware offers no fadump', () => {
    const { m, fw, kernel } = pseries({ memory: 2 * GiB, seed: 3 });
    const tree = fw.buildTree('fadump=on');
    tree.find('/rtas')!.props.delete('ibm,configure-kernel-dump');
    m.memory.poke(FDT_ADDR, encodeDtb(tree));
    const k = kernel();
    k.boot(FDT_ADDR);
    expect(
      k.console.some((l) => l.includes('Firmware-Assisted Dump is not supported on this hardware')),
    ).toBe(true);
    for (const f of ['enabled', 'registered', 'mem_reserved', 'hotplug_ready'])
      expect(k.sysfsRead(`${FADUMP}/${f}`), f).toBeUndefined();
    expect(k.sysfsWrite(`${FADUMP}/registered`, '1')).toBe(-2);
  });

  it('release_mem frees the memory even when firmware refuses the invalidation, and the dump stays active', () => {
    const p = pseries({ memory: 2 * GiB, seed: 3 });
    p.boot('fadump=on').k.panic(0, 'test');
    const { k, f } = p.boot('fadump=on');
    f.backend!.invalidate = () => false;
    const before = k.console.length;
    expect(k.sysfsWrite(`${FADUMP}/release_mem`, '1')).toBe(0);
    expect(k.console.slice(before).some((l) => l.includes('fadump: freeing reserved memory'))).toBe(true);
    expect(f.dumpActive).toBe(true);
  });
});

describe('the fadump kernel keeping memory above boot_mem_top (fadump_reserve_crash_area)', () => {
  it('a memory range ending at boot_mem_top gets "Reserving 0MB" there', () => {
    // 16 MiB LMBs, holes at 256 and 336 MiB: boot memory is [0, 256M) and [272M, 336M).
    const p = pseries({ memory: 2 * GiB, lmbSize: 16 * 2 ** 20, holes: [16, 21], seed: 2 });
    p.boot('fadump=on').k.panic(0, 'test');
    const { f, lines } = p.boot('fadump=on');
    expect(f.bootMemTop).toBe(336 * 2 ** 20);
    expect(lines).toContain('fadump: Reserving 0MB of memory at 0x00000015000000 for preserving crash data');
  });

  it('frees the memory it kept in whole pages, both ends rounded down (PHYS_PFN)', () => {
    const p = pseries({ memory: 2 * GiB, seed: 3 });
    p.boot('fadump=on').k.panic(0, 'test');
    const { k, f } = p.boot('fadump=on');
    const end = f.reserveStart + f.reserveSize;
    expect(end % 0x10000).not.toBe(0);
    const before = k.console.length;
    k.sysfsWrite(`${FADUMP}/release_mem`, '1');
    const freeing = k.console.slice(before).filter((l) => l.includes('freeing reserved memory'));
    expect(freeing.map((l) => l.replace(/^\[[^\]]*\] /, ''))).toEqual([
      `fadump: freeing reserved memory (0x${(end - (end % 0x10000)).toString(16)} - 0x80000000)`,
    ]);
  });
});
