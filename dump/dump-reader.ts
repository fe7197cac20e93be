// What every dump reader offers, whatever the file format: the notes, the registers of each CPU note
// in file order, VMCOREINFO, the memory the dump holds (by physical address) and the kernel log.
// Verification, `inspect`, the determinism digest and the report read dumps through this.

import type { ByteOrder } from '../emulator/struct.ts';
import type { PtRegs } from '../kernel-model/elf.ts';

export class DumpFileError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

export interface DumpLoad {
  /** Crash-time physical address of the segment. */
  paddr: number;
  vaddr: bigint;
  /** Bytes of memory the segment describes. */
  size: number;
  fileOffset: number;
  /** Bytes of it the file holds. */
  fileSize: number;
}

export interface DumpCpuNote {
  /** pr_pid: 0 from Linux; the CPU id + 1 with --note-pids. */
  pid: number;
  /** pr_reg, struct pt_regs. */
  regs: PtRegs;
}

export interface DumpContents {
  format: string;
  order: ByteOrder;
  notes: { name: string; type: number; descsz: number }[];
  /** One entry per NT_PRSTATUS note, in file order. */
  cpus: DumpCpuNote[];
  /** The VMCOREINFO note's KEY=VALUE lines, or null when the dump has none. */
  vmcoreinfo: Record<string, string> | null;
  loads: DumpLoad[];
  /** The kernel log, from the printk ring VMCOREINFO points at (empty without one). */
  dmesg: string[];
  /**
   * The smallest unit of memory the format records: 1 (byte) for ELF, the page size for kdump,
   * whose bitmaps hold whole pages (a partly covered page is dumped with the rest read as zeros).
   */
  granule: number;
  /** Bytes at the start of the file taken by headers and notes. */
  headerBytes: number;
  /**
   * makedumpfile's dump level the file was written at: 0 for an unfiltered copy of /proc/vmcore,
   * null when the file leaves pages out without recording the level (an ELF from makedumpfile -E).
   */
  dumpLevel: number | null;
  /**
   * Memory the dump describes but does not hold: the pages its dump level left out (in the 1st
   * bitmap and not the 2nd; in an ELF, past a PT_LOAD's p_filesz up to its p_memsz), sorted.
   */
  leftOut: { base: number; size: number }[];
  /** Pages held as makedumpfile's shared zero page (dump level bit 1): known zero, stored once; sorted. */
  sharedZero: { base: number; size: number }[];
}

export interface DumpReader {
  readonly path: string;
  readonly contents: DumpContents;
  /** `len` bytes of crash-time physical memory at `paddr` as the dump holds them; `unread` counts those it does not hold. */
  read(paddr: number, len: number): { data: Uint8Array; unread: number };
  /**
   * The same bytes as `read` without a copy where the file holds all of them in one piece: a view
   * valid until the next call on the reader, never to be written; undefined otherwise.
   */
  view?(paddr: number, len: number): Uint8Array | undefined;
  /**
   * Page frame `pfn` (of `contents.granule` bytes) whole, as a buffer that identical stored pages
   * share, or undefined when the file does not hold it: lets readers that compare or classify
   * pages do so once per distinct page. Readers of page-granular formats offer it. Never written.
   */
  pageBuffer?(pfn: number): Uint8Array | undefined;
  /** Whether the file may hold data beyond its headers and the physical ranges given. */
  mayHoldDataOutside(ranges: readonly { base: number; size: number }[]): boolean;
  close(): void;
}
