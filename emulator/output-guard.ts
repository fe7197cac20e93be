// Output files: the one switch an interrupted process throws so that no new output file is started
// (every writer checks it before creating its temporary file, and the command line's SIGINT/SIGTERM
// handler sets it, then removes the temporary files already there), and the one error a writer
// ends in when the system refuses an output (permission, read-only, no space, file too large).

import { open, rename, rm } from 'node:fs/promises';

export const outputGuard = { stopped: false };

/** Throws when the process is being interrupted (the caller's work is being cut short anyway). */
export function assertWritable(path: string): void {
  if (outputGuard.stopped) throw new Error(`interrupted: not starting ${path}`);
}

/** What each errno an output can meet means, in the words of strerror(3). */
const CAUSES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'file exists',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EINVAL: 'invalid argument',
  ENXIO: 'no such device or address',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'cannot assign requested address',
};

/** strerror(3)'s words for an errno name, or the name itself. */
export function errnoCause(code: string): string {
  return CAUSES[code] ?? code;
}

/** The system refused an output file: which one, and why. */
export class OutputError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    /** What was being asked of the system, when it helps to say (`a file of up to 64 TiB`). */
    detail?: string,
  ) {
    super(`${path}: cannot write: ${CAUSES[code] ?? code} (${code})${detail ? `: ${detail}` : ''}`);
  }
}

/**
 * Before the work: whether the file system (and the process's file-size limit) can hold a file of
 * `bytes` at `path`, found by sizing a sparse temporary file to it and removing it. Sparse, so it
 * costs no space; a refusal is the OutputError the real write would meet, minutes later.
 */
export async function probeFileSize(path: string, bytes: number, detail: string): Promise<void> {
  assertWritable(path);
  const tmp = temporaryName(path);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.truncate(bytes);
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (typeof code === 'string' && code in CAUSES) throw new OutputError(path, code, detail);
    throw e;
  } finally {
    await rm(tmp, { force: true }).catch(() => {});
  }
}

/** `e` as an OutputError for `path` when it is a system error a writer can meet; otherwise `e` itself. */
export function asOutputError(path: string, e: unknown): unknown {
  if (e instanceof OutputError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code in CAUSES ? new OutputError(path, code) : e;
}

/** The temporary name an output is written under before it is renamed to `path`. */
export function temporaryName(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/**
 * Writes an output under its temporary name with `write`, then renames it to `path`, so the final
 * name never holds half a file. On failure the temporary file is removed and a refusal by the system
 * becomes the OutputError for `path`.
 */
export async function writeAtomically<T>(path: string, write: (tmp: string) => Promise<T>): Promise<T> {
  assertWritable(path);
  const tmp = temporaryName(path);
  try {
    const result = await write(tmp);
    await rename(tmp, path);
    return result;
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw asOutputError(path, e);
  }
}
