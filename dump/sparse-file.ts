// Writes a file without building it in memory: a header block, then for every segment only the
// backing pages that hold data (never-written memory stays a file hole). Written under a temporary
// name and renamed, so the final name never holds half a file. The ELF core writer lays files out on it.

import { BACKING_PAGE, type MemoryView } from '../emulator/physical-memory.ts';
import { type DumpTarget, writeDumpFile } from './dump-file.ts';

export interface LoadSegment {
  fileOffset: number;
  source: MemoryView;
  sourceAddr: number;
  size: number;
}

/** Most bytes and buffers in one write: adjacent present pages go out together, from their buffers. */
const MAX_WRITE = 8 * 2 ** 20;
const MAX_IOV = 512;

export async function writeSparseFile(
  target: DumpTarget,
  header: Uint8Array,
  loads: readonly LoadSegment[],
): Promise<{ bytesWritten: number; fileSize: number }> {
  return writeDumpFile(target, (out) => {
    let bytesWritten = 0;
    let fileSize = header.length;
    out.write([header], 0);
    bytesWritten += header.length;
    for (const seg of loads) {
      fileSize = Math.max(fileSize, seg.fileOffset + seg.size);
      for (const [start, end] of presentRuns(seg)) {
        for (let at = start; at < end; ) {
          const parts: Uint8Array[] = [];
          let n = 0;
          while (at + n < end && n < MAX_WRITE && parts.length < MAX_IOV) {
            const page = Math.floor((at + n) / BACKING_PAGE);
            const upto = Math.min(end, (page + 1) * BACKING_PAGE);
            const whole = upto - (at + n) === BACKING_PAGE ? pageOf(seg.source, page) : undefined;
            parts.push(whole ?? seg.source.peek(at + n, upto - (at + n)));
            n = upto - at;
          }
          // Stable: frozen pages and fresh copies, which nothing else holds.
          out.write(parts, seg.fileOffset + (at - seg.sourceAddr), stable(seg.source));
          bytesWritten += n;
          at += n;
        }
      }
    }
    out.truncate(fileSize);
    return { bytesWritten, fileSize };
  });
}

/** A whole page's buffer, frozen where the source can freeze it. */
function pageOf(source: MemoryView, page: number): Uint8Array | undefined {
  return source.frozen ? source.frozen(page) : source.backing?.(page);
}

const stable = (source: MemoryView) => source.frozen !== undefined;

/** Address runs [start, end) inside the segment covered by present backing pages. */
function presentRuns(seg: LoadSegment): [number, number][] {
  const first = Math.floor(seg.sourceAddr / BACKING_PAGE);
  const last = Math.floor((seg.sourceAddr + seg.size - 1) / BACKING_PAGE);
  const runs: [number, number][] = [];
  if (seg.size <= 0) return runs;
  for (const page of seg.source.presentPages()) {
    if (page < first || page > last) continue;
    const start = Math.max(seg.sourceAddr, page * BACKING_PAGE);
    const end = Math.min(seg.sourceAddr + seg.size, (page + 1) * BACKING_PAGE);
    const prev = runs[runs.length - 1];
    if (prev && prev[1] === start) prev[1] = end;
    else runs.push([start, end]);
  }
  return runs;
}
