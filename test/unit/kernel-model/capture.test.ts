// The fadump kernel's checks (Linux fadump-internal.h; Linux rtas-fadump.c): every refusal gives the kernel's message, no
// vmcore, invalidates the dump and lets the next registration succeed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../../emulator/machine.ts';
import { DUMP_HEADER, DUMP_SECTION, SECTION_TYPE } from '../../../firmware/rtas/fadump-structs.ts';
import type { PseriesFirmware } from '../../../firmware/rtas/pseries-firmware.ts';
import { CRASH_INFO_HEADER } from '../../../kernel-model/crash-info-header.ts';
import { DEFAULT_RUN, type RunHooks, type RunOptions, runScenario } from '../../../scenarios/run.ts';

const MiB = 2 ** 20;

/** Address of the crash info header, as the capture kernel computes it from ibm,kernel-dump. */
function headerAddr(fw: PseriesFirmware): number {
  const prop = fw!.kernelDump.kernelDumpProperty()!;
  const n = DUMP_HEADER.decode(prop).dump_num_sections;
  let dest = 0;
  let size = 0;
  for (let i = 0; i < n; i++) {
    const s = DUMP_SECTION.decode(prop, 'be', 40 + i * 40);
    if (s.source_data_type !== SECTION_TYPE.RealModeRegion) continue;
    if (s.source_address === 0n) dest = Number(s.destination_address);
    size += Number(s.source_len);
  }
  return dest + size;
}

async function capture(o: Partial<RunOptions>, hooks: RunHooks = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fadump-capture-'));
  return runScenario({ ...DEFAULT_RUN, memory: 2048 * MiB, ...o }, dir, hooks);
}

function patchHeader(m: Machine, fw: PseriesFirmware | undefined, offset: number, bytes: Uint8Array) {
  m.memory.poke(headerAddr(fw!) + offset, bytes);
}

const u64 = (v: bigint, le: boolean) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, le);
  return b;
};

describe('crash info header checks in the fadump kernel', () => {
  const cases: [string, (m: Machine, fw: PseriesFirmware | undefined) => void, string][] = [
    [
      'old magic',
      (m, fw) => patchHeader(m, fw, 0, u64(0x4641444d50494e46n, true)),
      "fadump: Old magic number, can't process the dump.",
    ],
    [
      'byte-swapped magic',
      (m, fw) => patchHeader(m, fw, 0, u64(0x4641444d50534947n, false)),
      'fadump: Endianness mismatch between the crashed and fadump kernels.',
    ],
    [
      'garbage magic',
      (m, fw) => patchHeader(m, fw, 0, u64(0x1234n, true)),
      'fadump: Fadump header is corrupted.',
    ],
    [
      'pt_regs size',
      (m, fw) => patchHeader(m, fw, CRASH_INFO_HEADER.offsetOf('pt_regs_sz'), Uint8Array.of(0x70, 1, 0, 0)),
      'fadump: Fadump header size mismatch.',
    ],
    [
      'cpumask size',
      (m, fw) => patchHeader(m, fw, CRASH_INFO_HEADER.offsetOf('cpu_mask_sz'), Uint8Array.of(0, 4, 0, 0)),
      'fadump: Fadump header size mismatch.',
    ],
  ];
  for (const [what, corrupt, message] of cases) {
    it(`${what}: refused with "${message}", invalidated, registered again`, async () => {
      const { summary } = await capture({}, { beforeCaptureBoot: corrupt });
      expect(summary.dump.status).toBe('refused');
      expect(summary.dump.vmcore).toBeNull();
      const lines = summary.cycles[0]!.console.capture.map((l) => l.replace(/^\[[^\]]*\] /, ''));
      expect(lines).toContain(message);
      expect(lines.at(-1)).toBe('rtas fadump: Registration is successful!');
    });
  }
});

describe('sections firmware could not complete', () => {
  it('an error flag on a boot-memory section: "Dump taken by platform is not valid"', async () => {
    const { summary } = await capture(
      {},
      {
        beforeCaptureBoot: (m, fw) => {
          // Simulate a firmware that reported a failed copy: flip error_flags in its stored structure.
          const prop = fw!.kernelDump.kernelDumpProperty()!;
          const s = DUMP_SECTION.decode(prop, 'be', 40 + 2 * 40);
          expect(s.source_data_type).toBe(SECTION_TYPE.RealModeRegion);
          (fw!.kernelDump as unknown as { stored: Uint8Array }).stored.set(
            Uint8Array.of(0x10, 0x00),
            40 + 2 * 40 + 6,
          );
          void m;
        },
      },
    );
    expect(summary.dump.status).toBe('refused');
    expect(summary.dump.reason).toBe('Dump taken by platform is not valid (2)');
  });

  it('cpuSizeCountsCores: QEMU with SMT advertises too little CPU state, so the dump is incomplete', async () => {
    const { summary } = await capture({ firmware: 'qemu', cpus: 8, threadsPerCore: 2 });
    expect(summary.dump.status).toBe('refused');
    expect(summary.dump.reason).toBe('Dump taken by platform is incomplete (0)');
    const powervm = await capture({ firmware: 'powervm', cpus: 8, threadsPerCore: 2 });
    expect(powervm.summary.dump.status).toBe('captured');
  });
});

describe('a fadump kernel booted without fadump=on', () => {
  it('leaves the waiting dump alone: no vmcore, no invalidation (setup_fadump returns early)', async () => {
    const { Machine } = await import('../../../emulator/machine.ts');
    const { PseriesFirmware } = await import('../../../firmware/rtas/pseries-firmware.ts');
    const { POWERVM } = await import('../../../firmware/rtas/personality.ts');
    const { Kernel } = await import('../../../kernel-model/kernel.ts');
    const m = new Machine({
      memory: 2048 * MiB,
      lmbSize: 256 * MiB,
      cpus: 4,
      threadsPerCore: 1,
      holes: [],
      seed: 5,
    });
    const fw = new PseriesFirmware(m, POWERVM);
    const cfg = { order: 'le' as const, generation: 'resilient' as const, notePids: false };
    const first = new Kernel(m, fw.rtas, cfg);
    first.boot(fw.boot('fadump=on'));
    first.panic(1, 'test');
    expect(fw.resetPending).toBe(true);
    const capture = new Kernel(m, fw.rtas, cfg);
    capture.boot(fw.boot('root=/dev/sda2'));
    expect(capture.fadump.dumpActive).toBe(true);
    expect(capture.fadump.outcome).toEqual({ status: 'none' });
    expect(capture.fadump.elfcorehdrAddr).toBeUndefined();
    expect(fw.kernelDump.active).toBe(true);
  });
});
