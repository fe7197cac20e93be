// The two kernel generations (Linux fadump-internal.h; Linux fadump.c (fadump_populate_elfcorehdr); Linux rtas-fadump.c; the Linux 6.10 commit "powerpc: make fadump resilient with memory add/remove events"): legacy (before 6.10)
// builds the elfcorehdr in the first kernel; resilient (6.10+) in the fadump kernel. Mixed pairs and
// byte-order mismatches refuse with the kernel's messages, invalidate, and register again.
import { describe, expect, it } from 'vitest';
import { QEMU } from '../../../firmware/rtas/personality.ts';
import {
  CRASH_INFO_HEADER_OLD,
  FADUMP_CRASH_INFO_MAGIC_OLD,
} from '../../../kernel-model/crash-info-header.ts';
import { ELF64_EHDR, ELF64_PHDR, PT_LOAD, PT_NOTE } from '../../../kernel-model/elf.ts';
import type { RunHooks, RunOptions } from '../../../scenarios/run.ts';
import { GiB, MiB, pseries, run as runIn, lines as strip } from '../../support/partition.ts';
import { EXACT } from '../../support/verify.ts';

const run = (o: Partial<RunOptions>, hooks: RunHooks = {}) => runIn({ memory: 1024 * MiB, ...o }, hooks);

describe('first kernel and fadump kernel of either generation', () => {
  const pairs = [
    ['resilient', 'resilient', null],
    ['legacy', 'legacy', null],
    ['legacy', 'resilient', "fadump: Old magic number, can't process the dump."],
    ['resilient', 'legacy', 'rtas fadump: Crash info header is not valid.'],
  ] as const;
  for (const [platform, [first, capture, message]] of (['pseries', 'powernv'] as const).flatMap((p) =>
    pairs.map((pair) => [p, pair] as const),
  )) {
    it(`${platform}: ${first} → ${capture}: ${message ?? 'captured and verified'}`, async () => {
      const memory = platform === 'powernv' ? 4 * GiB : 1024 * MiB;
      const prefix = platform === 'powernv' ? 'opal fadump: ' : 'rtas fadump: ';
      const { summary } = await run({ platform, memory, kernel: first, captureKernel: capture });
      const lines = strip(summary.cycles[0]!.console.capture);
      if (message === null) {
        expect(summary.dump.status).toBe('captured');
        expect(summary.verify.mismatchedBytes).toBe(0);
      } else {
        expect(summary.dump.status).toBe('refused');
        expect(lines).toContain(message.replace('rtas fadump: ', prefix));
        expect(summary.dump.vmcore).toBeNull();
      }
      // Either way the fadump kernel ends registered for the next crash.
      expect(lines.at(-1)).toBe(`${prefix}Registration is successful!`);
    });
  }

  for (const [crashed, capture] of [
    ['le', 'be'],
    ['be', 'le'],
  ] as const) {
    it(`a ${crashed} crashed kernel and a ${capture} fadump kernel: endianness mismatch`, async () => {
      const { summary } = await run({ endian: crashed, captureEndian: capture });
      expect(summary.dump.status).toBe('refused');
      expect(strip(summary.cycles[0]!.console.capture)).toContain(
        'fadump: Endianness mismatch between the crashed and fadump kernels.',
      );
    });
  }
});

describe('legacy first kernel', () => {
  function boot(memory = 8 * GiB) {
    const p = pseries({ memory, seed: 2 });
    return { m: p.m, ...p.boot('fadump=on', { kernel: 'legacy' }) };
  }

  it('writes the old header and builds the elfcorehdr right after it, at registration', () => {
    const { m, k, f } = boot();
    expect(f.registered).toBe(true);
    const hdr = CRASH_INFO_HEADER_OLD.decode(
      m.memory.peek(f.fadumphdrAddr, CRASH_INFO_HEADER_OLD.size),
      'le',
    );
    expect(hdr.magic_number).toBe(FADUMP_CRASH_INFO_MAGIC_OLD);
    expect(Number(hdr.elfcorehdr_addr)).toBe(f.fadumphdrAddr + 664);
    const at = Number(hdr.elfcorehdr_addr);
    const ehdr = ELF64_EHDR.decode(m.memory.peek(at, 64), 'le');
    const phdrs = Array.from({ length: ehdr.e_phnum }, (_, i) =>
      ELF64_PHDR.decode(m.memory.peek(at + 64 + i * 56, 56), 'le'),
    );
    // CPU-notes placeholder, vmcoreinfo, boot memory (read from its copy), the rest above the area.
    expect(phdrs.map((p) => p.p_type)).toEqual([0, PT_NOTE, PT_LOAD, PT_LOAD]);
    expect(phdrs[2]!.p_offset).toBe(BigInt(f.bootMemDestAddr));
    expect(phdrs[3]!.p_paddr).toBe(BigInt(f.reserveStart + f.areaSize()));
    expect(f.legacyElfcorehdrBytes).toBeLessThanOrEqual(f.elfcorehdrBudget());
    expect(strip(k.console)[0]).toContain('Linux version 6.9.0-fadump-sim');
  });

  it('sizes the reserved area with room for the elfcorehdr, page-aligned', () => {
    const { f } = boot();
    expect(f.areaSize() % 0x10000).toBe(0);
    expect(f.elfcorehdrBudget()).toBe(64 + 56 + 56 * (1 + 2));
    expect(f.sysfsRead('hotplug_ready')).toBeUndefined();
  });

  it('registers boot memory with holes as one region from 0; PowerVM answers -3 and the kernel says why', () => {
    const { k } = pseries({ memory: 2 * GiB, lmbSize: 16 * MiB, holes: [16], seed: 2 }).boot('fadump=on', {
      kernel: 'legacy',
    });
    const lines = strip(k);
    const at = lines.indexOf("rtas fadump: Can't have holes in boot memory area.");
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('rtas fadump: Failed to register. Parameter Error(-3).');
    expect(k.fadump.registered).toBe(false);
  });

  it('on QEMU, which does not check the source, the same registration succeeds', () => {
    const { k } = pseries({
      memory: 2 * GiB,
      lmbSize: 16 * MiB,
      holes: [16],
      seed: 2,
      personality: QEMU,
    }).boot('fadump=on', { kernel: 'legacy' });
    expect(strip(k)).toContain('rtas fadump: Registration is successful!');
  });
});

describe('legacy kernels on PowerNV', () => {
  it('re-register through OPAL for every offline event the udev rule sees', async () => {
    const { summary } = await run({
      platform: 'powernv',
      memory: 4 * GiB,
      kernel: 'legacy',
      hotplug: { offline: 2 },
    });
    const c = summary.cycles[0]!;
    expect(c.hotplug.offlined).toBe(2);
    expect(c.hotplug.reRegistrations).toBe(2);
    expect(c.dump.status).toBe('captured');
    expect(c.verify).toEqual(EXACT);
  });
});

describe('legacy fadump kernel checks', () => {
  it('refuses a dump whose header status is exactly 0x2000', async () => {
    // Firmware presenting exactly the error status in the header of ibm,kernel-dump.
    const { summary } = await run({
      kernel: 'legacy',
      corrupt: [{ struct: 'rtas-dump-header', field: 'dump_status_flag', value: 0x2000n }],
    });
    expect(summary.dump.status).toBe('refused');
    expect(strip(summary.cycles[0]!.console.capture)).toContain(
      'rtas fadump: Dump taken by platform is not valid',
    );
  });
});
