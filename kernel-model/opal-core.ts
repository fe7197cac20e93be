// The OPAL core (arch/powerpc/platforms/powernv/opal-core.c, /sys/firmware/opal/mpipl/core): an ELF
// core of OPAL's own memory as it was at the crash — the regions OPAL preserved for itself, read
// from their copies — with one PRSTATUS note per active thread, for debugging firmware.

import { CRASH_INFO_HEADER } from './crash-info-header.ts';
import { ELF64_EHDR, ELF64_PHDR, elfHeader, PT_LOAD, PT_NOTE, prstatusNote } from './elf.ts';
import type { Kernel } from './kernel.ts';
import { PAGE_SIZE } from './symbols.ts';

export interface OpalCoreLayout {
  header: Uint8Array;
  loads: { paddr: number; source: number; size: number; fileOffset: number }[];
  fileSize: number;
}

const align = (v: number) => Math.ceil(v / PAGE_SIZE) * PAGE_SIZE;

/** The OPAL core of a dump the capture kernel holds, or undefined when there is none. */
export function buildOpalCore(k: Kernel): OpalCoreLayout | undefined {
  const f = k.fadump;
  const o = f.opal;
  if (!o || !f.dumpActive || f.outcome.status !== 'captured') return undefined;
  const regions = o.opalRegions();
  if (regions.length === 0) return undefined;
  const fdh = CRASH_INFO_HEADER.decode(k.mem.read(f.fadumphdrAddr, CRASH_INFO_HEADER.size), k.order);
  const threads = o.threadRegisters(fdh.crashing_cpu, fdh.regs);
  const notes = threads.map((t) => prstatusNote(t.regs, k.config.notePids ? t.cpu + 1 : 0, k.order));
  const notesBytes = notes.reduce((n, x) => n + x.length, 0);
  const phnum = 1 + regions.length;
  const notesOff = align(ELF64_EHDR.size + phnum * ELF64_PHDR.size);
  let off = align(notesOff + notesBytes);
  const loads = regions.map((r) => {
    const l = { paddr: r.src, source: r.dest, size: r.size, fileOffset: off };
    off += align(r.size);
    return l;
  });
  const header = new Uint8Array(notesOff + notesBytes);
  header.set(elfHeader(k.order, phnum), 0);
  const phdr = (i: number, v: Parameters<typeof ELF64_PHDR.encode>[0]) =>
    header.set(ELF64_PHDR.encode(v, k.order), ELF64_EHDR.size + i * ELF64_PHDR.size);
  phdr(0, {
    p_type: PT_NOTE,
    p_flags: 0,
    p_offset: BigInt(notesOff),
    p_vaddr: 0n,
    p_paddr: 0n,
    p_filesz: BigInt(notesBytes),
    p_memsz: BigInt(notesBytes),
    p_align: 4n,
  });
  loads.forEach((l, i) =>
    phdr(i + 1, {
      p_type: PT_LOAD,
      p_flags: 7,
      p_offset: BigInt(l.fileOffset),
      // OPAL runs in real mode: its addresses are physical.
      p_vaddr: BigInt(l.paddr),
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
