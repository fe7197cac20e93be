// A dump as the fadump kernel offers it, before any file format: the ELF notes it exports (a
// PRSTATUS per CPU, VMCOREINFO) and the memory segments, each a range of crash-time physical
// addresses read from where the data lives now. /proc/vmcore and the OPAL core are dump images; a
// dump writer (dump/formats.ts) turns one into a file, and the matching reader reads it back.

import type { MemoryView } from '../emulator/physical-memory.ts';
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
