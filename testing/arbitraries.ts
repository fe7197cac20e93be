// fast-check arbitraries for fadump-sim (`import { arbitraries } from 'fadump-sim/testing'`). They
// generate scenario files — the same objects `fadump-sim run` reads — so any counterexample a
// property finds is written out as YAML and replayed as is. Structure mutations are targeted
// through the struct field tables: a field of a named structure, overwritten, bit-flipped or cut
// short.

import fc from 'fast-check';
import { PERSONALITY_NAMES } from '../firmware/rtas/personality.ts';
import { before, KERNEL_NAMES, type KernelName, releaseOf } from '../kernel-model/releases.ts';
import { validateRunOptions } from '../scenarios/run-checks.ts';
import { type ScenarioFile, toBuilder } from '../scenarios/scenario-file.ts';
import { generateStep, type Platform, type Step, VERBS } from '../scenarios/verbs.ts';

export type { Platform, Step };
export type MachineSection = NonNullable<ScenarioFile['machine']>;

/** Whether the run options a scenario amounts to are ones the model runs. */
export function runnable(s: ScenarioFile): boolean {
  try {
    validateRunOptions(toBuilder(s).toOptions());
    return true;
  } catch {
    return false;
  }
}

/**
 * A partition: platform, firmware, memory, LMB size, CPUs and SMT, byte order, seed, boot-memory
 * regions. Sizes stay small (1–3 GiB) so a case runs in tens of milliseconds. QEMU with SMT is left
 * out: its documented quirk (incomplete CPU state, refused) is not a resilience failure.
 */
export function machine(platform?: Platform): fc.Arbitrary<MachineSection> {
  return fc
    .record({
      platform: platform ? fc.constant(platform) : fc.constantFrom<Platform>('pseries', 'powernv'),
      firmware: fc.constantFrom(...PERSONALITY_NAMES),
      memory: fc.constantFrom('1G', '2G', '3G'),
      lmbSize: fc.constantFrom('64M', '128M', '256M'),
      smt: fc.constantFrom(1 as const, 2 as const, 4 as const),
      cores: fc.integer({ min: 1, max: 4 }),
      endian: fc.constantFrom('le' as const, 'be' as const),
      seed: fc.integer({ min: 0, max: 0xffff }),
      bootMemRegions: fc.integer({ min: 1, max: 3 }),
    })
    .map(({ cores, smt, platform: p, firmware, bootMemRegions, memory, ...m }) => ({
      ...m,
      platform: p,
      // PowerNV needs 768 MiB of boot memory and as much again reserved, plus skiboot.
      memory: p === 'powernv' ? '3G' : memory,
      cpus: cores * smt,
      smt,
      ...(p === 'pseries' ? { firmware: smt > 1 ? ('powervm' as const) : firmware, bootMemRegions } : {}),
    }));
}

/**
 * Memory events before the crash: the steps of phase `before` in scenarios/verbs.ts that apply to
 * the platform (DLPAR add and remove on pSeries, offline, online, waits), some spread over time.
 */
export function memorySteps(platform: Platform, maxLength = 6): fc.Arbitrary<Step[]> {
  return fc.array(generateStep(fc, { platform, cpus: 1 }, 'before')!, { maxLength });
}

/** The crash: a panic or an NMI on some CPU, after the steps, during the K-th udev event, or at a time. */
export function crashPoint(cpus: number, platform: Platform = 'pseries'): fc.Arbitrary<Step> {
  return generateStep(fc, { platform, cpus }, 'crash')!;
}

/** The two kernels, first and fadump: any release, or its alias. */
export function generations(): fc.Arbitrary<{ kernel: KernelName; captureKernel: KernelName }> {
  const g = fc.constantFrom(...KERNEL_NAMES);
  return fc.record({ kernel: g, captureKernel: g });
}

/** Two kernels of 6.10 or later (the fadump kernel builds the elfcorehdr): releases or `resilient`. */
export function resilientKernels(): fc.Arbitrary<{ kernel: KernelName; captureKernel: KernelName }> {
  const g = fc.constantFrom(...KERNEL_NAMES.filter((n) => !before(releaseOf(n), '6.10')));
  return fc.record({ kernel: g, captureKernel: g });
}

/** A whole scenario: machine, memory events and crash, with the kernels given. */
export function scenario(
  opts: { platform?: Platform; kernel?: KernelName; captureKernel?: KernelName } = {},
): fc.Arbitrary<ScenarioFile> {
  return machine(opts.platform)
    .chain((m) =>
      fc.record({
        machine: fc.constant({
          ...m,
          ...(opts.kernel && { kernel: opts.kernel }),
          ...(opts.captureKernel && { captureKernel: opts.captureKernel }),
        }),
        steps: fc
          .tuple(memorySteps(m.platform ?? 'pseries'), crashPoint(m.cpus ?? 8, m.platform))
          .map(([events, crash]): Step[] => ['boot', ...events, crash]),
      }),
    )
    .filter(runnable);
}

export type Mutation = Extract<Step, { corrupt: unknown }>['corrupt'];

/**
 * A mutation of one structure the dump depends on, through its field table: a field overwritten
 * (with a boundary value or any 64-bit value), a bit flipped, or the entry cut short at a field.
 */
export function mutation(platform: Platform): fc.Arbitrary<Mutation> {
  return VERBS.corrupt.generate!(fc, { platform, cpus: 1 })!;
}

/** A scenario whose dump is damaged by one to three mutations before the fadump kernel boots. */
export function mutatedDump(platform?: Platform): fc.Arbitrary<ScenarioFile> {
  return machine(platform)
    .chain((m) =>
      fc.record({
        machine: fc.constant(m),
        steps: fc
          .tuple(
            fc.integer({ min: 0, max: (m.cpus ?? 8) - 1 }),
            fc.array(mutation(m.platform ?? 'pseries'), { minLength: 1, maxLength: 3 }),
          )
          .map(([cpu, ms]): Step[] => [
            'boot',
            { crash: { cpu } },
            ...ms.map((c) => ({ corrupt: c }) as Step),
          ]),
      }),
    )
    .filter(runnable);
}
