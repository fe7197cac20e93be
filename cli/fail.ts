// Exit codes and the one-line error every bad input ends in.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

/** A directory we would be writing into that holds someone else's files. */
export function isForeignDir(dir: string): boolean {
  if (!existsSync(dir) || existsSync(join(dir, 'summary.json')) || existsSync(join(dir, 'legacy')))
    return false;
  try {
    return !statSync(dir).isDirectory() || readdirSync(dir).length > 0;
  } catch {
    return true;
  }
}
