// The fadump-sim command line. `run` replays the built-in default scenario (or one changed by the
// machine and event options) and writes vmcore, summary.json, console.log and report.html; `compare` runs the
// same scenario with legacy and resilient kernels side by side. Bad input: one line on stderr, exit
// code 2, nothing written.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import yargs, { type Argv } from 'yargs';
import { DtbError } from '../emulator/dtb.ts';
import { ConfigError } from '../emulator/memory-blocks.ts';
import type { Generation } from '../kernel-model/kernel.ts';
import { VmcoreError } from '../kernel-model/vmcore-reader.ts';
import type { LogLevel } from '../scenarios/event-log.ts';
import {
  type CycleSummary,
  DEFAULT_RUN,
  type RunOptions,
  runScenario,
  validateRunOptions,
} from '../scenarios/run.ts';
import {
  checkExpectations,
  libraryScenarios,
  parseScenario,
  resolveScenario,
  ScenarioError,
  type ScenarioFile,
  toBuilder,
} from '../scenarios/scenario-file.ts';
import { explain } from './explain.ts';
import { inspect } from './inspect.ts';

export const EXIT_OK = 0;
export const EXIT_DUMP_FAILED = 1;
export const EXIT_USAGE = 2;

class UsageError extends Error {}

/** Parses "8G", "256M", "1024K", "0x10000000" or a plain byte count. */
export function parseSize(flag: string, text: string): number {
  const m = /^(0x[0-9a-f]+|\d+)\s*([KMGT]i?B?)?$/i.exec(String(text).trim());
  if (!m) throw new UsageError(`--${flag} ${text}: expected a size such as 512M, 8G or 1T`);
  const unit = (m[2] ?? '').charAt(0).toUpperCase();
  const mult: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
  const n = Number(m[1]) * mult[unit]!;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag} ${text} is too large`);
  return n;
}

/** Parses a duration such as "5ms", "0.2s", "150us" or "2000000ns" into nanoseconds. */
export function parseDuration(flag: string, text: string): bigint {
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|ms|s)$/.exec(String(text).trim());
  if (!m) throw new UsageError(`--${flag} ${text}: expected a duration such as 5ms or 0.2s`);
  const scale: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 };
  return BigInt(Math.round(Number(m[1]) * scale[m[2]!]!));
}

function fail(message: string): never {
  process.stderr.write(`fadump-sim: error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(EXIT_USAGE);
}

/** A directory we would be writing into that holds someone else's files. */
function isForeignDir(dir: string): boolean {
  if (!existsSync(dir) || existsSync(join(dir, 'summary.json')) || existsSync(join(dir, 'legacy')))
    return false;
  try {
    return !statSync(dir).isDirectory() || readdirSync(dir).length > 0;
  } catch {
    return true;
  }
}

/** Options shared by run and compare: the machine, the memory events and the crash. */
function scenarioOptions<T>(y: Argv<T>) {
  return y
    .option('out', { type: 'string', default: 'out', describe: 'Output directory' })
    .option('platform', { type: 'string', default: DEFAULT_RUN.platform, choices: ['pseries', 'powernv'] })
    .option('firmware', { type: 'string', default: DEFAULT_RUN.firmware, choices: ['powervm', 'qemu'] })
    .option('memory', { type: 'string', default: '8G', describe: 'Assigned memory' })
    .option('lmb-size', { type: 'string', default: '256M', describe: 'LMB size: power of two, 16M-1G' })
    .option('cpus', { type: 'number', default: DEFAULT_RUN.cpus, describe: 'Hardware threads' })
    .option('smt', { type: 'number', default: DEFAULT_RUN.threadsPerCore, describe: 'Threads per core' })
    .option('endian', { type: 'string', default: DEFAULT_RUN.endian, choices: ['le', 'be'] })
    .option('crash-cpu', { type: 'number', default: DEFAULT_RUN.crashCpu })
    .option('seed', { type: 'number', default: DEFAULT_RUN.seed })
    .option('boot-mem-regions', { type: 'number', default: DEFAULT_RUN.bootMemRegions })
    .option('note-pids', {
      type: 'boolean',
      default: false,
      describe: 'pr_pid = CPU + 1, crashing CPU first (gdb shows a thread per CPU)',
    })
    .option('cmdline', { type: 'string', default: DEFAULT_RUN.cmdline, describe: 'Kernel command line' })
    .option('hot-add', {
      type: 'number',
      default: 0,
      describe: 'LMBs hot-added before the crash (one bulk event)',
    })
    .option('hot-remove', {
      type: 'number',
      default: 0,
      describe: 'LMBs hot-removed before the crash (one bulk event)',
    })
    .option('offline', { type: 'number', default: 0, describe: 'Memory blocks offlined before the crash' })
    .option('crash-at-event', {
      type: 'number',
      describe: 'Crash while udev handles the K-th memory online/offline event (1-based)',
    })
    .option('udev', {
      type: 'boolean',
      default: true,
      describe: 'Run the kdump udev rule (--no-udev: nothing re-registers)',
    })
    .option('udev-latency', {
      type: 'string',
      default: '5ms',
      describe: 'From a uevent to the udev rule running',
    })
    .option('udev-per-event', {
      type: 'string',
      default: '200ms',
      describe: 'Time between echo 0 and echo 1 for one re-registration',
    })
    .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON' })
    .option('log-level', {
      type: 'string',
      default: 'info',
      choices: ['debug', 'info', 'warn', 'error', 'silent'],
      describe: 'Level of DIR/events.jsonl (debug adds every firmware call)',
    });
}

type ScenarioArgs = ReturnType<typeof scenarioOptions> extends Argv<infer A> ? A : never;

function toRunOptions(a: ScenarioArgs, extra: Partial<RunOptions> = {}): RunOptions {
  const counts = (flag: string, n: number) => {
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${flag} ${n} must be a count (0 or more)`);
    return n;
  };
  return {
    ...DEFAULT_RUN,
    platform: a.platform as 'pseries' | 'powernv',
    firmware: a.firmware as 'powervm' | 'qemu',
    memory: parseSize('memory', a.memory),
    lmbSize: parseSize('lmb-size', a['lmb-size']),
    cpus: a.cpus,
    threadsPerCore: a.smt,
    endian: a.endian as 'le' | 'be',
    crashCpu: a['crash-cpu'],
    seed: a.seed,
    bootMemRegions: a['boot-mem-regions'],
    notePids: a['note-pids'],
    cmdline: a.cmdline,
    hotplug: {
      add: counts('hot-add', a['hot-add']),
      remove: counts('hot-remove', a['hot-remove']),
      offline: counts('offline', a.offline),
    },
    udev: a.udev,
    logLevel: a['log-level'] as LogLevel,
    udevTiming: {
      latencyNs: parseDuration('udev-latency', a['udev-latency']),
      perEventNs: parseDuration('udev-per-event', a['udev-per-event']),
    },
    ...(a['crash-at-event'] !== undefined
      ? { crashAtEvent: counts('crash-at-event', a['crash-at-event']) }
      : {}),
    ...extra,
  };
}

/** Validates everything before anything is written; exits 2 with one line on bad input. */
function prepare(a: ScenarioArgs, variants: Partial<RunOptions>[]): RunOptions[] {
  try {
    const all = variants.map((v) => toRunOptions(a, v));
    for (const o of all) validateRunOptions(o);
    if (isForeignDir(a.out))
      throw new UsageError(`--out ${a.out} exists and is not a fadump-sim output directory`);
    return all;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) fail(e.message);
    throw e;
  }
}

/**
 * Runs scenario files or built-in names. All are read and validated first (exit 2 on the first bad
 * one, nothing written); each runs into DIR (one) or DIR/<name> (several); exit 1 when an
 * expectation fails, naming it.
 */
async function runFiles(args: string[], out: string, json: boolean): Promise<void> {
  let loaded: { name: string; scenario: ScenarioFile }[];
  try {
    loaded = args.map((arg) => {
      const file = resolveScenario(arg);
      const scenario = parseScenario(readFileSync(file, 'utf8'), file);
      validateRunOptions(toBuilder(scenario).toOptions());
      return { name: scenario.name ?? basename(file).replace(/\.ya?ml$/, ''), scenario };
    });
    if (isForeignDir(out))
      throw new UsageError(`--out ${out} exists and is not a fadump-sim output directory`);
  } catch (e) {
    if (e instanceof ScenarioError || e instanceof ConfigError || e instanceof UsageError) fail(e.message);
    throw e;
  }
  // A progress bar only for people watching a terminal: never when piped, under CI or with --json.
  const showBar = loaded.length > 1 && !json && process.stderr.isTTY === true && process.env.CI !== 'true';
  const bar = showBar
    ? new SingleBar(
        { format: '{bar} {value}/{total} {name}', stream: process.stderr, hideCursor: true },
        Presets.shades_classic,
      )
    : undefined;
  bar?.start(loaded.length, 0, { name: '' });
  const results = [];
  for (const { name, scenario } of loaded) {
    bar?.update({ name });
    const dir = loaded.length === 1 ? out : join(out, name);
    const { summary } = await toBuilder(scenario).run(dir);
    const failed = checkExpectations(scenario, summary.cycles.at(-1)!);
    results.push({ name, dir, dump: summary.dump.status, failed });
    bar?.increment();
    if (!json) {
      const verdict = failed.length === 0 ? 'ok' : 'FAILED';
      process.stdout.write(`${name}: ${summary.dump.status} ${verdict} -> ${dir}\n`);
      for (const f of failed) process.stdout.write(`  expectation failed: ${f}\n`);
    }
  }
  bar?.stop();
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  if (results.some((r) => r.failed.length > 0)) process.exitCode = EXIT_DUMP_FAILED;
}

/** The figures `compare` reports for one generation. */
function outcome(c: CycleSummary) {
  return {
    reRegistrations: c.hotplug.reRegistrations,
    rtasCalls: c.hotplug.rtasCalls,
    unregisteredNs: c.hotplug.unregisteredNs,
    elfcorehdrOverflowBytes: c.elfcorehdrOverflowBytes,
    dump: { status: c.dump.status, ...(c.dump.reason ? { reason: c.dump.reason } : {}) },
    verify: c.verify,
  };
}

export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('fadump-sim')
    .usage(
      '$0 <command> [options]\n\nA deterministic model of an IBM POWER partition and firmware-assisted dump.',
    )
    .command(
      'run [scenarios..]',
      'Boot, register fadump, crash, capture the vmcore and verify it: the default machine changed by the options, or scenario files / built-in scenario names',
      (y) =>
        scenarioOptions(y)
          .positional('scenarios', {
            type: 'string',
            array: true,
            describe: 'Scenario files or built-in names (fadump-sim list)',
          })
          .option('kernel', {
            type: 'string',
            default: DEFAULT_RUN.kernel,
            choices: ['resilient', 'legacy'],
            describe: 'First kernel: 6.10+ (resilient) or before 6.10 (legacy)',
          })
          .option('capture-kernel', {
            type: 'string',
            choices: ['resilient', 'legacy'],
            describe: 'fadump kernel generation [default: --kernel]',
          })
          .option('capture-endian', {
            type: 'string',
            choices: ['le', 'be'],
            describe: 'fadump kernel byte order [default: --endian]',
          })
          .option('cycles', { type: 'number', default: 1, describe: 'Crash/capture cycles' }),
      async (a) => {
        const names = (a.scenarios as string[] | undefined) ?? [];
        if (names.length > 0) {
          await runFiles(names, a.out, a.json);
          return;
        }
        const [opts] = prepare(a, [
          {
            kernel: a.kernel as Generation,
            captureKernel: a['capture-kernel'] as Generation | undefined,
            captureEndian: a['capture-endian'] as 'le' | 'be' | undefined,
            cycles: a.cycles,
          },
        ]);
        const { summary } = await runScenario(opts!, a.out);
        if (a.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else {
          const d = summary.dump;
          process.stdout.write(
            `dump: ${d.status}${d.reason ? ` (${d.reason})` : ''}${d.vmcore ? ` -> ${a.out}/${d.vmcore}` : ''}\n` +
              `crash: CPU ${summary.crash.cpu} nip ${summary.crash.nip}\n` +
              `verify: ${summary.verify.mismatchedBytes ?? 'n/a'} mismatched bytes\n` +
              `wrote ${a.out}/summary.json, ${a.out}/console.log, ${a.out}/report.html\n`,
          );
        }
        if (summary.dump.status !== 'captured' || summary.verify.mismatchedBytes !== 0)
          process.exitCode = EXIT_DUMP_FAILED;
      },
    )
    .command(
      'compare',
      'Run one scenario with legacy (before 6.10) and resilient (6.10+) kernels and compare the outcomes',
      (y) => scenarioOptions(y),
      async (a) => {
        const [legacy, resilient] = prepare(a, [
          { kernel: 'legacy', captureKernel: 'legacy' },
          { kernel: 'resilient', captureKernel: 'resilient' },
        ]);
        const result = {
          legacy: outcome((await runScenario(legacy!, join(a.out, 'legacy'))).summary.cycles[0]!),
          resilient: outcome((await runScenario(resilient!, join(a.out, 'resilient'))).summary.cycles[0]!),
        };
        if (a.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const rows: [string, (o: ReturnType<typeof outcome>) => string][] = [
          ['dump', (o) => o.dump.status],
          ['re-registrations', (o) => String(o.reRegistrations)],
          ['RTAS calls for events', (o) => String(o.rtasCalls)],
          ['time unregistered', (o) => `${(o.unregisteredNs / 1e6).toFixed(1)} ms`],
          ['elfcorehdr overflow', (o) => `${o.elfcorehdrOverflowBytes} bytes`],
          ['vmcore mismatched bytes', (o) => String(o.verify.mismatchedBytes ?? 'n/a')],
          ['memory missing from vmcore', (o) => String(o.verify.missingBytes ?? 'n/a')],
          ['vmcore bytes not in memory', (o) => String(o.verify.extraBytes ?? 'n/a')],
        ];
        const lines = [['', 'legacy (< 6.10)', 'resilient (6.10+)']];
        for (const [label, f] of rows) lines.push([label, f(result.legacy), f(result.resilient)]);
        for (const l of lines) process.stdout.write(`${l[0]!.padEnd(28)}${l[1]!.padEnd(20)}${l[2]}\n`);
      },
    )
    .command(
      'list',
      'List the built-in scenarios',
      (y) => y.option('json', { type: 'boolean', default: false }),
      (a) => {
        const all = libraryScenarios();
        if (a.json)
          process.stdout.write(
            `${JSON.stringify(
              all.map(({ name, description }) => ({ name, description })),
              null,
              2,
            )}\n`,
          );
        else for (const s of all) process.stdout.write(`${s.name.padEnd(40)} ${s.description}\n`);
      },
    )
    .command(
      'explain [scenario]',
      'Run a scenario (default: the built-in default) and narrate it: events, firmware calls, annotated structures',
      (y) =>
        y
          .positional('scenario', {
            type: 'string',
            describe: 'Scenario file or built-in name',
            default: 'default',
          })
          .option('out', { type: 'string', default: 'out', describe: 'Output directory' }),
      async (a) => {
        let builder: ReturnType<typeof toBuilder>;
        try {
          const file = resolveScenario(a.scenario);
          builder = toBuilder(parseScenario(readFileSync(file, 'utf8'), file));
          if (isForeignDir(a.out))
            throw new UsageError(`--out ${a.out} exists and is not a fadump-sim output directory`);
        } catch (e) {
          if (e instanceof ScenarioError || e instanceof UsageError) fail(e.message);
          throw e;
        }
        process.stdout.write(`${await explain(builder, a.out)}\n`);
      },
    )
    .command(
      'inspect <file>',
      'Decode a vmcore or OPAL core (headers, notes, CPUs, VMCOREINFO, dmesg) or a device tree blob',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true })
          .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON' }),
      (a) => {
        try {
          process.stdout.write(`${inspect(a.file, a.json)}\n`);
        } catch (e) {
          if (e instanceof VmcoreError || e instanceof DtbError) fail(`${a.file}: ${e.message}`);
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') fail(`${a.file}: no such file`);
          throw e;
        }
      },
    )
    .demandCommand(1, 'Name a command: run, compare, list or inspect')
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      fail(msg);
    })
    .help()
    .version(false)
    .parseAsync();
}
