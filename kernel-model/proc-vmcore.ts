// /proc/vmcore of the capture kernel (fs/proc/vmcore.c): reads the elfcorehdr the fadump code left
// in memory, merges every PT_NOTE into one (trimming each to its real notes), gives PT_LOADs
// page-aligned file offsets, and streams the file from "old memory" (p_offset = where the data
// lives now, e.g. the firmware's copy of boot memory). Also verifies a written vmcore against a
// crash-time snapshot.

import { open } from 'node:fs/promises';
import type { MemoryView, PhysicalMemory } from '../emulator/physical-memory.ts';
import type { ByteOrder } from '../emulator/struct.ts';
import { ELF64_EHDR, ELF64_NHDR, ELF64_PHDR, elfHeader, PT_LOAD, PT_NOTE } from './elf.ts';
import { type LoadSegment, writeVmcoreFile } from './vmcore-file.ts';
import { PAGE_SIZE } from './vmlinux.ts';

export interface VmcoreLoad {
  paddr: number;
  vaddr: bigint;
  size: number;
  /** Physical address the data is read from. */
  source: number;
  /** Offset in the vmcore file. */
  fileOffset: number;
}

export interface VmcoreLayout {
  header: Uint8Array;
  loads: VmcoreLoad[];
  fileSize: number;
}

const align = (v: number) => Math.ceil(v / PAGE_SIZE) * PAGE_SIZE;

/** Real length of the notes in a PT_NOTE segment: up to the first empty note (update_note_header_size). */
function trimNotes(bytes: Uint8Array, order: ByteOrder): Uint8Array {
  let off = 0;
  while (off + ELF64_NHDR.size <= bytes.length) {
    const n = ELF64_NHDR.decode(bytes, order, off);
    if (n.n_namesz === 0) break;
    const size = ELF64_NHDR.size + align4(n.n_namesz) + align4(n.n_descsz);
    if (off + size > bytes.length) break;
    off += size;
  }
  return bytes.subarray(0, off);
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;

/** Builds the /proc/vmcore layout from the elfcorehdr at `addr` in memory. */
export function vmcoreLayout(mem: PhysicalMemory, addr: number, order: ByteOrder): VmcoreLayout {
  const ehdr = ELF64_EHDR.decode(mem.read(addr, ELF64_EHDR.size), order);
  const phoff = Number(ehdr.e_phoff);
  const notes: Uint8Array[] = [];
  const loads: VmcoreLoad[] = [];
  for (let i = 0; i < ehdr.e_phnum; i++) {
    const p = ELF64_PHDR.decode(mem.read(addr + phoff + i * ELF64_PHDR.size, ELF64_PHDR.size), order);
    if (p.p_type === PT_NOTE && p.p_memsz > 0n) {
      notes.push(trimNotes(mem.read(Number(p.p_offset), Number(p.p_memsz)), order));
    } else if (p.p_type === PT_LOAD) {
      loads.push({
        paddr: Number(p.p_paddr),
        vaddr: p.p_vaddr,
        size: Number(p.p_memsz),
        source: Number(p.p_offset),
        fileOffset: 0,
      });
    }
  }
  const noteBytes = notes.reduce((s, n) => s + n.length, 0);
  const phnum = 1 + loads.length;
  const headersEnd = ELF64_EHDR.size + phnum * ELF64_PHDR.size;
  const notesOff = align(headersEnd);
  let off = align(notesOff + noteBytes);
  for (const l of loads) {
    const start = Math.floor(l.source / PAGE_SIZE) * PAGE_SIZE;
    l.fileOffset = off + (l.source - start);
    off += align(l.source + l.size) - start;
  }
  const header = new Uint8Array(notesOff + noteBytes);
  header.set(elfHeader(order, phnum), 0);
  const phdr = (i: number, v: Parameters<typeof ELF64_PHDR.encode>[0]) =>
    header.set(ELF64_PHDR.encode(v, order), ELF64_EHDR.size + i * ELF64_PHDR.size);
  phdr(0, {
    p_type: PT_NOTE,
    p_flags: 0,
    p_offset: BigInt(notesOff),
    p_vaddr: 0n,
    p_paddr: 0n,
    p_filesz: BigInt(noteBytes),
    p_memsz: BigInt(noteBytes),
    p_align: 4n,
  });
  loads.forEach((l, i) =>
    phdr(i + 1, {
      p_type: PT_LOAD,
      p_flags: 7,
      p_offset: BigInt(l.fileOffset),
      p_vaddr: l.vaddr,
      p_paddr: BigInt(l.paddr),
      p_filesz: BigInt(l.size),
      p_memsz: BigInt(l.size),
      p_align: 0n,
    }),
  );
  let at = notesOff;
  for (const n of notes) {
    header.set(n, at);
    at += n.length;
  }
  return { header, loads, fileSize: off };
}

/** Writes /proc/vmcore to `path`, streaming from memory; holes for pages never written. */
export async function writeVmcore(path: string, mem: MemoryView, layout: VmcoreLayout): Promise<void> {
  const segments: LoadSegment[] = layout.loads.map((l) => ({
    fileOffset: l.fileOffset,
    source: mem,
    sourceAddr: l.source,
    size: l.size,
  }));
  await writeVmcoreFile(path, layout.header, segments);
}

/**
 * Compares every PT_LOAD byte of the vmcore file with the crash-time snapshot at its physical
 * address. Reads the whole file region by region; returns the number of differing bytes.
 */
export async function verifyVmcore(
  path: string,
  layout: VmcoreLayout,
  snapshot: MemoryView,
): Promise<number> {
  const fh = await open(path, 'r');
  const CHUNK = 16 * 2 ** 20;
  const buf = new Uint8Array(CHUNK);
  let mismatched = 0;
  try {
    for (const l of layout.loads) {
      for (let done = 0; done < l.size; done += CHUNK) {
        const n = Math.min(CHUNK, l.size - done);
        const { bytesRead } = await fh.read(buf, 0, n, l.fileOffset + done);
        const expect = snapshot.peek(l.paddr + done, n);
        mismatched += Math.max(0, n - bytesRead);
        for (let s = 0; s < Math.min(n, bytesRead); s += PAGE_SIZE) {
          const e = Math.min(s + PAGE_SIZE, bytesRead);
          if (Buffer.compare(buf.subarray(s, e), expect.subarray(s, e)) === 0) continue;
          for (let i = s; i < e; i++) if (buf[i] !== expect[i]) mismatched++;
        }
      }
    }
  } finally {
    await fh.close();
  }
  return mismatched;
}
