// Writes a file without building it in memory: a header block, then for every segment only the
// backing pages that hold data (never-written memory stays a file hole). Written under a temporary
// name and renamed, so the final name never holds half a file. The ELF core writer lays files out on it.

import { open, rm } from 'node:fs/promises';
import { writeAtomically } from '../emulator/output-guard.ts';
import { BACKING_PAGE, type MemoryView } from '../emulator/physical-memory.ts';

export interface LoadSegment {
  fileOffset: number;
  source: MemoryView;
  sourceAddr: number;
  size: number;
}

/** Largest single write: adjacent present pages are batched up to this. */
const MAX_WRITE = 8 * 2 ** 20;

export async function writeSparseFile(
  path: string,
  header: Uint8Array,
  loads: readonly LoadSegment[],
): Promise<{ bytesWritten: number; fileSize: number }> {
  return writeAtomically(path, async (tmp) => {
    // A previous file under the final name is replaced: free its blocks first, so the new file is
    // not fragmented around them (extra extent blocks would defeat verification's allocation bound).
    await rm(path, { force: true });
    const fh = await open(tmp, 'w');
    let bytesWritten = 0;
    let fileSize = header.length;
    try {
      await fh.write(header, 0, header.length, 0);
      bytesWritten += header.length;
      for (const seg of loads) {
        fileSize = Math.max(fileSize, seg.fileOffset + seg.size);
        for (const [start, end] of presentRuns(seg)) {
          for (let at = start; at < end; at += MAX_WRITE) {
            const n = Math.min(MAX_WRITE, end - at);
            await fh.write(seg.source.peek(at, n), 0, n, seg.fileOffset + (at - seg.sourceAddr));
            bytesWritten += n;
          }
        }
      }
      await fh.truncate(fileSize);
    } finally {
      await fh.close();
    }
    return { bytesWritten, fileSize };
  });
}

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
