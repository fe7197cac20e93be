// The fadump-sim command line. `run` replays the built-in default scenario (or one changed by the
// machine options) and writes vmcore, summary.json and console.log. Bad configuration: one line on
// stderr, exit code 2, nothing written.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { ConfigError } from '../emulator/memory-blocks.ts';
import type { Generation } from '../kernel-model/kernel.ts';
import { DEFAULT_RUN, type RunOptions, runScenario, validateRunOptions } from '../scenarios/run.ts';

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

function fail(message: string): never {
  process.stderr.write(`fadump-sim: error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(EXIT_USAGE);
}

export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('fadump-sim')
    .usage(
      '$0 <command> [options]\n\nA deterministic model of an IBM POWER partition and firmware-assisted dump.',
    )
    .command(
      'run',
      'Boot, register fadump, crash, capture the vmcore and verify it (built-in default scenario)',
      (y) =>
        y
          .option('out', { type: 'string', default: 'out', describe: 'Output directory' })
          .option('platform', { type: 'string', default: DEFAULT_RUN.platform, choices: ['pseries'] })
          .option('firmware', { type: 'string', default: DEFAULT_RUN.firmware, choices: ['powervm', 'qemu'] })
          .option('memory', { type: 'string', default: '8G', describe: 'Assigned memory' })
          .option('lmb-size', { type: 'string', default: '256M', describe: 'LMB size: power of two, 16M-1G' })
          .option('cpus', { type: 'number', default: DEFAULT_RUN.cpus, describe: 'Hardware threads' })
          .option('smt', {
            type: 'number',
            default: DEFAULT_RUN.threadsPerCore,
            describe: 'Threads per core',
          })
          .option('endian', { type: 'string', default: DEFAULT_RUN.endian, choices: ['le', 'be'] })
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
          .option('crash-cpu', { type: 'number', default: DEFAULT_RUN.crashCpu })
          .option('seed', { type: 'number', default: DEFAULT_RUN.seed })
          .option('boot-mem-regions', { type: 'number', default: DEFAULT_RUN.bootMemRegions })
          .option('note-pids', {
            type: 'boolean',
            default: false,
            describe: 'pr_pid = CPU + 1, crashing CPU first (gdb shows a thread per CPU)',
          })
          .option('cycles', { type: 'number', default: 1, describe: 'Crash/capture cycles' })
          .option('cmdline', {
            type: 'string',
            default: DEFAULT_RUN.cmdline,
            describe: 'Kernel command line',
          })
          .option('json', { type: 'boolean', default: false, describe: 'Print summary.json to stdout' }),
      async (a) => {
        let opts: RunOptions;
        try {
          opts = {
            platform: a.platform as 'pseries',
            firmware: a.firmware as 'powervm' | 'qemu',
            memory: parseSize('memory', a.memory),
            lmbSize: parseSize('lmb-size', a['lmb-size']),
            cpus: a.cpus,
            threadsPerCore: a.smt,
            endian: a.endian as 'le' | 'be',
            kernel: a.kernel as Generation,
            captureKernel: a['capture-kernel'] as Generation | undefined,
            captureEndian: a['capture-endian'] as 'le' | 'be' | undefined,
            crashCpu: a['crash-cpu'],
            seed: a.seed,
            bootMemRegions: a['boot-mem-regions'],
            notePids: a['note-pids'],
            cmdline: a.cmdline,
            cycles: a.cycles,
          };
          validateRunOptions(opts);
          if (isForeignDir(a.out)) {
            throw new UsageError(`--out ${a.out} exists and is not a fadump-sim output directory`);
          }
        } catch (e) {
          if (e instanceof ConfigError || e instanceof UsageError) fail(e.message);
          throw e;
        }
        const { summary } = await runScenario(opts, a.out);
        if (a.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else {
          const d = summary.dump;
          process.stdout.write(
            `dump: ${d.status}${d.reason ? ` (${d.reason})` : ''}${d.vmcore ? ` -> ${a.out}/${d.vmcore}` : ''}\n` +
              `crash: CPU ${summary.crash.cpu} nip ${summary.crash.nip}\n` +
              `verify: ${summary.verify.mismatchedBytes ?? 'n/a'} mismatched bytes\n` +
              `wrote ${a.out}/summary.json, ${a.out}/console.log\n`,
          );
        }
        if (summary.dump.status !== 'captured' || summary.verify.mismatchedBytes !== 0)
          process.exitCode = EXIT_DUMP_FAILED;
      },
    )
    .demandCommand(1, 'Name a command: run')
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      fail(msg);
    })
    .help()
    .version(false)
    .parseAsync();
}

/** A directory we would be writing into that holds someone else's files. */
function isForeignDir(dir: string): boolean {
  if (!existsSync(dir) || existsSync(join(dir, 'summary.json'))) return false;
  try {
    return !statSync(dir).isDirectory() || readdirSync(dir).length > 0;
  } catch {
    return true;
  }
}
