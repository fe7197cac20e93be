// Scenario files: YAML that mirrors the Scenario builder one to one (machine, steps, expect), parsed
// with positions and validated against the schema (scenario-schema.ts); every error names the file,
// line and column. The expectations are expectations.ts, the built-in library library.ts.

import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../emulator/memory-blocks.ts';
import { DEFAULT_UDEV_TIMING } from '../kernel-model/kdump-udev.ts';
import { Scenario } from './builder.ts';
import { nearest } from './nearest.ts';
import { validateRunOptions } from './run-checks.ts';
import type { RunOptions } from './run-options.ts';
import { ScenarioError } from './scenario-error.ts';
import { SCENARIO_SCHEMA, type ScenarioFile } from './scenario-schema.ts';
import { sizeBytes } from './units.ts';
import { applyStep, parseDuration, stepOrderProblem, VERB_NAMES, VERBS, verbOf } from './verbs.ts';

export { SCENARIO_SCHEMA, ScenarioError, type ScenarioFile };

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
    // Problems with a step as a whole are reported at the step.
    const step = issue.path[0] === 'steps' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
    const stepNode =
      step !== undefined ? (doc.getIn(['steps', step], true) as { range?: [number] }) : undefined;
    const stepAt = at(stepNode?.range?.[0] ?? range?.[0] ?? 0);
    const unknown = unknownVerb(value, issue.path);
    if (unknown !== undefined) {
      throw new ScenarioError(
        `${stepAt}: unknown step "${unknown}"${didYouMean(unknown, VERB_NAMES)}: one of ${VERB_NAMES.join(', ')} (at steps.${step})`,
      );
    }
    const shape = stepShapeProblem(value, issue.path);
    if (shape) throw new ScenarioError(`${stepAt}: ${shape} (at steps.${step})`);
    if (issue.code === 'unrecognized_keys') {
      // At the key itself, with the known key it is nearest to.
      const key = issue.keys[0]!;
      const pair = isMap(node)
        ? node.items.find((p) => (p.key as { value?: unknown })?.value === key)
        : undefined;
      const keyAt = (pair?.key as { range?: [number] } | undefined)?.range?.[0] ?? range?.[0] ?? 0;
      const guess = nearest(key, schemaKeys());
      throw new ScenarioError(
        `${at(keyAt)}: unknown key "${key}"${guess ? `: did you mean "${guess}"?` : ''}${where}`,
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
  // that does not exist, DRC indexes no LMB has), reported where the file says it.
  try {
    validateRunOptions(toBuilder(s).toOptions());
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ScenarioError(configErrorIn(doc, s, e, at));
  }
  return s;
}

type Issue = z.core.$ZodIssue;

const didYouMean = (word: string, known: readonly string[]) => {
  const guess = nearest(word, known);
  return guess ? ` (did you mean ${guess}?)` : '';
};

let keys: string[] | undefined;
/** Every key a scenario file may use anywhere, for "did you mean". */
function schemaKeys(): string[] {
  if (keys) return keys;
  const found = new Set<string>();
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object')
      for (const k of Object.keys(o.properties)) found.add(k);
    for (const x of Object.values(o)) walk(x);
  };
  walk(z.toJSONSchema(SCENARIO_SCHEMA, { target: 'draft-7', unrepresentable: 'any' }));
  keys = [...found];
  return keys;
}

/**
 * When steps[i] is not shaped as a step at all: what a step looks like. A verb that takes a value
 * written as a bare word (`- crash`) is told how to write it.
 */
function stepShapeProblem(value: unknown, path: readonly PropertyKey[]): string | undefined {
  if (path[0] !== 'steps' || typeof path[1] !== 'number') return undefined;
  const st = (value as { steps?: unknown[] }).steps?.[path[1]];
  const words = VERB_NAMES.filter((n) => !VERBS[n].value);
  const known = (v: unknown): v is string => typeof v === 'string' && (VERB_NAMES as string[]).includes(v);
  if (known(st) && !(words as string[]).includes(st)) {
    const example = st === 'crash' || st === 'nmi' ? ` (or "- ${st}: { cpu: 2 }")` : '';
    return `${st} takes a value: write "- ${st}: {}"${example}; see docs/scenarios.md`;
  }
  if (typeof st === 'string') return undefined;
  if (st !== null && typeof st === 'object' && !Array.isArray(st)) {
    const keys = Object.keys(st);
    return keys.length === 1
      ? undefined
      : `a step has one verb, this one has ${keys.length} (${keys.join(', ')}): write each as its own "- " item`;
  }
  return `a step is a word (${words.join(', ')}) or a map with one verb and its value, such as "- hotAdd: 2" or "- crash: { cpu: 2 }"; see docs/scenarios.md`;
}

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

/**
 * A ConfigError about a scenario file, as `file:line:col: message` in the file's words: at the step
 * it is about (a memory step, or the crash for crash.cpu, crash.atEvent and crash.at), else at the
 * machine key, else at the machine section.
 */
function configErrorIn(
  doc: ReturnType<typeof parseDocument>,
  s: ScenarioFile,
  e: ConfigError,
  at: (offset: number) => string,
): string {
  const flag = /^--([a-z-]+)/.exec(e.message)?.[1];
  const key = flag ? camel(flag) : undefined;
  // Every flag the message names, in the file's words.
  const message = e.message.replace(/--([a-z][a-z-]*)/g, (_, f: string) => camel(f));
  const node = (path: unknown[]) => doc.getIn(path, true) as { range?: [number] } | undefined;
  const crashAt = s.steps.findIndex((st) => typeof st === 'object' && ('crash' in st || 'nmi' in st));
  // RunOptions.steps are the file's steps of the first kernel's timeline, in order.
  const timeline = s.steps.flatMap((st, i) => {
    const phase = VERBS[verbOf(st).name].phase;
    return i < crashAt && (phase === 'before' || phase === 'either') ? [i] : [];
  });
  let target: { range?: [number] } | undefined;
  if (e.step !== undefined && timeline[e.step] !== undefined) target = node(['steps', timeline[e.step]]);
  else if (key?.startsWith('crash.') && crashAt >= 0) {
    const verb = Object.keys(s.steps[crashAt] as object)[0]!;
    target = node(['steps', crashAt, verb, key.slice(6)]) ?? node(['steps', crashAt]);
  } else if (key) target = node(['machine', key]);
  target ??= node(['machine']);
  return `${at(target?.range?.[0] ?? 0)}: ${message}`;
}

/**
 * A ConfigError raised while a scenario file ran (one that only the run could find, such as a
 * crash time before the first kernel is up), as `file:line:col: message` in the file's words.
 */
export function configErrorAt(text: string, file: string, e: ConfigError): string {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  return configErrorIn(doc, parseScenario(text, file), e, at);
}

/** A CLI flag name as the scenario key that sets it (lmb-size → lmbSize). */
function camel(flag: string): string {
  const keys: Record<string, string> = {
    'crash-cpu': 'crash.cpu',
    'crash-at-event': 'crash.atEvent',
    'crash-at-time': 'crash.at',
    'boot-mem-regions': 'bootMemRegions',
  };
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
    ...(s.dump && {
      dump: { format: s.dump.format ?? 'elf', ...(s.dump.level !== undefined && { level: s.dump.level }) },
    }),
  };
  if (s.udev?.latency || s.udev?.perEvent) {
    options.udevTiming = {
      latencyNs: s.udev.latency ? parseDuration(s.udev.latency) : DEFAULT_UDEV_TIMING.latencyNs,
      perEventNs: s.udev.perEvent ? parseDuration(s.udev.perEvent) : DEFAULT_UDEV_TIMING.perEventNs,
    };
  }
  return s.steps.reduce(applyStep, Scenario.create(options));
}
