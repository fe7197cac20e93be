// Exit codes and the one-line error every bad input ends in.

import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { asOutputError, OutputError, outputGuard } from '../api/options.ts';

export const EXIT_OK = 0;
export const EXIT_DUMP_FAILED = 1;
export const EXIT_USAGE = 2;

/** Bad command-line input (the message names the flag). */
export class UsageError extends Error {}

/** One line on stderr, exit code 2. */
export function fail(message: string): never {
  process.stderr.write(`fadump-sim: error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(EXIT_USAGE);
}

/**
 * Names a run writes (and `--force` may replace), with the temporary names they are written under
 * (`NAME.tmp-PID`): a run killed before it could clean up must not block the next one.
 */
const OUTPUT_NAME =
  /^(vmcore(\.\d+)?|opalcore(\.\d+)?|boot\d+\.dtb|vmcore-dmesg(\.\d+)?\.txt|vmlinux(\.\d+)?|summary\.json|console\.log|events\.jsonl|report\.html)(\.tmp-\d+)?$/;

/** Whether `dir` holds only what runs write: output files, and subdirectories that do too. */
function onlyOutputs(dir: string, depth = 0): boolean {
  return readdirSync(dir, { withFileTypes: true }).every((e) =>
    e.isDirectory() ? depth === 0 && onlyOutputs(join(dir, e.name), 1) : OUTPUT_NAME.test(e.name),
  );
}

/**
 * Makes sure the output directory can be written: it must not exist or be empty. With `force`, a
 * previous run's output directory (nothing in it but what runs write) is removed first, so no stale
 * file stays beside the new ones; anything else is never touched.
 */
export function claimOutputDir(dir: string, force: boolean): void {
  const existed = existsSync(dir);
  if (existed) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} exists and is not a directory`);
    if (readdirSync(dir).length > 0) {
      if (!force) throw new UsageError(`--out ${dir} already exists: add --force to replace it`);
      if (!onlyOutputs(dir))
        throw new UsageError(
          `--out ${dir} holds files fadump-sim did not write: not replacing it, even with --force`,
        );
      discard(dir);
    }
  }
  makeWritableDir(dir);
  claimed = { dir, existed: existed && existsSync(dir) };
}

/**
 * Removes a replaced output directory while the run goes on: renamed aside at once (a hidden
 * sibling), then deleted in the background (unlinking a large sparse vmcore takes the kernel tens
 * of milliseconds), and at the latest as the process exits, so nothing of it stays.
 */
function discard(dir: string): void {
  const full = resolve(dir);
  const aside = join(dirname(full), `.${basename(full)}.old-${process.pid}`);
  try {
    renameSync(full, aside);
  } catch {
    rmSync(full, { recursive: true, force: true });
    return;
  }
  const finish = () => rmSync(aside, { recursive: true, force: true });
  process.once('exit', finish);
  rm(aside, { recursive: true, force: true }).then(
    () => process.off('exit', finish),
    () => {},
  );
}

/** The output directory this process claimed, and whether it was there before (then it was empty). */
let claimed: { dir: string; existed: boolean } | undefined;

/**
 * Creates `dir` and the directories above it that are missing, one at a time (a recursive mkdir
 * under /proc never returns), and proves a file can be created in it; UsageError naming the cause
 * when the system refuses, with nothing left behind.
 */
function makeWritableDir(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  const made: string[] = [];
  try {
    const top = dirname(missing[0] ?? resolve(dir));
    if (missing.length > 0 && !statSync(top).isDirectory())
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    for (const d of missing) {
      mkdirSync(d);
      made.push(d);
    }
    const probe = join(dir, `.fadump-sim-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    for (const d of made.reverse()) rmSync(d, { recursive: true, force: true });
    const out = asOutputError(dir, e);
    if (out instanceof OutputError) throw new UsageError(`--out ${out.message}`);
    throw e;
  }
}

/** Exit status of a bug in fadump-sim itself (sysexits.h EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

/** Removes every file this run wrote in the directory claimOutputDir claimed (and it, if the run created it). */
function removeClaimedOutputs(): void {
  if (!claimed || !existsSync(claimed.dir)) return;
  const { dir, existed } = claimed;
  if (existed) for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
  else rmSync(dir, { recursive: true, force: true });
}

/**
 * After the system refused an output (no space, file too large, …): nothing half-written stays —
 * every file this run wrote goes (the directory held nothing else: claimOutputDir made sure), and
 * the directory too when this run created it. Then one line naming the file and the cause, exit 2.
 */
export function failOnOutputError(e: OutputError): never {
  removeClaimedOutputs();
  fail(e.message);
}

/**
 * Options only the run could find wrong (a crash time before the first kernel is up): the run's
 * files go as after an output error, then one line, exit 2.
 */
export function failAfterStart(message: string): never {
  removeClaimedOutputs();
  fail(message);
}

/**
 * A bug in fadump-sim cut the run short: the run's files go as after an output error, then one
 * line saying so (the stack trace only with FADUMP_SIM_DEBUG=1), exit 70.
 */
export function failOnInternalError(e: unknown): never {
  removeClaimedOutputs();
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(
    `fadump-sim: internal error: ${err.message.split('\n')[0]} (a bug: please report it; FADUMP_SIM_DEBUG=1 prints the stack)\n`,
  );
  if (process.env.FADUMP_SIM_DEBUG) process.stderr.write(`${err.stack}\n`);
  process.exit(EXIT_INTERNAL);
}

/**
 * On SIGINT or SIGTERM: remove this process's temporary files under `dir` (final names are only
 * ever renamed into place, so they are complete) and exit 130 or 143.
 */
let stopping = false;

/** Whether an interrupt is being handled (errors of the work it cut short are then expected). */
export function interrupted(): boolean {
  return stopping;
}

export function cleanUpOnInterrupt(dir: string): void {
  const suffix = `.tmp-${process.pid}`;
  const sweep = (d: string, depth: number) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && depth < 2) sweep(join(d, e.name), depth + 1);
      else if (e.name.endsWith(suffix)) rmSync(join(d, e.name), { force: true });
    }
  };
  const handler = (signal: NodeJS.Signals) => {
    const status = signal === 'SIGINT' ? 130 : 143;
    outputGuard.stopped = true;
    sweep(dir, 0);
    if (stopping) process.exit(status);
    stopping = true;
    process.stderr.write(`fadump-sim: interrupted (${signal}); complete files only in ${dir}\n`);
    // No new output starts now; one already on its way in the I/O threads lands within moments.
    setTimeout(() => {
      sweep(dir, 0);
      process.exit(status);
    }, 200);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
