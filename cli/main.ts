// The fadump-sim command line. `run` replays the built-in default scenario (or one changed by the
// machine and event options) and writes vmcore, summary.json, console.log and report.html; `compare` runs the
// same scenario with legacy and resilient kernels side by side. Bad input: one line on stderr, exit
// code 2, nothing written.

import type { Argv } from 'yargs';
import yargs from 'yargs';
import {
  DEFAULT_RUN,
  type DumpFormatName,
  durationNs,
  KERNEL_NAMES,
  type KernelName,
  type LogLevel,
  nearest,
  PERSONALITY_NAMES,
  type PersonalityName,
  type RunOptions,
  sizeBytes,
  VERSION,
} from '../api/options.ts';
import { fail, UsageError } from './fail.ts';

export { EXIT_DUMP_FAILED, EXIT_OK, EXIT_USAGE } from './fail.ts';

/** The commands' implementations, loaded when one runs (so --help does not load the model). */
const commands = () => import('./commands.ts');
/** What reads scenario files and the library, loaded only when one is named. */
const scenarioCommands = () => import('./scenario-commands.ts');

/** Parses "8G", "256M", "1024K", "0x10000000" or a plain byte count. */
export function parseSize(flag: string, text: string): number {
  const n = sizeBytes(text);
  if (n === undefined) throw new UsageError(`--${flag} ${text}: expected a size such as 512M, 8G or 1T`);
  // A small number without a unit is a forgotten unit, not a size in bytes.
  if (/^\d+$/.test(text.trim()) && n < 2 ** 20)
    throw new UsageError(
      `--${flag} ${text} is ${n} bytes, too small to be meant: add a unit, as in ${text}G or ${text}M`,
    );
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag} ${text} is too large`);
  return n;
}

/** Parses a duration such as "5ms", "0.2s", "150us" or "2000000ns" into nanoseconds. */
export function parseDuration(flag: string, text: string): bigint {
  const ns = durationNs(text);
  if (ns === undefined) throw new UsageError(`--${flag} ${text}: expected a duration such as 5ms or 0.2s`);
  return ns;
}

/** Where a run writes: --out and --force (run, compare, explain). */
function outputOptions<T>(y: Argv<T>) {
  return y
    .option('out', {
      type: 'string',
      default: 'out',
      describe: 'Output directory (must not exist or be empty)',
    })
    .option('force', {
      type: 'boolean',
      default: false,
      describe: 'Replace the output directory of an earlier run (never one holding other files)',
    });
}

/** Options shared by run and compare: the machine, the memory events and the crash. */
function scenarioOptions<T>(y: Argv<T>) {
  return outputOptions(y)
    .option('platform', {
      type: 'string',
      default: DEFAULT_RUN.platform,
      choices: ['pseries', 'powernv'],
      describe: 'pseries: an LPAR with RTAS; powernv: bare metal with skiboot (OPAL)',
    })
    .option('firmware', {
      type: 'string',
      default: DEFAULT_RUN.firmware,
      choices: PERSONALITY_NAMES,
      describe: 'pSeries firmware: PowerVM, or QEMU as its source behaves',
    })
    .option('memory', { type: 'string', default: '8G', describe: 'Assigned memory' })
    .option('lmb-size', { type: 'string', default: '256M', describe: 'LMB size: power of two, 16M-1G' })
    .option('cpus', { type: 'number', default: DEFAULT_RUN.cpus, describe: 'Hardware threads' })
    .option('smt', { type: 'number', default: DEFAULT_RUN.threadsPerCore, describe: 'Threads per core' })
    .option('endian', {
      type: 'string',
      default: DEFAULT_RUN.endian,
      choices: ['le', 'be'],
      describe: 'Byte order of the first kernel: le (ppc64le) or be (ppc64)',
    })
    .option('crash-cpu', {
      type: 'number',
      default: DEFAULT_RUN.crashCpu,
      describe: 'The CPU that panics (or, with an NMI, enters fadump first)',
    })
    .option('seed', {
      type: 'number',
      default: DEFAULT_RUN.seed,
      describe: 'Seed of every random choice (memory contents, firmware picks): same seed, same bytes',
    })
    .option('boot-mem-regions', {
      type: 'number',
      default: DEFAULT_RUN.bootMemRegions,
      describe: 'Spread boot memory over this many regions (unassigned LMBs make the holes; pseries)',
    })
    .option('note-pids', {
      type: 'boolean',
      default: false,
      describe:
        'pr_pid = CPU + 1, crashing CPU first: gdb shows a thread per CPU, but crash, which takes the i-th note for the i-th CPU, then gives CPUs the wrong registers',
    })
    .option('cmdline', { type: 'string', default: DEFAULT_RUN.cmdline, describe: 'Kernel command line' })
    .option('bootargs-append', {
      type: 'string',
      describe:
        'Written to /sys/kernel/fadump/bootargs_append after boot (6.10+; pSeries with a parameter area): the fadump kernel appends it to its command line',
    })
    .option('hot-add', {
      type: 'number',
      default: 0,
      describe: 'LMBs hot-added before the crash (one DLPAR request; a uevent per LMB, udev after)',
    })
    .option('hot-remove', {
      type: 'number',
      default: 0,
      describe: 'LMBs hot-removed before the crash (one DLPAR request; a uevent per LMB, udev after)',
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

/** The kernels of a run: the first kernel, the fadump kernel, and how many crash cycles. */
function kernelOptions<T>(y: Argv<T>) {
  return y
    .option('kernel', {
      type: 'string',
      default: DEFAULT_RUN.kernel,
      choices: KERNEL_NAMES,
      describe: 'First kernel: a Linux release; legacy is 6.9 (before the seed change), resilient the newest',
    })
    .option('capture-kernel', {
      type: 'string',
      choices: KERNEL_NAMES,
      describe: 'fadump kernel release [default: --kernel]',
    })
    .option('capture-endian', {
      type: 'string',
      choices: ['le', 'be'],
      describe: 'fadump kernel byte order [default: --endian]',
    })
    .option('cycles', { type: 'number', default: 1, describe: 'Crash/capture cycles' });
}

/** How the kdump service saves the dump (run). */
function dumpOptions<T>(y: Argv<T>) {
  return y
    .option('dump-format', {
      type: 'string',
      default: 'elf',
      choices: ['elf', 'kdump'],
      describe:
        'elf: /proc/vmcore copied as it is (readelf and gdb open it), or with a --dump-level as makedumpfile -E writes it; kdump: compressed as makedumpfile -c writes it',
    })
    .option('dump-level', {
      type: 'number',
      describe:
        "makedumpfile's -d: the sum of 1 zero pages, 2 cache, 4 cache with private data, 8 user data, 16 free pages [default: 31 with kdump, 0 with elf]",
    });
}

function dumpOf(a: { 'dump-format': string; 'dump-level'?: number | undefined }): Partial<RunOptions> {
  return {
    dump: {
      format: a['dump-format'] as DumpFormatName,
      ...(a['dump-level'] !== undefined && { level: a['dump-level'] }),
    },
  };
}

function kernelsOf(a: {
  kernel: string;
  'capture-kernel'?: string | undefined;
  'capture-endian'?: string | undefined;
  cycles: number;
}): Partial<RunOptions> {
  return {
    kernel: a.kernel as KernelName,
    captureKernel: a['capture-kernel'] as KernelName | undefined,
    captureEndian: a['capture-endian'] as 'le' | 'be' | undefined,
    cycles: a.cycles,
  };
}

/** Options that only shape the output, not the machine: allowed beside a scenario file. */
const OUTPUT_FLAGS = ['out', 'force', 'json', 'log-level', 'inject-fault', 'help'];

/** A scenario file sets its own machine: machine options beside one are an error, not ignored. */
function noMachineFlags(argv: readonly string[], command: string): void {
  const given = argv
    .filter((x) => x.startsWith('--'))
    .map((x) => x.slice(2).split('=')[0]!.replace(/^no-/, ''))
    .filter((f) => !OUTPUT_FLAGS.includes(f));
  if (given.length)
    fail(
      `${command}: --${given[0]} does not apply to a scenario file, which sets its own machine (change the file, or leave the file out to change the default machine)`,
    );
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
    firmware: a.firmware as PersonalityName,
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
    ...(a['bootargs-append'] !== undefined && { bootargsAppend: a['bootargs-append'] as string }),
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

const COMMANDS = ['run', 'compare', 'check', 'list', 'explain', 'inspect', 'vmlinux', 'lab'];

/** The text given for `--flag` on the command line (yargs has already turned it into a number). */
function rawValue(argv: readonly string[], flag: string): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith(`--${flag}=`)) return a.slice(flag.length + 3);
    if (a === `--${flag}`) return argv[i + 1] ?? '';
  }
  return '';
}

/** `--page ADDR`: a physical address in hex (0x…) or decimal, or one line and exit 2. */
function physicalAddress(text: string): number {
  const v = /^0x[0-9a-f]+$/i.test(text)
    ? Number.parseInt(text, 16)
    : /^\d+$/.test(text)
      ? Number(text)
      : Number.NaN;
  if (!Number.isSafeInteger(v))
    fail(`--page ${text || '(nothing)'}: expected a physical address, hex (0x10000000) or decimal`);
  return v;
}

/** "did you mean" for a mistyped name, or nothing. */
function didYouMean(word: string, known: readonly string[], prefix = ''): string {
  const guess = nearest(word, known);
  return guess ? ` (did you mean ${prefix}${guess}?)` : '';
}

export async function main(argv: string[]): Promise<void> {
  // An unknown command is an error even with --help (yargs would print the general help).
  const first = argv[0];
  if (first !== undefined && !first.startsWith('-') && !COMMANDS.includes(first))
    fail(`unknown command "${first}"${didYouMean(first, COMMANDS)}: one of ${COMMANDS.join(', ')}`);
  const parser = yargs(argv);
  // yargs renders a command's whole help before running it, in case a failure shows it (70 ms for
  // `run`); ours never does (.fail below prints one line), so the text is made only when asked for.
  const usage = (
    parser as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } }
  )
    .getInternalMethods()
    .getUsageInstance();
  usage.cacheHelpMessage = () => {};
  await parser
    .scriptName('fadump-sim')
    .usage(
      '$0 <command> [options]\n\nA deterministic model of an IBM POWER partition and firmware-assisted dump.',
    )
    .command(
      'run [scenarios..]',
      'Boot, register fadump, crash, capture the vmcore and verify it: the default machine changed by the options, or scenario files / built-in scenario names',
      (y) =>
        dumpOptions(kernelOptions(scenarioOptions(y)))
          .positional('scenarios', {
            type: 'string',
            array: true,
            describe: 'Scenario files or built-in names (fadump-sim list)',
          })
          .option('inject-fault', {
            type: 'string',
            array: true,
            hidden: true,
            describe: 'Test only: turn on a deliberate model bug (replays check counterexamples)',
          }),
      async (a) => {
        const names = (a.scenarios as string[] | undefined) ?? [];
        const c = await commands();
        await c.setFaults(a['inject-fault'] ?? []);
        if (names.length > 0) {
          noMachineFlags(argv, 'run');
          await (await scenarioCommands()).runFiles(
            names,
            a.out,
            a.json,
            a['log-level'] as LogLevel,
            a.force,
          );
          return;
        }
        const [opts] = c.prepare(a.out, a.force, () => [toRunOptions(a, { ...kernelsOf(a), ...dumpOf(a) })]);
        await c.runOne(opts!, a.out, a.json);
      },
    )
    .command(
      'compare [scenario]',
      'Run one scenario (the default machine changed by the options, or a scenario file / built-in name) with legacy (before 6.10) and resilient (6.10+) kernels and compare the outcomes',
      (y) =>
        scenarioOptions(y).positional('scenario', {
          type: 'string',
          describe: 'Scenario file or built-in name (its kernels are replaced by each generation)',
        }),
      async (a) => {
        const c = await commands();
        if (a.scenario) noMachineFlags(argv, 'compare');
        const files = a.scenario ? await scenarioCommands() : undefined;
        const base = () => (a.scenario ? files!.scenarioOptions(a.scenario) : toRunOptions(a));
        const [legacy, resilient] = c.prepare(a.out, a.force, () => [
          { ...base(), kernel: 'legacy', captureKernel: 'legacy' },
          { ...base(), kernel: 'resilient', captureKernel: 'resilient' },
        ]);
        await c.compare(legacy!, resilient!, a.out, a.json);
      },
    )
    .command(
      'check [properties..]',
      'Run property campaigns (resilient-exact, mutation-safe, deterministic) and shrink each failure to a scenario file',
      (y) =>
        y
          .positional('properties', {
            type: 'string',
            array: true,
            describe: 'Properties to run [default: all]',
          })
          .option('runs', { type: 'number', default: 100, describe: 'Cases per property (before sharding)' })
          .option('seed', {
            type: 'number',
            default: 1,
            describe: 'Campaign seed: case j is seeded from (seed, j)',
          })
          .command(
            'merge <dirs..>',
            'Combine the results of check --shard (OUT/shard-I-of-N.json) into the report one process gives',
            (m) =>
              m
                .positional('dirs', {
                  type: 'string',
                  array: true,
                  demandOption: true,
                  describe: 'Directories holding shard results (the --out of each shard), or the files',
                })
                .option('out', {
                  type: 'string',
                  default: 'check-out',
                  describe: 'Where shrunk counterexamples are written',
                })
                .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON' })
                .hide('runs')
                .hide('seed')
                .hide('shard')
                .hide('workers')
                .hide('inject-fault')
                .epilogue(
                  'Refused with exit 2: results of different campaigns (seed, runs, properties, faults, shard count), a shard given twice or cases in two shards, a shard missing. Exit 1 when a case failed.',
                ),
            async (m) => (await import('./check.ts')).merge(m.dirs as string[], { out: m.out, json: m.json }),
          )
          .option('shard', {
            type: 'string',
            describe:
              'Run shard i of n: the cases j with j mod n = i-1, and write OUT/shard-i-of-n.json for check merge. auto (or auto/N): from the environment: a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, JOB_COMPLETIONS), GitLab CI (CI_NODE_INDEX, CI_NODE_TOTAL), or any CI matrix (FADUMP_SIM_SHARD_INDEX, FADUMP_SIM_SHARD_TOTAL, 1-based) [default: 1/1]',
          })
          .option('workers', { type: 'number', default: 1, describe: 'Worker threads' })
          .option('out', {
            type: 'string',
            default: 'check-out',
            describe: 'Where shrunk counterexamples are written',
          })
          .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON' })
          .option('inject-fault', {
            type: 'string',
            array: true,
            describe:
              'Test only: turn on a deliberate model bug the campaign should find (boot-mem-off-by-one)',
          }),
      async (a) => {
        const { check, parseShard } = await import('./check.ts');
        const int = (flag: string, v: number, min: number, max: number) => {
          if (!Number.isInteger(v) || v < min || v > max)
            throw new UsageError(`--${flag} ${v} must be ${min} to ${max}`);
          return v;
        };
        let opts: Parameters<typeof check>[0];
        try {
          opts = {
            properties: (a.properties as string[] | undefined) ?? [],
            runs: int('runs', a.runs, 1, 10_000_000),
            seed: int('seed', a.seed, 0, 0xffffffff),
            shard: parseShard(a.shard ?? '1/1'),
            shardFile: a.shard !== undefined,
            workers: int('workers', a.workers, 1, 64),
            out: a.out,
            json: a.json,
            faults: a['inject-fault'] ?? [],
          };
        } catch (e) {
          if (e instanceof UsageError) fail(e.message);
          throw e;
        }
        await check(opts);
      },
    )
    .command(
      'list',
      'List the built-in scenarios',
      (y) => y.option('json', { type: 'boolean', default: false, describe: 'Print the list as JSON' }),
      async (a) => (await scenarioCommands()).list(a.json),
    )
    .command(
      'explain [scenario]',
      'Run a scenario (the default machine changed by the options, or a scenario file / built-in name) and narrate it: events, firmware calls, annotated structures',
      (y) =>
        kernelOptions(scenarioOptions(y)).positional('scenario', {
          type: 'string',
          describe: 'Scenario file or built-in name',
        }),
      async (a) => {
        const c = await commands();
        if (a.scenario) noMachineFlags(argv, 'explain');
        const files = a.scenario ? await scenarioCommands() : undefined;
        const [opts] = c.prepare(a.out, a.force, () => [
          a.scenario ? files!.scenarioOptions(a.scenario) : toRunOptions(a, kernelsOf(a)),
        ]);
        await c.explainCommand(opts!, a.out);
      },
    )
    .command(
      'inspect <file>',
      'Decode a vmcore or OPAL core (headers, notes, CPUs, VMCOREINFO, dmesg) or a device tree blob',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true })
          .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON' })
          .option('dmesg', {
            type: 'boolean',
            describe: "Print only the crashed kernel's log, as vmcore-dmesg prints it",
          })
          .conflicts('dmesg', 'page')
          .option('page', {
            type: 'string',
            describe:
              'Show the page frame (64 KiB) holding this crash-time physical address, as the dump holds it (hex 0x… or decimal)',
          })
          .epilogue(
            'Exit status: 0 when the file was read whole; 1 when it lacks what its headers promise (a truncated core: a warning per missing part on stderr, what is there still shown); 2 when it cannot be read or is not a core or device tree blob.',
          ),
      async (a) => {
        const page = a.page === undefined ? undefined : physicalAddress(a.page);
        (await commands()).inspectCommand(a.file, a.json, page, a.dmesg === true);
      },
    )
    .command(
      'vmlinux <file>',
      'Write the vmlinux of a kernel release and byte order: the symbols and DWARF that crash and gdb need to open a dump (run writes one beside every vmcore)',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true, describe: 'Where to write it' })
          .option('kernel', {
            type: 'string',
            default: DEFAULT_RUN.kernel,
            choices: KERNEL_NAMES,
            describe: 'The release: legacy is 6.9, resilient the newest',
          })
          .option('endian', {
            type: 'string',
            default: DEFAULT_RUN.endian,
            choices: ['le', 'be'],
            describe: "The kernel's byte order (crash opens little-endian dumps only on this host)",
          })
          .example('$0 vmlinux vmlinux-6.10 --kernel 6.10', "the little-endian 6.10 kernel's vmlinux"),
      async (a) => (await commands()).vmlinuxCommand(a.file, a.kernel as KernelName, a.endian as 'le' | 'be'),
    )
    .command(
      'lab',
      'Serve the lab on this machine: a page where the model runs in the browser (pick or edit a scenario, run it, step through the dump, download its files); npm run build writes it to dist/lab/, a static site',
      (y) =>
        y
          .option('port', { type: 'number', default: 8080, describe: 'TCP port (0: any free one)' })
          .option('host', {
            type: 'string',
            default: '127.0.0.1',
            describe: 'Address to listen on (0.0.0.0 for every interface)',
          })
          .example('$0 lab --port 0', 'serve it on any free port and print the address'),
      async (a) => (await import('./lab.ts')).labCommand(a.port, a.host),
    )
    // A number yargs could not read is NaN: say what was given instead.
    .middleware((a) => {
      for (const [key, v] of Object.entries(a)) {
        if (typeof v === 'number' && Number.isNaN(v) && /^[a-z]/.test(key) && !/[A-Z]/.test(key))
          fail(`--${key} ${rawValue(argv, key) || '(nothing)'}: expected a number`);
      }
    }, true)
    .demandCommand(1, `Name a command: ${COMMANDS.join(', ')} (fadump-sim --help lists them)`)
    .strict()
    .fail((msg, err, y) => {
      if (err) throw err;
      // Unknown options: the nearest known one.
      const unknown = /^Unknown arguments?: (.+)$/.exec(msg ?? '');
      if (unknown) {
        // The usage instance yargs passes knows every option the command describes.
        const known = Object.keys(
          (y as unknown as { getDescriptions(): Record<string, unknown> }).getDescriptions(),
        );
        // yargs also names the camelCase twin of a dashed option (hot-ad, hotAd): once is enough.
        const all = unknown[1]!.split(', ');
        const names = all
          .filter((n) => !/[A-Z]/.test(n) || !all.some((m) => m.includes('-')))
          // yargs reads --no-X as X = false and names X: say what was typed.
          .map((n) => (argv.some((a) => a.split('=')[0] === `--no-${n}`) ? `no-${n}` : n));
        fail(
          names
            .map(
              (n) =>
                `unknown option ${n.length > 1 ? '--' : '-'}${n}${didYouMean(
                  n,
                  known.filter((k) => k.length > 1),
                  '--',
                )}`,
            )
            .join('; '),
        );
      }
      // A value outside an option's choices: the choices, and the nearest.
      const bad = /Argument: ([\w-]+), Given: "([^"]*)", Choices: (.*)$/m.exec(msg ?? '');
      if (bad) {
        const choices = bad[3]!.split(', ').map((c) => c.replace(/^"|"$/g, ''));
        fail(`--${bad[1]} ${bad[2]}: one of ${choices.join(', ')}${didYouMean(bad[2]!, choices)}`);
      }
      if (/^Not enough non-option arguments/.test(msg ?? '') && argv[0] === 'inspect')
        fail('inspect: name the file to decode (a vmcore, an OPAL core or a device tree blob)');
      fail(msg);
    })
    .help()
    .version(VERSION)
    .parseAsync();
}
