// The ELF core writers, streaming to a sparse file:
// - unfiltered, as fs/proc/vmcore.c lays out /proc/vmcore (what `cp /proc/vmcore` saves): the ELF
//   header and program headers, one PT_NOTE holding every note, then each PT_LOAD page-aligned at
//   the same offset within its page as its data;
// - filtered, as `makedumpfile -E -d LEVEL` writes it (makedumpfile.c write_elf_header(),
//   get_loads_dumpfile_cyclic(), write_elf_pages_cyclic()): the PT_NOTE header first, the notes
//   right after the program headers, the segments' data packed after the notes. A run of 256 or more
//   page frames left out (PFN_EXCLUDED) ends a PT_LOAD, whose p_memsz still covers the run and whose
//   p_filesz does not, and a new PT_LOAD starts at the next page kept; shorter runs are written
//   whole; so are runs at a segment's end left out of p_filesz whatever their length.

import type { ByteOrder } from '../emulator/struct.ts';
import type { DumpImage } from '../kernel-model/dump-image.ts';
import { ELF64_EHDR, ELF64_PHDR, elfHeader, PF_RWX, PT_LOAD, PT_NOTE } from '../kernel-model/elf.ts';
import { PAGE_SIZE } from '../kernel-model/symbols.ts';
import type { DumpTarget } from './dump-file.ts';
import { ImageMemory, type PfnRange, subtractPfns, unionPfns } from './image-memory.ts';
import { type LoadSegment, writeSparseFile } from './sparse-file.ts';

export interface ElfCoreLayout {
  /** ELF header, program headers and the notes: the file's first bytes. */
  header: Uint8Array;
  /** File offset of each segment's first byte, in image order. */
  offsets: number[];
  fileSize: number;
}

const align = (v: number) => Math.ceil(v / PAGE_SIZE) * PAGE_SIZE;

/**
 * The first bytes of a core with `phnum` program headers and the notes at `notesOff`: the ELF
 * header, the PT_NOTE program header (the first) and the notes; `phdr` sets program header i.
 */
function coreHeader(image: DumpImage, phnum: number, notesOff: number) {
  const order: ByteOrder = image.order;
  const header = new Uint8Array(notesOff + image.notes.length);
  header.set(elfHeader(order, phnum), 0);
  const phdr = (i: number, v: Parameters<typeof ELF64_PHDR.encode>[0]) =>
    header.set(ELF64_PHDR.encode(v, order), ELF64_EHDR.size + i * ELF64_PHDR.size);
  const noteBytes = BigInt(image.notes.length);
  phdr(0, {
    p_type: PT_NOTE,
    p_flags: 0,
    p_offset: BigInt(notesOff),
    p_vaddr: 0n,
    p_paddr: 0n,
    p_filesz: noteBytes,
    p_memsz: noteBytes,
    p_align: 4n,
  });
  header.set(image.notes, notesOff);
  return { header, phdr };
}

/** Where every part of the image goes in the file (read_vmcore's layout, page-aligned segments). */
export function elfCoreLayout(image: DumpImage): ElfCoreLayout {
  const phnum = 1 + image.segments.length;
  const notesOff = align(ELF64_EHDR.size + phnum * ELF64_PHDR.size);
  let off = align(notesOff + image.notes.length);
  const offsets: number[] = [];
  for (const s of image.segments) {
    const start = Math.floor(s.sourceAddr / PAGE_SIZE) * PAGE_SIZE;
    offsets.push(off + (s.sourceAddr - start));
    off += align(s.sourceAddr + s.size) - start;
  }
  const { header, phdr } = coreHeader(image, phnum, notesOff);
  image.segments.forEach((s, i) =>
    phdr(i + 1, {
      p_type: PT_LOAD,
      p_flags: PF_RWX,
      p_offset: BigInt(offsets[i]!),
      p_vaddr: s.vaddr,
      p_paddr: BigInt(s.paddr),
      p_filesz: BigInt(s.size),
      p_memsz: BigInt(s.size),
      p_align: 0n,
    }),
  );
  return { header, offsets, fileSize: off };
}

/** Writes the image to `target` as an ELF core; returns the file's size. */
export async function writeElfCore(target: DumpTarget, image: DumpImage): Promise<number> {
  const layout = elfCoreLayout(image);
  await writeSparseFile(
    target,
    layout.header,
    image.segments.map((s, i) => ({
      fileOffset: layout.offsets[i]!,
      source: s.source,
      sourceAddr: s.sourceAddr,
      size: s.size,
    })),
  );
  return layout.fileSize;
}

/** makedumpfile's PFN_EXCLUDED: a run of page frames left out this long or longer ends a PT_LOAD. */
export const PFN_EXCLUDED = 256;
/** ELF's PN_XNUM: e_phnum cannot count this many program headers. */
const PN_XNUM = 0xffff;

/** A PT_LOAD of a filtered ELF: `memsz` bytes of memory at `paddr`, the first `filesz` in the file. */
export interface FilteredLoad {
  paddr: number;
  vaddr: bigint;
  memsz: number;
  filesz: number;
  /** Where the file's bytes come from. */
  source: DumpImage['segments'][number]['source'];
  sourceAddr: number;
  /** Whether it is the last PT_LOAD cut from its segment of the image. */
  last: boolean;
}

export class FilteredElfError extends Error {}

/**
 * The PT_LOADs `makedumpfile -E` writes for the image when the page frames `leftOut` (sorted,
 * disjoint) are not to be dumped: per segment of the image, in its order, cut where a run of at
 * least PFN_EXCLUDED left-out page frames is followed by a page kept.
 */
export function filteredLoads(image: DumpImage, leftOut: readonly PfnRange[]): FilteredLoad[] {
  const P = PAGE_SIZE;
  const loads: FilteredLoad[] = [];
  for (const s of image.segments) {
    const end = s.paddr + s.size;
    const load = (from: number, to: number, fileTo: number, last: boolean) =>
      loads.push({
        paddr: from,
        vaddr: s.vaddr + BigInt(from - s.paddr),
        memsz: to - from,
        filesz: fileTo - from,
        source: s.source,
        sourceAddr: s.sourceAddr + (from - s.paddr),
        last,
      });
    // A partial page at the head is always written; one at the tail is judged as a page.
    let first = Math.floor(s.paddr / P);
    let fileEnd = s.paddr;
    if (s.paddr % P) {
      first++;
      fileEnd = Math.min(end, first * P);
    }
    const pfnEnd = Math.ceil(end / P);
    // Walk the runs kept: the run left out before each is cut off (long) or written (short).
    let start = s.paddr;
    let keptEnd = first;
    for (const kept of subtractPfns([{ start: first, end: Math.max(first, pfnEnd) }], leftOut)) {
      if (kept.start - keptEnd >= PFN_EXCLUDED) {
        load(start, kept.start * P, fileEnd, false);
        start = kept.start * P;
      }
      fileEnd = Math.min(end, kept.end * P);
      keptEnd = kept.end;
    }
    load(start, end, fileEnd, true);
  }
  if (loads.length + 1 >= PN_XNUM)
    throw new FilteredElfError(
      `${loads.length} PT_LOADs: more program headers than e_phnum counts (ELF extended numbering is not written)`,
    );
  return loads;
}

/**
 * Writes the image to `path` as `makedumpfile -E -d level` does, leaving out the page frames
 * `excluded` (from the page filter) and, at level bit 1, the zero pages among the rest; returns the
 * file's size.
 */
export async function writeFilteredElf(
  target: DumpTarget,
  image: DumpImage,
  level: number,
  excluded: readonly PfnRange[],
): Promise<number> {
  const mem = new ImageMemory(image);
  const zero = level & 1 ? mem.zeroPfns(subtractPfns(mem.pfnRanges(), excluded)) : [];
  const loads = filteredLoads(image, unionPfns(excluded, zero));
  const phnum = 1 + loads.length;
  const notesOff = ELF64_EHDR.size + phnum * ELF64_PHDR.size;
  const { header, phdr } = coreHeader(image, phnum, notesOff);
  let off = header.length;
  const data: LoadSegment[] = [];
  loads.forEach((l, i) => {
    // A PT_LOAD cut short with nothing in the file has p_offset 0, as makedumpfile writes it; the
    // last of a segment keeps the running offset.
    phdr(i + 1, {
      p_type: PT_LOAD,
      p_flags: PF_RWX,
      p_offset: BigInt(l.filesz || l.last ? off : 0),
      p_vaddr: l.vaddr,
      p_paddr: BigInt(l.paddr),
      p_filesz: BigInt(l.filesz),
      p_memsz: BigInt(l.memsz),
      p_align: 0n,
    });
    if (l.filesz) data.push({ fileOffset: off, source: l.source, sourceAddr: l.sourceAddr, size: l.filesz });
    off += l.filesz;
  });
  await writeSparseFile(target, header, data);
  return off;
}
