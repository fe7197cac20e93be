// The fadump kernel's checks (Linux fadump-internal.h; Linux rtas-fadump.c): every refusal gives the kernel's message, no
// vmcore, invalidates the dump and lets the next registration succeed.
import { describe, expect, it } from 'vitest';
import type { Corruption } from '../../../scenarios/structures.ts';
import { lines, MiB, pseries, run } from '../../support/partition.ts';

/** The crash info header damaged after firmware took the dump, through the scenario verb `corrupt`. */
const header = (field: string, value: bigint): Corruption => ({ struct: 'crash-info-header', field, value });

describe('crash info header checks in the fadump kernel', () => {
  const cases: [string, Corruption, string][] = [
    [
      'old magic',
      header('magic_number', 0x4641444d50494e46n),
      "fadump: Old magic number, can't process the dump.",
    ],
    [
      'byte-swapped magic',
      header('magic_number', 0x474953504d444146n),
      'fadump: Endianness mismatch between the crashed and fadump kernels.',
    ],
    ['garbage magic', header('magic_number', 0x1234n), 'fadump: Fadump header is corrupted.'],
    ['pt_regs size', header('pt_regs_sz', 0x170n), 'fadump: Fadump header size mismatch.'],
    ['cpumask size', header('cpu_mask_sz', 0x400n), 'fadump: Fadump header size mismatch.'],
  ];
  for (const [what, corrupt, message] of cases) {
    it(`${what}: refused with "${message}", invalidated, registered again`, async () => {
      const { summary } = await run({ corrupt: [corrupt] });
      expect(summary.dump.status).toBe('refused');
      expect(summary.dump.vmcore).toBeNull();
      const capture = lines(summary.cycles[0]!.console.capture);
      expect(capture).toContain(message);
      expect(capture.at(-1)).toBe('rtas fadump: Registration is successful!');
    });
  }
});

describe('sections firmware could not complete', () => {
  it('an error flag on a boot-memory section: "Dump taken by platform is not valid"', async () => {
    // Firmware reporting a failed copy: error_flags set in the boot-memory section (entry 2, after
    // the CPU state and HPTE sections) of the structure it presents in ibm,kernel-dump.
    const { summary } = await run({
      corrupt: [{ struct: 'rtas-dump-section', entry: 2, field: 'error_flags', value: 0x1000n }],
    });
    expect(summary.dump.status).toBe('refused');
    expect(summary.dump.reason).toBe('Dump taken by platform is not valid (2)');
  });

  it('cpuSizeCountsCores: QEMU with SMT advertises too little CPU state, so the dump is incomplete', async () => {
    const { summary } = await run({ firmware: 'qemu', cpus: 8, threadsPerCore: 2 });
    expect(summary.dump.status).toBe('refused');
    expect(summary.dump.reason).toBe('Dump taken by platform is incomplete (0)');
    const powervm = await run({ firmware: 'powervm', cpus: 8, threadsPerCore: 2 });
    expect(powervm.summary.dump.status).toBe('captured');
  });
});

describe('a fadump kernel booted without fadump=on', () => {
  it('leaves the waiting dump alone: no vmcore, no invalidation (setup_fadump returns early)', async () => {
    const { fw, kernel } = pseries({ memory: 2048 * MiB, seed: 5 });
    const first = kernel();
    first.boot(fw.boot('fadump=on'));
    first.panic(1, 'test');
    expect(fw.resetPending).toBe(true);
    const capture = kernel();
    capture.boot(fw.boot('root=/dev/sda2'));
    expect(capture.fadump.dumpActive).toBe(true);
    expect(capture.fadump.outcome).toEqual({ status: 'none' });
    expect(capture.fadump.elfcorehdrAddr).toBeUndefined();
    expect(fw.kernelDump.active).toBe(true);
  });
});
