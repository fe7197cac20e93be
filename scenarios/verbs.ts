// The scenario verbs, one entry each: how a scenario file spells the step (its schema), where in the
// steps it may stand (its phase), what it adds to the run (the builder call), how property campaigns
// generate it, and the words the reference docs use. The scenario schema, the step-order checks,
// `toBuilder`, the arbitraries (testing/arbitraries.ts) and docs/scenarios.md all walk this table.
// A new verb is an entry here, a builder method (scenarios/builder.ts) and, when it acts on the
// first kernel's timeline, its effect (scenarios/hotplug-timeline.ts).

import type FastCheck from 'fast-check';
import type { Arbitrary } from 'fast-check';
import { z } from 'zod';
import type { Scenario } from './builder.ts';
import { fieldsOf, STRUCT_NAMES, STRUCTS_BY_PLATFORM, type StructName } from './structures.ts';
import { durationNs } from './units.ts';

// The value types of scenario files.
/** Sizes smaller than this without a unit are taken for a forgotten unit (`memory: 8`), not bytes. */
const SMALLEST_UNITLESS = 2 ** 20;

// Sizes are spelled as on the command line (units.ts sizeBytes): 512M, 8G, 8GiB, 8GB, 0x10000000.
export const size = z
  .union([
    z
      .string()
      .regex(/^(0x[0-9a-fA-F]+|\d+)\s*([KMGTkmgt]i?[Bb]?)?$/, 'a size such as 512M, 8G or 1T')
      .refine((v) => /[KMGTkmgt]/.test(v.replace(/^0x[0-9a-fA-F]+/, '')) || Number(v) >= SMALLEST_UNITLESS, {
        error: (iss) =>
          `${iss.input} bytes is too small to be meant: add a unit, as in ${iss.input}G or ${iss.input}M`,
      }),
    z
      .number()
      .int()
      .positive()
      .refine((v) => v >= SMALLEST_UNITLESS, {
        error: (iss) =>
          `${iss.input} bytes is too small to be meant: add a unit, as in ${iss.input}G or ${iss.input}M`,
      }),
  ])
  .describe('bytes, or a size such as 256M, 8G');
export const duration = z
  .string({
    error: (iss) =>
      typeof iss.input === 'number'
        ? `${iss.input} needs a unit: a duration such as ${iss.input}ms`
        : undefined,
  })
  .regex(/^\d+(\.\d+)?\s*(ns|us|ms|s)$/, 'a duration such as 5ms or 0.2s');
export const count = z.number().int().min(0);
export const integer = z
  .union([
    z.number().int(),
    z.string().regex(/^(0x[0-9a-fA-F]+|\d+)$/, 'an integer such as 0 or 0x4641444d50534947'),
  ])
  .describe('a number, or a string for values past 2^53 ("0x...")');

/** A duration the schema has already checked, in ns. */
export const parseDuration = (v: string): bigint => durationNs(v)!;

const interval = duration.describe('one event per block, this far apart, udev working in between');
const blocks = z.union([count, z.strictObject({ count, interval: interval.optional() })]);
const drcs = z
  .union([
    z.array(z.number().int().min(0)).min(1),
    z.strictObject({
      first: z.number().int().min(0),
      count: z.number().int().min(1).max(262144),
      stride: z.number().int().min(1).optional().describe('default 1'),
    }),
  ])
  .describe(
    'DRC indexes: a list, or { first, count, stride } (stride 2: every other LMB, each its own range)',
  );
const lmbs = z.union([
  count,
  z.strictObject({ count, interval: interval.optional() }),
  z.strictObject({ drc: drcs, interval: interval.optional() }),
]);
const crashPoint = z
  .strictObject({
    cpu: count.optional(),
    atEvent: z.number().int().min(1).optional(),
    at: duration.optional().describe('simulated time since power-on'),
  })
  .nullable();
const corruption = z.strictObject({
  struct: z.enum(STRUCT_NAMES).describe('the structure (see docs/scenarios.md)'),
  field: z.string().describe('a field of its table (docs/structures.md)'),
  value: integer.optional().describe('the new value'),
  xor: integer.optional().describe('flip these bits instead'),
  truncate: z.literal(true).optional().describe('zero the field and the rest of the entry instead'),
  entry: count.optional().describe('entry of a table; default 0'),
  index: count.optional().describe('element of an array field; default 0'),
});

type Lmbs = z.infer<typeof lmbs>;
type Blocks = z.infer<typeof blocks>;
type Corrupt = z.infer<typeof corruption>;

/**
 * Where a step may stand: `first` (once, the first step), `before` the crash (the first kernel's
 * timeline), `crash` (exactly one such step), `after` it (the dump, the fadump kernel), or `either`.
 */
export type Phase = 'first' | 'before' | 'crash' | 'after' | 'either';
export type Platform = 'pseries' | 'powernv';

/** What a generator of a step knows of the partition it is for. */
export interface GenerateFor {
  platform: Platform;
  cpus: number;
}

export interface Verb<V> {
  /** The step's value (`- hotAdd: 2`); a verb without one is a bare word (`- boot`). */
  value?: z.ZodType<V>;
  phase: Phase;
  /** What the step does, for docs/scenarios.md. */
  doc: string;
  /** A problem the schema cannot state, in the file's words. */
  check?(v: V): string | undefined;
  /** The builder call the step amounts to. */
  apply(b: Scenario, v: V): Scenario;
  /**
   * Steps a property campaign generates (undefined where the verb does not apply to the platform;
   * no `generate`: campaigns do not generate it). fast-check comes in as a parameter so that loading
   * scenarios never loads it. `weight` is its share among the verbs of its phase.
   */
  generate?(fc: typeof FastCheck, m: GenerateFor): Arbitrary<V> | undefined;
  weight?: number;
}

const verb = <V>(v: Verb<V>): Verb<V> => v;

const spread = (v: number | { interval?: string | undefined }) =>
  typeof v === 'object' && v.interval ? { interval: parseDuration(v.interval) } : {};
const lmbsOf = (v: Lmbs): number | { drc: number[] } => {
  if (typeof v === 'number') return v;
  if (!('drc' in v)) return v.count;
  const d = v.drc;
  return {
    drc: Array.isArray(d) ? d : Array.from({ length: d.count }, (_, i) => d.first + i * (d.stride ?? 1)),
  };
};
const blocksOf = (v: Blocks) => (typeof v === 'number' ? v : v.count);
/** 1–4 blocks, some spread over time. */
const someBlocks = (fc: typeof FastCheck) =>
  fc
    .tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.option(fc.constantFrom('1ms', '20ms', '300ms'), { nil: undefined }),
    )
    .map(([n, interval]) => (interval ? { count: n, interval } : n));

/** A DLPAR memory verb (pSeries only): the same value, docs and generator, a different builder call. */
function dlpar(
  what: 'add' | 'remove',
  call: (b: Scenario, lmbs: number | { drc: number[] }, spread: { interval?: bigint }) => Scenario,
  weight: number,
): Verb<Lmbs> {
  return verb<Lmbs>({
    value: lmbs,
    phase: 'before',
    doc: `DLPAR memory ${what}: a count, { count, interval }, or { drc, interval } where drc is a list of DRC indexes or { first, count, stride } (stride 2: every other LMB, each its own range); interval: one event per LMB, this far apart`,
    apply: (b, v) => call(b, lmbsOf(v), spread(v)),
    generate: (fc, m) => (m.platform === 'pseries' ? someBlocks(fc) : undefined),
    weight,
  });
}

/** A memory-block state verb (both platforms): the same value and generator, a different builder call. */
function memoryBlocks(
  doc: string,
  call: (b: Scenario, blocks: number, spread: { interval?: bigint }) => Scenario,
): Verb<Blocks> {
  return verb<Blocks>({
    value: blocks,
    phase: 'before',
    doc,
    apply: (b, v) => call(b, blocksOf(v), spread(v)),
    generate: someBlocks,
  });
}

export const VERBS = {
  boot: verb<undefined>({
    phase: 'first',
    doc: 'boot the first kernel, which reserves memory and registers fadump',
    apply: (b) => b.boot(),
  }),
  hotAdd: dlpar('add', (b, l, sp) => b.hotAdd(l, sp), 2),
  hotRemove: dlpar('remove', (b, l, sp) => b.hotRemove(l, sp), 1),
  offline: memoryBlocks(
    'offline this many memory blocks (highest removable first): a count or { count, interval }',
    (b, n, sp) => b.offline(n, sp),
  ),
  online: memoryBlocks('online this many offline memory blocks: a count or { count, interval }', (b, n, sp) =>
    b.online(n, sp),
  ),
  register: verb<undefined>({
    phase: 'either',
    doc: 'echo 1 > /sys/kernel/fadump/registered (first kernel, or fadump kernel after the crash)',
    apply: (b) => b.register(),
  }),
  unregister: verb<undefined>({
    phase: 'either',
    doc: 'echo 0 > /sys/kernel/fadump/registered (first kernel, or fadump kernel after the crash)',
    apply: (b) => b.unregister(),
  }),
  bootargsAppend: verb<string>({
    value: z.string(),
    phase: 'before',
    doc: 'echo TEXT > /sys/kernel/fadump/bootargs_append in the first kernel (6.10+): parameters the fadump kernel appends to its command line',
    apply: (b, v) => b.bootargsAppend(v),
    generate: (fc) => fc.constantFrom('nr_cpus=16', 'numa=off'),
  }),
  wait: verb<string>({
    value: duration,
    phase: 'before',
    doc: 'let simulated time pass; udev keeps working',
    apply: (b, v) => b.wait(parseDuration(v)),
    generate: (fc) => fc.constantFrom('50ms', '1s'),
  }),
  crash: verb<z.infer<typeof crashPoint>>({
    value: crashPoint,
    phase: 'crash',
    doc: 'the panic: after the steps, at a time, or while udev handles the atEvent-th memory event',
    apply: (b, v) =>
      b.crashAt({
        ...(v?.cpu !== undefined && { cpu: v.cpu }),
        ...(v?.atEvent !== undefined && { event: v.atEvent }),
        ...(v?.at !== undefined && { at: parseDuration(v.at) }),
      }),
    generate: (fc, m) => {
      const cpu = fc.integer({ min: 0, max: m.cpus - 1 });
      return fc.oneof(
        cpu.map((c) => ({ cpu: c })),
        fc.tuple(cpu, fc.integer({ min: 1, max: 6 })).map(([c, k]) => ({ cpu: c, atEvent: k })),
        fc.tuple(cpu, fc.integer({ min: 1600, max: 4000 })).map(([c, ms]) => ({ cpu: c, at: `${ms}ms` })),
      );
    },
    weight: 3,
  }),
  nmi: verb<{ cpu?: number | undefined } | null>({
    value: z.strictObject({ cpu: count.optional() }).nullable(),
    phase: 'crash',
    doc: 'a system reset (NMI) on every CPU after the steps; cpu is the one that enters fadump first',
    apply: (b, v) => b.nmi(v?.cpu !== undefined ? { cpu: v.cpu } : {}),
    generate: (fc, m) => fc.integer({ min: 0, max: m.cpus - 1 }).map((cpu) => ({ cpu })),
  }),
  corrupt: verb<Corrupt>({
    value: corruption,
    phase: 'after',
    doc: 'after the crash: overwrite a field of a dump structure before the fadump kernel boots',
    check: (c) => {
      if (['value', 'xor', 'truncate'].filter((k) => k in c).length !== 1)
        return 'corrupt takes exactly one of value, xor and truncate';
      if (!fieldsOf(c.struct).includes(c.field))
        return `${c.struct} has no field ${c.field}; its fields: ${fieldsOf(c.struct).join(', ')}`;
      return undefined;
    },
    apply: (b, c) =>
      b.corrupt({
        struct: c.struct,
        field: c.field,
        ...(c.value !== undefined && { value: BigInt(c.value) }),
        ...(c.xor !== undefined && { xor: BigInt(c.xor) }),
        ...(c.truncate && { truncate: true }),
        ...(c.entry !== undefined && { entry: c.entry }),
        ...(c.index !== undefined && { index: c.index }),
      }),
    generate: (fc, m) => mutation(fc, m.platform),
  }),
  release: verb<undefined>({
    phase: 'after',
    doc: 'after the crash: echo 1 > /sys/kernel/fadump/release_mem in the fadump kernel',
    apply: (b) => b.release(),
  }),
};

export type VerbName = keyof typeof VERBS;
export const VERB_NAMES = Object.keys(VERBS) as VerbName[];

type ValueOf<K extends VerbName> = (typeof VERBS)[K] extends Verb<infer V> ? V : never;
type WordVerb = { [K in VerbName]: ValueOf<K> extends undefined ? K : never }[VerbName];
type ValueVerb = Exclude<VerbName, WordVerb>;
/** One step of a scenario file: a bare word, or a one-key map from the verb to its value. */
export type Step = WordVerb | { [K in ValueVerb]: { [P in K]: ValueOf<K> } }[ValueVerb];

const WORDS = VERB_NAMES.filter((n) => !VERBS[n].value) as WordVerb[];

/** The schema of a step, built from the table (the bare words first, then one map per verb). */
export const STEP_SCHEMA = z.union([
  z.enum(WORDS).describe(WORDS.map((w) => `${w}: ${VERBS[w].doc}`).join('; ')),
  ...VERB_NAMES.flatMap((n) => {
    const v = VERBS[n].value;
    return v ? [z.strictObject({ [n]: v }).describe(VERBS[n].doc)] : [];
  }),
]) as unknown as z.ZodType<Step>;

/** The verb of a step and its value. */
export function verbOf(step: Step): { name: VerbName; value: unknown } {
  if (typeof step === 'string') return { name: step, value: undefined };
  const [name, value] = Object.entries(step)[0]!;
  return { name: name as VerbName, value };
}

/** The builder call a step amounts to. */
export function applyStep(b: Scenario, step: Step): Scenario {
  const { name, value } = verbOf(step);
  return (VERBS[name] as Verb<unknown>).apply(b, value);
}

/** The verbs of a phase, in table order. */
export function verbsIn(...phases: Phase[]): VerbName[] {
  return VERB_NAMES.filter((n) => phases.includes(VERBS[n].phase));
}

/**
 * The steps of `phases` campaigns generate for a partition, weighted as the table says; undefined
 * when none applies.
 */
export function generateStep(
  fc: typeof FastCheck,
  m: GenerateFor,
  ...phases: Phase[]
): Arbitrary<Step> | undefined {
  const choices = verbsIn(...phases).flatMap((n) => {
    const v = VERBS[n] as Verb<unknown>;
    const a = v.generate?.(fc, m);
    if (!a) return [];
    const step = v.value ? a.map((x) => ({ [n]: x }) as Step) : a.map(() => n as Step);
    return [{ arbitrary: step, weight: v.weight ?? 1 }];
  });
  return choices.length ? fc.oneof(...choices) : undefined;
}

/**
 * A mutation of one structure the dump depends on, through its field table: a field overwritten
 * (with a boundary value or any 64-bit value), a bit flipped, or the entry cut short at a field.
 */
function mutation(fc: typeof FastCheck, platform: Platform): Arbitrary<Corrupt> {
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
      .map(({ op, entry, ...rest }) => ({ ...rest, ...(entry ? { entry } : {}), ...op }) as Corrupt),
  );
}

/**
 * The first step out of place, and why: the first-phase verb first and once, one crash step, the
 * first kernel's verbs before it, the dump's after it, and what each verb's own check says.
 */
export function stepOrderProblem(steps: readonly Step[]): { step: number; message: string } | undefined {
  const first = verbsIn('first');
  const crashVerbs = verbsIn('crash');
  const phaseOf = (s: Step) => VERBS[verbOf(s).name].phase;
  if (steps.length && phaseOf(steps[0]!) !== 'first')
    return { step: 0, message: `the first step must be ${first.join(' or ')}` };
  const crashes = steps.flatMap((s, i) => (phaseOf(s) === 'crash' ? [i] : []));
  if (crashes.length !== 1) {
    return {
      step: crashes[1] ?? steps.length - 1,
      message: `a scenario has one ${crashVerbs.join(' or ')} step (it has ${crashes.length})`,
    };
  }
  const crashAt = crashes[0]!;
  for (const [i, s] of steps.entries()) {
    const { name, value } = verbOf(s);
    const v = VERBS[name] as Verb<unknown>;
    if (i === 0 || i === crashAt) continue;
    if (v.phase === 'first') return { step: i, message: `${name} comes once, first` };
    if (i > crashAt && v.phase === 'before') {
      const allowed = [...verbsIn('after'), ...verbsIn('either')];
      return { step: i, message: `after the crash only ${allowed.join(', ')} may follow, not ${name}` };
    }
    if (i < crashAt && v.phase === 'after')
      return { step: i, message: `${name} acts on the dump, so it comes after the crash` };
    const problem = v.check?.(value);
    if (problem) return { step: i, message: problem };
  }
  return undefined;
}
