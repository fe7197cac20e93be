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
import { sizeBytes } from './units.ts';
import {
  applyStep,
  count,
  duration,
  integer,
  parseDuration,
  STEP_SCHEMA,
  size,
  stepOrderProblem,
  VERB_NAMES,
} from './verbs.ts';

const generation = z.enum(GENERATION_NAMES);

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
  steps: z.array(STEP_SCHEMA).min(2).describe('boot, memory events, crash'),
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
        `${at(range?.[0] ?? 0)}: unknown step "${unknown}": one of ${VERB_NAMES.join(', ')}${where}`,
      );
    }
    throw new ScenarioError(`${at(range?.[0] ?? 0)}: ${issue.message}${where}`);
  }
  const s = result.data;
  const order = stepOrderProblem(s.steps);
  if (order) {
    const node = doc.getIn(['steps', order.step], true) as { range?: [number] } | undefined;
    throw new ScenarioError(`${at(node?.range?.[0] ?? 0)}: ${order.message}`);
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
  return verb !== undefined && !(VERB_NAMES as string[]).includes(verb) ? verb : undefined;
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
  return s.steps.reduce(applyStep, Scenario.create(options));
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
