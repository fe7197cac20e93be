// Where a dump is written and read back: a file on disk, or a file in memory (a campaign's cases,
// which write nothing to disk, and a page in the browser). The writers and readers see only the
// few operations both have; verification reads the artifact the same way in either case.

import {
  closeSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  rmSync,
  statfsSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { writeAtomically } from '../emulator/output-guard.ts';

/** A path, or a file in memory. */
export type DumpTarget = string | MemoryFile;

/** What a writer does to its file. */
export interface FileOut {
  /** Writes `parts` one after another from `position`. */
  write(parts: readonly Uint8Array[], position: number): void;
  truncate(size: number): void;
}

/** What a reader does with its file. */
export interface FileIn {
  /** The path, or the memory file's name: what messages call it. */
  readonly name: string;
  readonly size: number;
  /** Fills `into` from `position` (bytes past the end stay as they are). */
  read(into: Uint8Array, position: number): void;
  /** The bytes the file takes in storage, and its storage's block size. */
  allocated(): { bytes: number; block: number };
  close(): void;
}

/** Granule of a memory file: a chunk is held once any byte of it is written. */
const CHUNK = 0x10000;

/** A sparse file in memory: chunks never written read as zero and take no memory. */
export class MemoryFile implements FileOut {
  private chunks = new Map<number, Uint8Array>();
  size = 0;

  constructor(readonly name: string) {}

  write(parts: readonly Uint8Array[], position: number): void {
    let at = position;
    for (const part of parts) {
      for (let done = 0; done < part.length; ) {
        const c = Math.floor((at + done) / CHUNK);
        const off = at + done - c * CHUNK;
        const n = Math.min(CHUNK - off, part.length - done);
        let chunk = this.chunks.get(c);
        if (!chunk) {
          chunk = new Uint8Array(CHUNK);
          this.chunks.set(c, chunk);
        }
        chunk.set(part.subarray(done, done + n), off);
        done += n;
      }
      at += part.length;
    }
    this.size = Math.max(this.size, at);
  }

  truncate(size: number): void {
    for (const c of this.chunks.keys()) if (c * CHUNK >= size) this.chunks.delete(c);
    const last = this.chunks.get(Math.floor(size / CHUNK));
    last?.fill(0, size % CHUNK);
    this.size = size;
  }

  /** Emptied, as opening a file for writing truncates it. */
  clear(): void {
    this.chunks.clear();
    this.size = 0;
  }

  /** The file as a reader sees it. */
  open(): FileIn {
    return {
      name: this.name,
      size: this.size,
      read: (into, position) => {
        const end = Math.min(position + into.length, this.size);
        for (let at = position; at < end; ) {
          const c = Math.floor(at / CHUNK);
          const off = at - c * CHUNK;
          const n = Math.min(CHUNK - off, end - at);
          const chunk = this.chunks.get(c);
          if (chunk) into.set(chunk.subarray(off, off + n), at - position);
          at += n;
        }
      },
      allocated: () => ({ bytes: this.chunks.size * CHUNK, block: CHUNK }),
      close: () => {},
    };
  }

  /** The whole file's bytes (for a download or a test). */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    this.open().read(out, 0);
    return out;
  }
}

/**
 * Runs `write` on the target's file. A path is written under a temporary name and renamed, so its
 * final name never holds half a file; a memory file is emptied first.
 */
export async function writeDumpFile<T>(target: DumpTarget, write: (out: FileOut) => T): Promise<T> {
  if (target instanceof MemoryFile) {
    target.clear();
    return write(target);
  }
  return writeAtomically(target, async (tmp) => {
    // A previous file under the final name is replaced: free its blocks first, so the new file is
    // not fragmented around them (extra extent blocks would defeat verification's allocation bound).
    // Synchronous writes: the model waits for nothing else, and each await would cost a round trip.
    rmSync(target, { force: true });
    const fd = openSync(tmp, 'w');
    try {
      return write({
        write: (parts, position) => writeAll(fd, parts, position),
        truncate: (size) => ftruncateSync(fd, size),
      });
    } finally {
      closeSync(fd);
    }
  });
}

/** Writes `parts` at `position`, going on after a short write. */
function writeAll(fd: number, parts: readonly Uint8Array[], position: number): void {
  const n = parts.reduce((sum, p) => sum + p.length, 0);
  let done =
    parts.length === 1 ? writeSync(fd, parts[0]!, 0, n, position) : writevSync(fd, [...parts], position);
  while (done < n) {
    const rest = Buffer.concat(parts).subarray(done);
    done += writeSync(fd, rest, 0, rest.length, position + done);
  }
}

/** Opens the target for reading. */
export function openDumpFile(target: DumpTarget): FileIn {
  if (target instanceof MemoryFile) return target.open();
  const fd = openSync(target, 'r');
  try {
    const size = fstatSync(fd).size;
    return {
      name: target,
      size,
      read: (into, position) => {
        readSync(fd, into, 0, into.length, position);
      },
      allocated: () => ({ bytes: fstatSync(fd).blocks * 512, block: statfsSync(target).bsize }),
      close: () => closeSync(fd),
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
