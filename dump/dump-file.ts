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
  /**
   * Writes `parts` one after another from `position`. `stable`: the parts never change again, so a
   * memory file may keep whole chunks rather than copy them.
   */
  write(parts: readonly Uint8Array[], position: number, stable?: boolean): void;
  truncate(size: number): void;
}

/** What a reader does with its file. */
export interface FileIn {
  /** The path, or the memory file's name: what messages call it. */
  readonly name: string;
  readonly size: number;
  /** Fills `into` from `position` (bytes past the end stay as they are). */
  read(into: Uint8Array, position: number): void;
  /**
   * The bytes [position, position+len) themselves, not a copy, when the file holds them in one
   * piece (a memory file, within one chunk); undefined otherwise. Read at once, never written.
   */
  view?(position: number, len: number): Uint8Array | undefined;
  /** The bytes the file takes in storage, and its storage's block size. */
  allocated(): { bytes: number; block: number };
  close(): void;
}

/** Granule of a memory file: a chunk is held once any byte of it is written. */
const CHUNK = 0x10000;
/** What a chunk never written reads as. */
const ZERO_CHUNK = new Uint8Array(CHUNK);

/** A sparse file in memory: chunks never written read as zero and take no memory. */
export class MemoryFile implements FileOut {
  private chunks = new Map<number, Uint8Array>();
  /** Chunks that are a writer's stable buffer, kept rather than copied: copied before a change. */
  private kept = new Set<number>();
  size = 0;

  constructor(readonly name: string) {}

  write(parts: readonly Uint8Array[], position: number, stable = false): void {
    let at = position;
    for (const part of parts) {
      for (let done = 0; done < part.length; ) {
        const c = Math.floor((at + done) / CHUNK);
        const off = at + done - c * CHUNK;
        const n = Math.min(CHUNK - off, part.length - done);
        if (stable && n === CHUNK) {
          this.chunks.set(c, done === 0 && n === part.length ? part : part.subarray(done, done + n));
          this.kept.add(c);
        } else this.writable(c).set(part.subarray(done, done + n), off);
        done += n;
      }
      at += part.length;
    }
    this.size = Math.max(this.size, at);
  }

  /** Chunk `c` as a buffer of this file's own. */
  private writable(c: number): Uint8Array {
    let chunk = this.chunks.get(c);
    if (!chunk || this.kept.delete(c)) {
      chunk = chunk ? chunk.slice() : new Uint8Array(CHUNK);
      this.chunks.set(c, chunk);
    }
    return chunk;
  }

  truncate(size: number): void {
    for (const c of this.chunks.keys())
      if (c * CHUNK >= size) {
        this.chunks.delete(c);
        this.kept.delete(c);
      }
    const last = Math.floor(size / CHUNK);
    if (this.chunks.has(last)) this.writable(last).fill(0, size % CHUNK);
    this.size = size;
  }

  /** Emptied, as opening a file for writing truncates it. */
  clear(): void {
    this.chunks.clear();
    this.kept.clear();
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
      view: (position, len) => {
        const c = Math.floor(position / CHUNK);
        const off = position - c * CHUNK;
        if (off + len > CHUNK || position < 0 || position + len > this.size) return undefined;
        return (this.chunks.get(c) ?? ZERO_CHUNK).subarray(off, off + len);
      },
      allocated: () => ({ bytes: this.chunks.size * CHUNK, block: CHUNK }),
      close: () => {},
    };
  }

  /**
   * The file's bytes as pieces in order, every chunk its own bytes or, never written, one shared zero
   * chunk: a download built from them copies each once.
   */
  pieces(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let at = 0; at < this.size; at += CHUNK) {
      const chunk = this.chunks.get(at / CHUNK) ?? ZERO_CHUNK;
      out.push(at + CHUNK <= this.size ? chunk : chunk.subarray(0, this.size - at));
    }
    return out;
  }

  /** The whole file's bytes (for a test). */
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
