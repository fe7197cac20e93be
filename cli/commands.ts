// What the commands do, loaded by cli/main.ts only when one runs: everything here pulls in the
// model and the report; the scenario language (scenario-commands.ts) and the property campaigns
// load only for the commands that use them.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  type CycleSummary,
  DtbError,
  DumpFileError,
  errnoCause,
  type KernelName,
  osrelease,
  type RunOptions,
  releaseOf,
  runScenario,
  ScenarioError,
  validateRunOptions,
  verdict,
  writeBytes,
  writeVmlinux,
} from '../api/core.ts';
import { paint } from './colour.ts';
import { explain } from './explain.ts';
import {
  claimOutputDir,
  cleanUpOnInterrupt,
  EXIT_DUMP_FAILED,
  fail,
  failAfterStart,
  UsageError,
} from './fail.ts';
import { inspectDmesg, inspectFile, inspectPage } from './inspect.ts';

/** Turns on test-only model faults (`--inject-fault`, to replay check counterexamples). */
export async function setFaults(names: readonly string[]): Promise<void> {
  if (!names.length) return;
  const { injectFaults } = await import('../testing/campaign.ts');
  try {
    injectFaults(names);
  } catch (e) {
    fail((e as Error).message);
  }
}

/** Validates everything before anything is written; exits 2 with one line on bad input. */
export function prepare(out: string, force: boolean, variants: () => RunOptions[]): RunOptions[] {
  let all: RunOptions[];
  try {
    all = variants();
    for (const o of all) validateRunOptions(o);
    claimOutputDir(out, force);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError || e instanceof ScenarioError) fail(e.message);
    throw e;
  }
  cleanUpOnInterrupt(out);
  return all;
}

/** The outcome of a cycle for people: the dump and why, what it holds against the crash, warnings. */
export function outcomeLines(c: CycleSummary, dir: string, indent = ''): string {
  const v = verdict(c);
  const dump = `dump: ${v.dump.replace(/^(captured|refused|not taken)/, (w) => paint.status(w))}${c.dump.vmcore ? ` -> ${dir}/${c.dump.vmcore}` : ''}`;
  // The crash as the dump tells it, when there is one.
  const crash = c.dump.crash ?? c.crash;
  return [
    dump,
    `crash: CPU ${crash.cpu} nip ${crash.nip}${c.dump.crash ? '' : ' (at the crash)'}`,
    ...v.verify.map((l) => `verify: ${l.startsWith('exact') ? paint.good(l) : paint.bad(l)}`),
    ...v.warnings.map((w) => `warning: ${w}`),
  ]
    .map((l) => `${indent}${l}\n`)
    .join('');
}

/** A run stopped by options only the run could find wrong: the run's files go, one line, exit 2. */
export async function running<T>(work: () => Promise<T>, message: (e: ConfigError) => string): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof ConfigError) failAfterStart(message(e));
    throw e;
  }
}

/** `run` on the default machine changed by the options; exit 1 unless the dump is captured and exact. */
export async function runOne(o: RunOptions, out: string, json: boolean): Promise<void> {
  const { summary } = await running(
    () => runScenario(o, out),
    (e) => e.message,
  );
  const last = summary.cycles.at(-1)!;
  if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else
    process.stdout.write(
      `${outcomeLines(last, out)}wrote ${summary.outputs
        .filter((n) => !/^(vmcore|opalcore)(\.\d+)?$/.test(n))
        .map((n) => `${out}/${n}`)
        .join(', ')}\n`,
    );
  if (!summary.cycles.every((c) => verdict(c).ok)) process.exitCode = EXIT_DUMP_FAILED;
}

/** The figures `compare` reports for one generation. */
/** Simulated time for people: ms below a second, s above. */
function duration(ns: number): string {
  return ns < 1e9 ? `${(ns / 1e6).toFixed(1)} ms` : `${(ns / 1e9).toFixed(3)} s`;
}

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

export async function compare(
  legacy: RunOptions,
  resilient: RunOptions,
  out: string,
  json: boolean,
): Promise<void> {
  const result = {
    legacy: outcome((await runScenario(legacy, join(out, 'legacy'))).summary.cycles[0]!),
    resilient: outcome((await runScenario(resilient, join(out, 'resilient'))).summary.cycles[0]!),
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const rows: [string, (o: ReturnType<typeof outcome>) => string][] = [
    ['dump', (o) => o.dump.status],
    ['re-registrations', (o) => String(o.reRegistrations)],
    [`${legacy.platform === 'powernv' ? 'OPAL' : 'RTAS'} calls for events`, (o) => String(o.rtasCalls)],
    ['time unregistered', (o) => duration(o.unregisteredNs)],
    ['elfcorehdr overflow', (o) => `${o.elfcorehdrOverflowBytes} bytes`],
    ['vmcore mismatched bytes', (o) => String(o.verify.mismatchedBytes ?? 'n/a')],
    ['memory missing from vmcore', (o) => String(o.verify.missingBytes ?? 'n/a')],
    ['vmcore bytes not in memory', (o) => String(o.verify.extraBytes ?? 'n/a')],
  ];
  const lines = [['', 'legacy (< 6.10)', 'resilient (6.10+)']];
  for (const [label, f] of rows) lines.push([label, f(result.legacy), f(result.resilient)]);
  for (const l of lines) process.stdout.write(`${l[0]!.padEnd(28)}${l[1]!.padEnd(20)}${l[2]}\n`);
}

/** `explain`: the run, narrated. The options are validated and the directory claimed (prepare). */
export async function explainCommand(o: RunOptions, out: string): Promise<void> {
  process.stdout.write(
    `${await running(
      () => explain(o, out),
      (e) => e.message,
    )}\n`,
  );
}

/** `inspect FILE`: exit 2 for a file it cannot read, 1 when the file lacks what its headers promise. */
export function inspectCommand(file: string, json: boolean, page?: number, dmesg = false): void {
  let r: ReturnType<typeof inspectFile>;
  try {
    if (statSync(file).isDirectory()) fail(`${file}: cannot read: is a directory (EISDIR)`);
    r =
      page !== undefined
        ? inspectPage(file, page, json)
        : dmesg
          ? inspectDmesg(file, json)
          : inspectFile(file, json);
  } catch (e) {
    if (e instanceof DumpFileError || e instanceof DtbError) fail(`${file}: ${e.message}`);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail(`${file}: no such file`);
    if (typeof code === 'string') fail(`${file}: cannot read: ${errnoCause(code)} (${code})`);
    throw e;
  }
  process.stdout.write(`${r.text}\n`);
  for (const w of r.warnings) process.stderr.write(`fadump-sim: warning: ${file}: ${w}\n`);
  if (r.warnings.length) process.exitCode = EXIT_DUMP_FAILED;
}

/** `vmlinux FILE`: the vmlinux of a release and byte order, as `run` writes beside every dump. */
export async function vmlinuxCommand(file: string, kernel: KernelName, order: 'le' | 'be'): Promise<void> {
  const release = osrelease(releaseOf(kernel));
  await writeBytes(file, writeVmlinux({ order, osrelease: release }));
  process.stdout.write(
    `wrote ${file}: the vmlinux of Linux ${release} (${order === 'le' ? 'ppc64le' : 'ppc64'}), symbols and DWARF for crash and gdb\n`,
  );
}
