// /proc/vmcore of the capture kernel (fs/proc/vmcore.c): reads the elfcorehdr the fadump code left
// in memory, merges every PT_NOTE into one (trimming each to its real notes), gives PT_LOADs
// page-aligned file offsets, and streams the file from "old memory" (p_offset = where the data
// lives now, e.g. the firmware's copy of boot memory). Also verifies a written vmcore against a
// crash-time snapshot.

import { open, statfs } from 'node:fs/promises';
import { BACKING_PAGE, type MemoryView, type PhysicalMemory } from '../emulator/physical-memory.ts';
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
/** /proc/vmcore could not be set up from the elfcorehdr (vmcore_init: "Kdump: vmcore not initialized"). */
export class VmcoreInitError extends Error {}

/** Notes larger than this are not read (a damaged size must not allocate gigabytes). */
const MAX_NOTE_BYTES = 16 * 2 ** 20;

export function vmcoreLayout(mem: PhysicalMemory, addr: number, order: ByteOrder): VmcoreLayout {
  // parse_crash_elf_headers reads old memory; what it cannot read leaves /proc/vmcore uninitialised.
  const read = (at: number | bigint, len: number | bigint, what: string) => {
    const a = Number(at);
    const n = Number(len);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(n) || n > MAX_NOTE_BYTES || !mem.accessible(a, n))
      throw new VmcoreInitError(`${what}: ${n} bytes at 0x${BigInt(at).toString(16)} cannot be read`);
    return mem.read(a, n);
  };
  const ehdr = ELF64_EHDR.decode(read(addr, ELF64_EHDR.size, 'ELF header'), order);
  const phoff = Number(ehdr.e_phoff);
  const notes: Uint8Array[] = [];
  const loads: VmcoreLoad[] = [];
  for (let i = 0; i < ehdr.e_phnum; i++) {
    const p = ELF64_PHDR.decode(
      read(addr + phoff + i * ELF64_PHDR.size, ELF64_PHDR.size, 'program header'),
      order,
    );
    if (p.p_type === PT_NOTE && p.p_memsz > 0n) {
      notes.push(trimNotes(read(p.p_offset, p.p_memsz, 'PT_NOTE'), order));
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
  return coreLayout(order, notes, loads);
}

/**
 * Lays out an ELF core file as fs/proc/vmcore.c does: the ELF header and program headers, one
 * PT_NOTE holding all notes (page-aligned), then each PT_LOAD page-aligned, its data read from
 * `source`. Fills each load's fileOffset. Used for /proc/vmcore and the OPAL core alike.
 */
export function coreLayout(
  order: ByteOrder,
  notes: readonly Uint8Array[],
  loads: VmcoreLoad[],
): VmcoreLayout {
  const noteBytes = notes.reduce((s, n) => s + n.length, 0);
  const phnum = 1 + loads.length;
  const notesOff = align(ELF64_EHDR.size + phnum * ELF64_PHDR.size);
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
 * address; returns the number of differing bytes.
 *
 * Pages where the snapshot or the source memory holds data are read and compared. Every other byte
 * must be zero; rather than read gigabytes of holes, the file's allocated size proves it: if the
 * filesystem allocated no more than the compared pages and the header, nothing else was written,
 * so the rest reads as zero. Where it allocated more, the rest is read and compared too.
 */
export async function verifyVmcore(
  path: string,
  layout: VmcoreLayout,
  snapshot: MemoryView,
  source: MemoryView,
  /** Physical ranges not compared: firmware-owned memory the dump boot legitimately rewrote. */
  exclude: readonly { base: number; size: number }[] = [],
): Promise<number> {
  const fh = await open(path, 'r');
  let mismatched = 0;
  const done: [number, number][] = [];
  try {
    const compare = async (fileOff: number, paddr: number, len: number) => {
      const buf = new Uint8Array(len);
      const { bytesRead } = await fh.read(buf, 0, len, fileOff);
      const expect = snapshot.peek(paddr, len);
      for (const x of exclude) {
        const from = Math.max(x.base, paddr);
        const to = Math.min(x.base + x.size, paddr + len);
        if (from < to) buf.set(expect.subarray(from - paddr, to - paddr), from - paddr);
      }
      mismatched += len - bytesRead;
      for (let at = 0; at < bytesRead; at += PAGE_SIZE) {
        const e = Math.min(at + PAGE_SIZE, bytesRead);
        if (Buffer.compare(buf.subarray(at, e), expect.subarray(at, e)) === 0) continue;
        for (let i = at; i < e; i++) if (buf[i] !== expect[i]) mismatched++;
      }
    };
    for (const l of layout.loads) {
      const pages = new Set<number>();
      for (const [view, base] of [
        [snapshot, l.paddr],
        [source, l.source],
      ] as const) {
        const first = Math.floor(base / BACKING_PAGE);
        const last = Math.floor((base + l.size - 1) / BACKING_PAGE);
        for (const p of view.presentPages()) {
          if (p < first || p > last) continue;
          // Offset within the load of this backing page's first byte (may be negative).
          pages.add(p * BACKING_PAGE - base);
        }
      }
      for (const rel of [...pages].sort((a, b) => a - b)) {
        const from = Math.max(0, rel);
        const to = Math.min(l.size, rel + BACKING_PAGE);
        const last = done[done.length - 1];
        if (to <= from) continue;
        await compare(l.fileOffset + from, l.paddr + from, to - from);
        if (last && last[1] === l.fileOffset + from) last[1] = l.fileOffset + to;
        else done.push([l.fileOffset + from, l.fileOffset + to]);
      }
    }
    const { blocks } = await fh.stat();
    const { bsize } = await statfs(path);
    const bound = allocationBound([[0, layout.header.length], ...done], bsize);
    if (blocks * 512 > bound) {
      // Something else is allocated: read everything not compared yet.
      for (const l of layout.loads) {
        for (let at = 0; at < l.size; ) {
          const fileAt = l.fileOffset + at;
          const covering = done.find(([a, b]) => fileAt >= a && fileAt < b);
          if (covering) {
            at = covering[1] - l.fileOffset;
            continue;
          }
          const next =
            done
              .map(([a]) => a)
              .filter((a) => a > fileAt)
              .sort((a, b) => a - b)[0] ?? Infinity;
          const n = Math.min(16 * 2 ** 20, l.size - at, next - fileAt);
          await compare(fileAt, l.paddr + at, n);
          at += n;
        }
      }
    }
  } finally {
    await fh.close();
  }
  return mismatched;
}

/** Bytes a filesystem with `block`-byte blocks allocates at most for data written in `ranges`. */
function allocationBound(ranges: readonly [number, number][], block: number): number {
  const spans = ranges
    .filter(([a, b]) => b > a)
    .map(([a, b]) => [Math.floor(a / block), Math.ceil(b / block)] as [number, number])
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -1;
  for (const [a, b] of spans) {
    const from = Math.max(a, end);
    if (b > from) total += b - from;
    end = Math.max(end, b);
  }
  return total * block;
}
