// /proc/vmcore of the capture kernel (fs/proc/vmcore.c, parse_crash_elf_headers): reads the
// elfcorehdr the fadump code left in memory, merges every PT_NOTE into one (trimming each to its
// real notes) and offers each PT_LOAD from "old memory" (p_offset = where the data lives now, e.g.
// the firmware's copy of boot memory), as a dump image a dump writer turns into a file.

import type { PhysicalMemory } from '../emulator/physical-memory.ts';
import type { ByteOrder } from '../emulator/struct.ts';
import type { DumpImage, DumpSegment } from './dump-image.ts';
import { ELF64_EHDR, ELF64_NHDR, ELF64_PHDR, PT_LOAD, PT_NOTE } from './elf.ts';
import { injectedFaults } from './faults.ts';

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

/** /proc/vmcore could not be set up from the elfcorehdr (vmcore_init: "Kdump: vmcore not initialized"). */
export class VmcoreInitError extends Error {}

/** Notes larger than this are not read (a damaged size must not allocate gigabytes). */
const MAX_NOTE_BYTES = 16 * 2 ** 20;

/** /proc/vmcore from the elfcorehdr at `addr` in memory; throws VmcoreInitError when it cannot be read. */
export function procVmcore(mem: PhysicalMemory, addr: number, order: ByteOrder): DumpImage {
  if (injectedFaults.has('capture-throws')) throw new Error('injected fault capture-throws');
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
  const segments: DumpSegment[] = [];
  for (let i = 0; i < ehdr.e_phnum; i++) {
    const p = ELF64_PHDR.decode(
      read(addr + phoff + i * ELF64_PHDR.size, ELF64_PHDR.size, 'program header'),
      order,
    );
    if (p.p_type === PT_NOTE && p.p_memsz > 0n) {
      notes.push(trimNotes(read(p.p_offset, p.p_memsz, 'PT_NOTE'), order));
    } else if (p.p_type === PT_LOAD) {
      segments.push({
        paddr: Number(p.p_paddr),
        vaddr: p.p_vaddr,
        size: Number(p.p_memsz),
        source: mem,
        sourceAddr: Number(p.p_offset),
      });
    }
  }
  const merged = concat(notes);
  if (injectedFaults.has('vmcoreinfo-damaged')) damageVmcoreinfo(merged);
  return { order, notes: merged, segments };
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The injected fault vmcoreinfo-damaged: the first digit of CRASHTIME in the exported note becomes another. */
function damageVmcoreinfo(notes: Uint8Array): void {
  const text = new TextDecoder('latin1').decode(notes);
  const at = text.indexOf('CRASHTIME=');
  if (at < 0) return;
  const digit = at + 'CRASHTIME='.length;
  notes[digit] = notes[digit] === 0x31 ? 0x32 : 0x31;
}
