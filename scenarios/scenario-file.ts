// Scenario files: YAML that mirrors the Scenario builder one to one (machine, steps, expect). The zod
// schema is the single definition: it validates, gives the TypeScript type, and exports the JSON
// Schema editors use (scenarios/schema.json). Every error names the file, line and column.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../emulator/memory-blocks.ts';
import { PERSONALITY_NAMES } from '../firmware/rtas/personality.ts';
import { GENERATION_NAMES } from '../kernel-model/generations.ts';
import { DEFAULT_UDEV_TIMING } from '../kernel-model/kdump-udev.ts';
import { Scenario } from './builder.ts';
import { type CycleSummary, type RunOptions, validateRunOptions } from './run.ts';
import { fieldsOf, STRUCT_NAMES } from './structures.ts';
import { durationNs, sizeBytes } from './units.ts';

const size = z
  .union([
    z.string().regex(/^(0x[0-9a-fA-F]+|\d+)\s*[KMGT]?$/, 'a size such as 512M, 8G or 1T'),
    z.number().int().positive(),
  ])
  .describe('bytes, or a size such as 256M, 8G');
const duration = z.string().regex(/^\d+(\.\d+)?\s*(ns|us|ms|s)$/, 'a duration such as 5ms or 0.2s');
const count = z.number().int().min(0);
const interval = duration.describe('one event per block, this far apart, udev working in between');
const blocks = z.union([count, z.strictObject({ count, interval: interval.optional() })]);
const lmbs = z.union([
  count,
  z.strictObject({ count, interval: interval.optional() }),
  z.strictObject({
    drc: z
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
      ),
    interval: interval.optional(),
  }),
]);
const generation = z.enum(GENERATION_NAMES);
const integer = z
  .union([
    z.number().int(),
    z.string().regex(/^(0x[0-9a-fA-F]+|\d+)$/, 'an integer such as 0 or 0x4641444d50534947'),
  ])
  .describe('a number, or a string for values past 2^53 ("0x...")');

/** The verbs that may follow the crash (the fadump kernel's side). */
const AFTER_CRASH = ['corrupt', 'release', 'register', 'unregister'];

const step = z.union([
  z
    .enum(['boot', 'register', 'unregister', 'release'])
    .describe(
      'boot the first kernel; echo 1/0 > /sys/kernel/fadump/registered (in the first kernel, or in the fadump kernel after the crash); release the dump memory (after the crash)',
    ),
  z
    .strictObject({ hotAdd: lmbs })
    .describe('DLPAR memory add: a count, { count, interval }, or { drc: [indexes], interval }'),
  z
    .strictObject({ hotRemove: lmbs })
    .describe('DLPAR memory remove: a count, { count, interval }, or { drc: [indexes], interval }'),
  z
    .strictObject({ offline: blocks })
    .describe('offline this many memory blocks (highest removable first): a count or { count, interval }'),
  z
    .strictObject({ online: blocks })
    .describe('online this many offline memory blocks: a count or { count, interval }'),
  z.strictObject({ wait: duration }).describe('let simulated time pass; udev keeps working'),
  z
    .strictObject({
      crash: z
        .strictObject({
          cpu: count.optional(),
          atEvent: z.number().int().min(1).optional(),
          at: duration.optional().describe('simulated time since power-on'),
        })
        .nullable(),
    })
    .describe('the panic: after the steps, at a time, or while udev handles the atEvent-th memory event'),
  z
    .strictObject({ nmi: z.strictObject({ cpu: count.optional() }).nullable() })
    .describe('a system reset (NMI) on every CPU after the steps; cpu is the one that enters fadump first'),
  z
    .strictObject({
      corrupt: z.strictObject({
        struct: z.enum(STRUCT_NAMES).describe('the structure (see docs/scenarios.md)'),
        field: z.string().describe('a field of its table (docs/structures.md)'),
        value: integer.optional().describe('the new value'),
        xor: integer.optional().describe('flip these bits instead'),
        truncate: z.literal(true).optional().describe('zero the field and the rest of the entry instead'),
        entry: count.optional().describe('entry of a table; default 0'),
        index: count.optional().describe('element of an array field; default 0'),
      }),
    })
    .describe('after the crash: overwrite a field of a dump structure before the fadump kernel boots'),
]);

export const SCENARIO_SCHEMA = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case words joined by hyphens')
    .optional()
    .describe('output subdirectory when several scenarios run; default: the file name'),
  description: z.string().optional().describe('what the scenario shows, one sentence'),
  machine: z
    .strictObject({
      platform: z
        .enum(['pseries', 'powernv'])
        .optional()
        .describe('pseries (RTAS) or powernv (OPAL); default pseries'),
      firmware: z
        .enum(PERSONALITY_NAMES)
        .optional()
        .describe('pSeries firmware personality; default powervm'),
      memory: size.optional().describe('assigned memory; default 8G'),
      lmbSize: size.optional().describe('LMB size, a power of two from 16M to 1G; default 256M'),
      cpus: z.number().int().min(1).max(2048).optional().describe('hardware threads; default 8'),
      smt: z
        .union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)])
        .optional()
        .describe('threads per core; default 1'),
      endian: z.enum(['le', 'be']).optional().describe('byte order of the first kernel; default le'),
      kernel: generation.optional().describe('first kernel: resilient (6.10+) or legacy (before 6.10)'),
      captureKernel: generation.optional().describe('fadump kernel generation; default: kernel'),
      captureEndian: z.enum(['le', 'be']).optional().describe('fadump kernel byte order; default: endian'),
      cmdline: z.string().optional().describe('kernel command line; default "root=/dev/sda2 ro fadump=on"'),
      seed: z
        .number()
        .int()
        .min(0)
        .max(0xffffffff)
        .optional()
        .describe('seed of every random choice; default 1'),
      notePids: z.boolean().optional().describe('pr_pid = CPU + 1, crashing CPU first (for gdb)'),
      bootMemRegions: z
        .number()
        .int()
        .min(1)
        .max(7)
        .optional()
        .describe('boot memory spread over this many regions (pseries)'),
      cycles: z.number().int().min(1).max(16).optional().describe('crash/capture cycles; default 1'),
    })
    .optional()
    .describe('the partition and its kernels'),
  udev: z
    .strictObject({
      enabled: z.boolean().optional().describe('run the kdump udev rule; default true'),
      latency: duration.optional().describe('from a uevent to the rule running; default 5ms'),
      perEvent: duration.optional().describe('between echo 0 and echo 1 per re-registration; default 200ms'),
    })
    .optional()
    .describe('the kdump udev rule that reacts to memory events'),
  steps: z.array(step).min(2).describe('boot, memory events, crash'),
  expect: z
    .strictObject({
      dump: z
        .enum(['captured', 'refused', 'not-triggered'])
        .optional()
        .describe('outcome of the (last) crash'),
      reason: z.string().optional().describe('text the refusal reason contains'),
      reRegistrations: count.optional().describe('re-registrations by the udev rule before the crash'),
      crash: z
        .strictObject({
          cpu: count.optional(),
          kind: z.enum(['panic', 'nmi']).optional(),
          trap: integer.optional().describe('pt_regs.trap of the crashing CPU: 0x300 panic, 0x100 NMI'),
        })
        .optional()
        .describe('the crash as the dump tells it: the CPU note holding the registers crash_fadump saved'),
      console: z.array(z.string()).optional().describe('lines some kernel printed'),
      ranges: z
        .array(z.strictObject({ start: integer, size }))
        .optional()
        .describe('the vmcore PT_LOAD ranges, exactly, in order (physical start and size)'),
      elfcorehdrOverflow: z
        .boolean()
        .optional()
        .describe('whether a legacy registration wrote its elfcorehdr past the reserved area'),
      verify: z
        .union([
          z.literal('exact'),
          z.strictObject({
            mismatchedBytes: count.optional(),
            missingBytes: count.optional(),
            extraBytes: count.optional(),
            notDumpedByDesignBytes: count.optional(),
            registerMismatches: count
              .optional()
              .describe('registers in CPU notes that differ from the CPU at the crash'),
            registersNotSavedByDesign: count
              .optional()
              .describe('registers the firmware does not save, held as 0 in the notes'),
            missingCpus: z.array(count).optional().describe('CPUs with no note in the dump'),
            extraCpus: z
              .array(count)
              .optional()
              .describe('notes for CPUs that did not exist, or a second one'),
            vmcoreinfoMismatch: z
              .array(z.string())
              .optional()
              .describe('VMCOREINFO keys that differ from the crash-time note'),
          }),
        ])
        .optional()
        .describe(
          'exact (every byte, register, CPU note and VMCOREINFO key matches; no memory missing or extra), or chosen counts',
        ),
    })
    .optional()
    .describe('what must hold after the (last) crash; a failure exits 1'),
});

export type ScenarioFile = z.infer<typeof SCENARIO_SCHEMA>;

export class ScenarioError extends Error {}

// Sizes and durations the schema has already checked.
const parseSize = (v: string | number): number => (typeof v === 'number' ? v : sizeBytes(v)!);
const parseDuration = (v: string): bigint => durationNs(v)!;

/** Parses and validates a scenario; every problem is reported as `file:line:col: message`. */
export function parseScenario(text: string, file: string): ScenarioFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    strict: true,
    uniqueKeys: true,
  });
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new ScenarioError(`${at(problem.pos[0])}: ${problem.message.split('\n')[0]}`);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ScenarioError(`${file}:1:1: ${(e as Error).message}`);
  }
  const result = SCENARIO_SCHEMA.safeParse(value);
  if (!result.success) {
    const issue = deepestIssue(result.error.issues[0]!);
    // The deepest node the path reaches, for the position.
    let node: unknown = doc.contents;
    for (const key of issue.path) {
      const next = isMap(node) || isSeq(node) ? node.get(key as never, true) : undefined;
      if (next === undefined) break;
      node = next;
    }
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const where = issue.path.length ? ` (at ${issue.path.join('.')})` : '';
    const unknown = unknownVerb(value, issue.path);
    if (unknown !== undefined) {
      throw new ScenarioError(
        `${at(range?.[0] ?? 0)}: unknown step "${unknown}": one of ${VERBS.join(', ')}${where}`,
      );
    }
    throw new ScenarioError(`${at(range?.[0] ?? 0)}: ${issue.message}${where}`);
  }
  const s = result.data;
  const steps = s.steps;
  const stepAt = (i: number) => {
    const node = doc.getIn(['steps', i], true) as { range?: [number] } | undefined;
    return at(node?.range?.[0] ?? 0);
  };
  if (steps[0] !== 'boot') throw new ScenarioError(`${stepAt(0)}: the first step must be boot`);
  const verb = (x: (typeof steps)[number]) => (typeof x === 'string' ? x : Object.keys(x)[0]!);
  const crashes = steps.flatMap((x, i) => (['crash', 'nmi'].includes(verb(x)) ? [i] : []));
  if (crashes.length !== 1) {
    throw new ScenarioError(
      `${stepAt(crashes[1] ?? steps.length - 1)}: a scenario has one crash or nmi step (it has ${crashes.length})`,
    );
  }
  const crashAt = crashes[0]!;
  for (const [i, x] of steps.entries()) {
    const v = verb(x);
    if (i === 0 || i === crashAt) continue;
    if (v === 'boot') throw new ScenarioError(`${stepAt(i)}: boot comes once, first`);
    if (i > crashAt && !AFTER_CRASH.includes(v)) {
      throw new ScenarioError(
        `${stepAt(i)}: after the crash only ${AFTER_CRASH.join(', ')} may follow, not ${v}`,
      );
    }
    if (i < crashAt && (v === 'corrupt' || v === 'release')) {
      throw new ScenarioError(`${stepAt(i)}: ${v} acts on the dump, so it comes after the crash`);
    }
    if (typeof x === 'object' && 'corrupt' in x) {
      const n = ['value', 'xor', 'truncate'].filter((k) => k in x.corrupt).length;
      if (n !== 1)
        throw new ScenarioError(`${stepAt(i)}: corrupt takes exactly one of value, xor and truncate`);
    }
    if (typeof x === 'object' && 'corrupt' in x && !fieldsOf(x.corrupt.struct).includes(x.corrupt.field)) {
      throw new ScenarioError(
        `${stepAt(i)}: ${x.corrupt.struct} has no field ${x.corrupt.field}; its fields: ${fieldsOf(x.corrupt.struct).join(', ')}`,
      );
    }
  }
  // What the model cannot run (sizes that are not powers of two, memory too small for fadump, a CPU
  // that does not exist), reported at the machine section.
  try {
    validateRunOptions(toBuilder(s).toOptions());
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const machine = isMap(doc.contents) ? doc.contents.get('machine', true) : undefined;
    const offset = (machine as { range?: [number] } | undefined)?.range?.[0] ?? 0;
    throw new ScenarioError(
      `${at(offset)}: ${e.message.replace(/--([a-z-]+) /, (_, f: string) => `${camel(f)} `)}`,
    );
  }
  return s;
}

type Issue = z.core.$ZodIssue;

const VERBS = [
  'boot',
  'hotAdd',
  'hotRemove',
  'offline',
  'online',
  'register',
  'unregister',
  'wait',
  'crash',
  'nmi',
  'corrupt',
  'release',
];

/** The verb of steps[i] when the problem is that no step has that name. */
function unknownVerb(value: unknown, path: readonly PropertyKey[]): string | undefined {
  if (path[0] !== 'steps' || typeof path[1] !== 'number') return undefined;
  const st = (value as { steps?: unknown[] }).steps?.[path[1]];
  const verb =
    typeof st === 'string'
      ? st
      : st && typeof st === 'object' && !Array.isArray(st)
        ? Object.keys(st)[0]
        : undefined;
  return verb !== undefined && !VERBS.includes(verb) ? verb : undefined;
}

/**
 * For a value no branch of a union accepts, the problem in the branch that got furthest (the one
 * whose key the value has), with its full path, rather than zod's bare "Invalid input".
 */
function deepestIssue(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return issue;
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (!first || first.code === 'unrecognized_keys') continue;
    const candidate = deepestIssue({ ...first, path: [...issue.path, ...first.path] } as Issue);
    if (!best || candidate.path.length > best.path.length) best = candidate;
  }
  return best && best.path.length > issue.path.length ? best : issue;
}

/** A CLI flag name as the scenario key that sets it (lmb-size → lmbSize). */
function camel(flag: string): string {
  const keys: Record<string, string> = { 'crash-cpu': 'crash.cpu', 'boot-mem-regions': 'bootMemRegions' };
  return keys[flag] ?? flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The builder a scenario file amounts to. */
export function toBuilder(s: ScenarioFile): Scenario {
  const m = s.machine ?? {};
  const options: Partial<RunOptions> = {
    ...(m.platform && { platform: m.platform }),
    ...(m.firmware && { firmware: m.firmware }),
    ...(m.memory !== undefined && { memory: parseSize(m.memory) }),
    ...(m.lmbSize !== undefined && { lmbSize: parseSize(m.lmbSize) }),
    ...(m.cpus !== undefined && { cpus: m.cpus }),
    ...(m.smt !== undefined && { threadsPerCore: m.smt }),
    ...(m.endian && { endian: m.endian }),
    ...(m.kernel && { kernel: m.kernel }),
    ...(m.captureKernel && { captureKernel: m.captureKernel }),
    ...(m.captureEndian && { captureEndian: m.captureEndian }),
    ...(m.cmdline !== undefined && { cmdline: m.cmdline }),
    ...(m.seed !== undefined && { seed: m.seed }),
    ...(m.notePids !== undefined && { notePids: m.notePids }),
    ...(m.bootMemRegions !== undefined && { bootMemRegions: m.bootMemRegions }),
    ...(m.cycles !== undefined && { cycles: m.cycles }),
    ...(s.udev?.enabled === false && { udev: false }),
  };
  if (s.udev?.latency || s.udev?.perEvent) {
    options.udevTiming = {
      latencyNs: s.udev.latency ? parseDuration(s.udev.latency) : DEFAULT_UDEV_TIMING.latencyNs,
      perEventNs: s.udev.perEvent ? parseDuration(s.udev.perEvent) : DEFAULT_UDEV_TIMING.perEventNs,
    };
  }
  let b = Scenario.create(options);
  const spread = (v: number | { interval?: string }) =>
    typeof v === 'object' && v.interval ? { interval: parseDuration(v.interval) } : {};
  const drcList = (d: number[] | { first: number; count: number; stride?: number | undefined }) =>
    Array.isArray(d) ? d : Array.from({ length: d.count }, (_, i) => d.first + i * (d.stride ?? 1));
  const lmbsOf = (v: number | { count: number } | { drc: Parameters<typeof drcList>[0] }) =>
    typeof v === 'number' ? v : 'drc' in v ? { drc: drcList(v.drc) } : v.count;
  const blocksOf = (v: number | { count: number }) => (typeof v === 'number' ? v : v.count);
  for (const st of s.steps) {
    if (st === 'boot') b = b.boot();
    else if (st === 'register') b = b.register();
    else if (st === 'unregister') b = b.unregister();
    else if (st === 'release') b = b.release();
    else if ('hotAdd' in st) b = b.hotAdd(lmbsOf(st.hotAdd), spread(st.hotAdd));
    else if ('hotRemove' in st) b = b.hotRemove(lmbsOf(st.hotRemove), spread(st.hotRemove));
    else if ('offline' in st) b = b.offline(blocksOf(st.offline), spread(st.offline));
    else if ('online' in st) b = b.online(blocksOf(st.online), spread(st.online));
    else if ('wait' in st) b = b.wait(parseDuration(st.wait));
    else if ('nmi' in st) b = b.nmi(st.nmi?.cpu !== undefined ? { cpu: st.nmi.cpu } : {});
    else if ('corrupt' in st) {
      const c = st.corrupt;
      b = b.corrupt({
        struct: c.struct,
        field: c.field,
        ...(c.value !== undefined && { value: BigInt(c.value) }),
        ...(c.xor !== undefined && { xor: BigInt(c.xor) }),
        ...(c.truncate && { truncate: true }),
        ...(c.entry !== undefined && { entry: c.entry }),
        ...(c.index !== undefined && { index: c.index }),
      });
    } else
      b = b.crashAt({
        ...(st.crash?.cpu !== undefined && { cpu: st.crash.cpu }),
        ...(st.crash?.atEvent !== undefined && { event: st.crash.atEvent }),
        ...(st.crash?.at !== undefined && { at: parseDuration(st.crash.at) }),
      });
  }
  return b;
}

/** Expectations that do not hold, one line each. */
export function checkExpectations(s: ScenarioFile, c: CycleSummary): string[] {
  const e = s.expect;
  if (!e) return [];
  const failed: string[] = [];
  if (e.dump && c.dump.status !== e.dump) failed.push(`dump: expected ${e.dump}, got ${c.dump.status}`);
  if (e.reason && !(c.dump.reason ?? '').includes(e.reason)) {
    failed.push(`reason: expected "${e.reason}", got "${c.dump.reason ?? ''}"`);
  }
  // The crash as the dump tells it: the note holding crash_fadump's registers.
  const crash = c.dump.crash;
  const none = c.dump.status === 'captured' ? 'no CPU note with crash_fadump registers' : 'no dump';
  if (e.crash?.cpu !== undefined && crash?.cpu !== e.crash.cpu)
    failed.push(`crash.cpu: expected ${e.crash.cpu}, got ${crash?.cpu ?? none}`);
  if (e.crash?.kind !== undefined && crash?.kind !== e.crash.kind)
    failed.push(`crash.kind: expected ${e.crash.kind}, got ${crash?.kind ?? none}`);
  if (e.crash?.trap !== undefined && (crash ? BigInt(crash.trap) : undefined) !== BigInt(e.crash.trap))
    failed.push(`crash.trap: expected 0x${BigInt(e.crash.trap).toString(16)}, got ${crash?.trap ?? none}`);
  if (e.reRegistrations !== undefined && c.hotplug.reRegistrations !== e.reRegistrations) {
    failed.push(`reRegistrations: expected ${e.reRegistrations}, got ${c.hotplug.reRegistrations}`);
  }
  const lines = [...c.console.crashed, ...c.console.capture].map((l) => l.replace(/^\[[^\]]*\] /, ''));
  for (const want of e.console ?? []) if (!lines.includes(want)) failed.push(`console: no line "${want}"`);
  if (e.ranges !== undefined) {
    const want = e.ranges.map((r) => `${BigInt(r.start).toString(16)}+${parseSize(r.size).toString(16)}`);
    const got = c.dump.loads.map((r) => `${BigInt(r.start).toString(16)}+${BigInt(r.size).toString(16)}`);
    if (want.join(' ') !== got.join(' '))
      failed.push(
        `ranges: expected ${want.map((w) => `0x${w}`).join(' ')}, got ${got.map((g) => `0x${g}`).join(' ') || 'none'}`,
      );
  }
  if (e.elfcorehdrOverflow !== undefined && c.elfcorehdrOverflowBytes > 0 !== e.elfcorehdrOverflow) {
    failed.push(
      `elfcorehdrOverflow: expected ${e.elfcorehdrOverflow}, got ${c.elfcorehdrOverflowBytes} bytes`,
    );
  }
  if (e.verify !== undefined) {
    const want =
      e.verify === 'exact'
        ? {
            mismatchedBytes: 0,
            missingBytes: 0,
            extraBytes: 0,
            registerMismatches: 0,
            missingCpus: [],
            extraCpus: [],
            vmcoreinfoMismatch: [],
          }
        : e.verify;
    for (const [k, v] of Object.entries(want)) {
      const got = c.verify[k as keyof typeof c.verify];
      // Lists are expected whole; registerMismatches by count.
      const value = k === 'registerMismatches' && Array.isArray(got) ? got.length : got;
      if (JSON.stringify(value) !== JSON.stringify(v))
        failed.push(`verify.${k}: expected ${JSON.stringify(v)}, got ${describeGot(k, got)}`);
    }
  }
  return failed;
}

/** A verify value as a failure names it: register mismatches spelled out, so the line says which. */
function describeGot(key: string, got: unknown): string {
  if (key === 'registerMismatches' && Array.isArray(got) && got.length > 0)
    return `${got.length} (${(got as { cpu: number; register: string; expected: string; got: string }[])
      .slice(0, 3)
      .map((m) => `CPU ${m.cpu} ${m.register} ${m.got}, expected ${m.expected}`)
      .join('; ')}${got.length > 3 ? '; …' : ''})`;
  return JSON.stringify(got);
}

/**
 * The built-in scenario library: scenarios/library beside the sources, or in the package root
 * above the bundle (dist/cli.mjs, dist/chunks/, dist/lib/chunks/).
 */
export function libraryDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(dir, 'library')];
  for (let up = 0; up < 4; up++, dir = dirname(dir)) candidates.push(join(dir, 'scenarios', 'library'));
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

export function libraryScenarios(): { name: string; file: string; description: string }[] {
  const dir = libraryDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const s = parseScenario(readFileSync(file, 'utf8'), file);
      return { name: basename(f, '.yaml'), file, description: s.description ?? '' };
    });
}

/** A scenario argument: a file path, or the name of a built-in scenario. */
export function resolveScenario(arg: string): string {
  if (existsSync(arg)) return arg;
  const lib = join(libraryDir(), `${arg}.yaml`);
  if (existsSync(lib)) return lib;
  throw new ScenarioError(`${arg}: no such file and no built-in scenario of that name (see fadump-sim list)`);
}
