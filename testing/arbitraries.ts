// fast-check arbitraries for fadump-sim (`import { arbitraries } from 'fadump-sim/testing'`). They
// generate scenario files — the same objects `fadump-sim run` reads — so any counterexample a
// property finds is written out as YAML and replayed as is. Structure mutations are targeted
// through the struct field tables: a field of a named structure, overwritten, bit-flipped or cut
// short.

import fc from 'fast-check';
import { PERSONALITY_NAMES } from '../firmware/rtas/personality.ts';
import { validateRunOptions } from '../scenarios/run.ts';
import { type ScenarioFile, toBuilder } from '../scenarios/scenario-file.ts';
import { fieldsOf, STRUCTS_BY_PLATFORM, type StructName } from '../scenarios/structures.ts';

export type Platform = 'pseries' | 'powernv';
export type MachineSection = NonNullable<ScenarioFile['machine']>;
export type Step = ScenarioFile['steps'][number];

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

/** Memory events before the crash: DLPAR add/remove (pSeries), offline/online, waits; some spread over time. */
export function memorySteps(platform: Platform, maxLength = 6): fc.Arbitrary<Step[]> {
  const n = fc.integer({ min: 1, max: 4 });
  const spread = <T>(a: fc.Arbitrary<T>) =>
    fc.tuple(a, fc.option(fc.constantFrom('1ms', '20ms', '300ms'), { nil: undefined }));
  const blocks = (verb: 'hotAdd' | 'hotRemove' | 'offline' | 'online') =>
    spread(n).map(([count, interval]) =>
      interval ? ({ [verb]: { count, interval } } as Step) : ({ [verb]: count } as Step),
    );
  const verbs: fc.Arbitrary<Step>[] = [blocks('offline'), blocks('online')];
  if (platform === 'pseries') verbs.push(blocks('hotAdd'), blocks('hotAdd'), blocks('hotRemove'));
  verbs.push(fc.constantFrom('50ms', '1s').map((wait) => ({ wait }) as Step));
  return fc.array(fc.oneof(...verbs), { maxLength });
}

/** The crash: a panic or an NMI on some CPU, after the steps, during the K-th udev event, or at a time. */
export function crashPoint(cpus: number): fc.Arbitrary<Step> {
  const cpu = fc.integer({ min: 0, max: cpus - 1 });
  return fc.oneof(
    cpu.map((c) => ({ crash: { cpu: c } }) as Step),
    fc
      .tuple(cpu, fc.integer({ min: 1, max: 6 }))
      .map(([c, k]) => ({ crash: { cpu: c, atEvent: k } }) as Step),
    fc
      .tuple(cpu, fc.integer({ min: 1600, max: 4000 }))
      .map(([c, ms]) => ({ crash: { cpu: c, at: `${ms}ms` } }) as Step),
    cpu.map((c) => ({ nmi: { cpu: c } }) as Step),
  );
}

/** The two kernels: first and fadump generation. */
export function generations(): fc.Arbitrary<{
  kernel: 'resilient' | 'legacy';
  captureKernel: 'resilient' | 'legacy';
}> {
  const g = fc.constantFrom('resilient' as const, 'legacy' as const);
  return fc.record({ kernel: g, captureKernel: g });
}

/** A whole scenario: machine, memory events and crash, with the kernels given. */
export function scenario(
  opts: { platform?: Platform; kernel?: 'resilient' | 'legacy'; captureKernel?: 'resilient' | 'legacy' } = {},
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
          .tuple(memorySteps(m.platform ?? 'pseries'), crashPoint(m.cpus ?? 8))
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
  const structs = STRUCTS_BY_PLATFORM[platform];
  return fc.constantFrom(...structs).chain((struct: StructName) =>
    fc
      .record(
        {
          struct: fc.constant(struct),
          field: fc.constantFrom(...fieldsOf(struct).filter((f) => f !== 'pad' && f !== 'padding')),
          entry: fc.integer({ min: 0, max: 3 }),
          op: fc.oneof(
            fc
              .oneof(
                fc.constantFrom(0n, 1n, 0xffffffffn, 0xffffffffffffffffn, 0x8000000000000000n),
                fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
              )
              .map((v) => ({ value: `0x${v.toString(16)}` })),
            fc.integer({ min: 0, max: 63 }).map((b) => ({ xor: `0x${(1n << BigInt(b)).toString(16)}` })),
            fc.constant({ truncate: true as const }),
          ),
        },
        { requiredKeys: ['struct', 'field', 'op'] },
      )
      .map(({ op, entry, ...rest }) => ({ ...rest, ...(entry ? { entry } : {}), ...op }) as Mutation),
  );
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
