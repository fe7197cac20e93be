// A dump as the fadump kernel offers it, before any file format: the ELF notes it exports (a
// PRSTATUS per CPU, VMCOREINFO) and the memory segments, each a range of crash-time physical
// addresses read from where the data lives now. /proc/vmcore and the OPAL core are dump images; a
// dump writer (dump/formats.ts) turns one into a file, and the matching reader reads it back.

import type { Range } from '../emulator/memory-blocks.ts';
import { BACKING_PAGE, type MemoryView } from '../emulator/physical-memory.ts';
import type { ByteOrder } from '../emulator/struct.ts';

export interface DumpSegment {
  /** Crash-time physical address. */
  paddr: number;
  /** Kernel virtual address of paddr. */
  vaddr: bigint;
  size: number;
  /** Where the bytes are read from: old memory, and the address the data lives at now. */
  source: MemoryView;
  sourceAddr: number;
}

export interface DumpImage {
  order: ByteOrder;
  /** ELF note records, back to back, as the kernel exports them (the empty terminating notes trimmed). */
  notes: Uint8Array;
  segments: DumpSegment[];
}

/** The crash-time physical ranges of the image whose bytes come from pages present in their source. */
export function presentRanges(image: DumpImage): Range[] {
  const out: Range[] = [];
  for (const s of image.segments) {
    const first = Math.floor(s.sourceAddr / BACKING_PAGE);
    const last = Math.floor((s.sourceAddr + s.size - 1) / BACKING_PAGE);
    for (const p of s.source.presentPages()) {
      if (p < first || p > last) continue;
      const from = Math.max(s.sourceAddr, p * BACKING_PAGE);
      const to = Math.min(s.sourceAddr + s.size, (p + 1) * BACKING_PAGE);
      out.push({ base: s.paddr + (from - s.sourceAddr), size: to - from });
    }
  }
  return out;
}
