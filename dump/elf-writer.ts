// The ELF core writer: lays a dump image out as fs/proc/vmcore.c lays out /proc/vmcore — the ELF
// header and program headers, one PT_NOTE holding every note, then each PT_LOAD page-aligned at the
// same offset within its page as its data — and streams it to a sparse file.

import type { ByteOrder } from '../emulator/struct.ts';
import type { DumpImage } from '../kernel-model/dump-image.ts';
import { ELF64_EHDR, ELF64_PHDR, elfHeader, PF_RWX, PT_LOAD, PT_NOTE } from '../kernel-model/elf.ts';
import { PAGE_SIZE } from '../kernel-model/symbols.ts';
import { writeSparseFile } from './sparse-file.ts';

export interface ElfCoreLayout {
  /** ELF header, program headers and the notes: the file's first bytes. */
  header: Uint8Array;
  /** File offset of each segment's first byte, in image order. */
  offsets: number[];
  fileSize: number;
}

const align = (v: number) => Math.ceil(v / PAGE_SIZE) * PAGE_SIZE;

/** Where every part of the image goes in the file (read_vmcore's layout, page-aligned segments). */
export function elfCoreLayout(image: DumpImage): ElfCoreLayout {
  const order: ByteOrder = image.order;
  const phnum = 1 + image.segments.length;
  const notesOff = align(ELF64_EHDR.size + phnum * ELF64_PHDR.size);
  let off = align(notesOff + image.notes.length);
  const offsets: number[] = [];
  for (const s of image.segments) {
    const start = Math.floor(s.sourceAddr / PAGE_SIZE) * PAGE_SIZE;
    offsets.push(off + (s.sourceAddr - start));
    off += align(s.sourceAddr + s.size) - start;
  }
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
  header.set(image.notes, notesOff);
  return { header, offsets, fileSize: off };
}

/** Writes the image to `path` as an ELF core; returns the file's size. */
export async function writeElfCore(path: string, image: DumpImage): Promise<number> {
  const layout = elfCoreLayout(image);
  await writeSparseFile(
    path,
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
