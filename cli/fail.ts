// Exit codes and the one-line error every bad input ends in.

import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { outputGuard } from '../emulator/output-guard.ts';

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

/** Names a run writes (and `--force` may replace). */
const OUTPUT_NAME =
  /^(vmcore(\.\d+)?|opalcore(\.\d+)?|summary\.json|console\.log|events\.jsonl|report\.html)$/;

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
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} exists and is not a directory`);
  if (readdirSync(dir).length === 0) return;
  if (!force) throw new UsageError(`--out ${dir} already exists: add --force to replace it`);
  if (!onlyOutputs(dir))
    throw new UsageError(
      `--out ${dir} holds files fadump-sim did not write: not replacing it, even with --force`,
    );
  rmSync(dir, { recursive: true, force: true });
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
