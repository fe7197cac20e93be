// The fadump kernel's side of a dump (Linux arch/powerpc/kernel/fadump.c): fadump_process, which
// validates the crash info header (is_fadump_header_compatible) and, from 6.10, builds the
// elfcorehdr; before 6.10 the checks of the platform's process and the elfcorehdr the first kernel
// left; then the CPU notes (fadump_update_elfcore_header) and /proc/vmcore.

import {
  CPUMASK_BYTES,
  CRASH_INFO_HEADER,
  CRASH_INFO_HEADER_OLD,
  FADUMP_CRASH_INFO_MAGIC,
  FADUMP_CRASH_INFO_MAGIC_OLD,
  PT_REGS_BYTES,
} from './crash-info-header.ts';
import { ELF64_EHDR, ELF64_NHDR, ELF64_PHDR, PT_NOTE, PT_REGS, type PtRegs, prstatusNote } from './elf.ts';
import type { Fadump } from './fadump.ts';
import { injectedFaults } from './faults.ts';
import { pageAlign } from './format.ts';
import { KERN_ERR } from './kernel-consts.ts';
import { CPU_NOTES_ADDR, ELFCOREHDR_ADDR, ELFCOREHDR_MAX } from './kernel-layout.ts';
import { PAGE_SIZE } from './vmlinux.ts';

const F = 'fadump';

/** fadump_process (6.10+): validate, build the elfcorehdr, let the platform add CPU notes. */
export function processDump(f: Fadump): void {
  const k = f.k;
  const refuse = (reason: string) => {
    f.outcome = { status: 'refused', reason };
    k.machine.events.emit('kernel', 'dump-refused', { reason });
    f.invalidateReleaseMem();
  };
  if (f.legacy) {
    const problem = legacyProcess(f);
    if (problem) refuse(problem);
    return;
  }
  if (f.fadumphdrAddr === 0 || !k.mem.accessible(f.fadumphdrAddr, CRASH_INFO_HEADER.size)) {
    k.printk(KERN_ERR, F, 'Crash info header is empty.');
    refuse('Crash info header is empty.');
    return;
  }
  const bytes = k.mem.read(f.fadumphdrAddr, CRASH_INFO_HEADER.size);
  const problem = headerProblem(f, bytes);
  if (problem) {
    k.printk(KERN_ERR, F, problem);
    refuse(problem);
    return;
  }
  const fdh = CRASH_INFO_HEADER.decode(bytes, k.order);
  const count = 2 + f.bootMemRegions.length + k.memblock.memory.length;
  const size = pageAlign(ELF64_EHDR.size + ELF64_PHDR.size * count, PAGE_SIZE);
  if (size > ELFCOREHDR_MAX) {
    const msg = `Failed to allocate ${size} bytes for elfcorehdr`;
    k.printk(KERN_ERR, F, msg);
    refuse(msg);
    return;
  }
  const hdr = new Uint8Array(size);
  hdr.set(f.elfcorehdr(fdh.vmcoreinfo_raddr, fdh.vmcoreinfo_size));
  k.mem.write(ELFCOREHDR_ADDR, hdr);
  const platform = f.backend!.process(fdh);
  if (platform) {
    refuse(platform);
    return;
  }
  f.elfcorehdrAddr = ELFCOREHDR_ADDR;
  f.elfcorehdrSize = size;
  captured(f, true);
}

/**
 * /proc/vmcore is there: the elfcorehdr at elfcorehdrAddr describes the crashed kernel's memory;
 * `built`: this kernel built it (since 6.10), else it completed the first kernel's.
 */
function captured(f: Fadump, built: boolean): void {
  f.outcome = { status: 'captured' };
  f.k.machine.events.emit('kernel', 'vmcore-ready', {
    built,
    elfcorehdr: f.elfcorehdrAddr,
    bytes: f.elfcorehdrSize,
    notes: f.notes.length,
  });
}

/** is_fadump_header_compatible, in the kernel's order of checks. */
function headerProblem(f: Fadump, bytes: Uint8Array): string | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const magic = dv.getBigUint64(0, f.le);
  if (magic === FADUMP_CRASH_INFO_MAGIC_OLD) return "Old magic number, can't process the dump.";
  if (magic !== FADUMP_CRASH_INFO_MAGIC) {
    const swapped = dv.getBigUint64(0, !f.le);
    return swapped === FADUMP_CRASH_INFO_MAGIC
      ? 'Endianness mismatch between the crashed and fadump kernels.'
      : 'Fadump header is corrupted.';
  }
  const fdh = CRASH_INFO_HEADER.decode(bytes, f.k.order);
  if (fdh.pt_regs_sz !== PT_REGS_BYTES || fdh.cpu_mask_sz !== CPUMASK_BYTES)
    return 'Fadump header size mismatch.';
  return undefined;
}

/**
 * rtas_fadump_process before 6.10: the header status must not be exactly 0x2000, CPU and boot
 * memory sections error-free, boot memory complete and some CPU state dumped; then the old magic;
 * then CPU notes go into the elfcorehdr the first kernel built. Returns the refusal, if any.
 */
function legacyProcess(f: Fadump): string | undefined {
  const k = f.k;
  const fail = (msg: string) => {
    k.printk(KERN_ERR, f.backend!.prefix, msg);
    return msg;
  };
  // The RTAS section checks; OPAL has no sections to check.
  const invalid = f.backend!.legacyChecks();
  if (invalid) return invalid;
  const bytes = k.mem.read(f.fadumphdrAddr, CRASH_INFO_HEADER_OLD.size);
  const fdh = CRASH_INFO_HEADER_OLD.decode(bytes, k.order);
  if (fdh.magic_number !== FADUMP_CRASH_INFO_MAGIC_OLD) return fail('Crash info header is not valid.');
  const elfAt = Number(fdh.elfcorehdr_addr);
  if (!k.mem.accessible(elfAt, ELF64_EHDR.size + 2 * ELF64_PHDR.size))
    return fail('Crash info header is not valid.');
  const problem = f.backend!.buildCpuNotes(fdh, elfAt);
  if (problem) return problem;
  f.elfcorehdrAddr = elfAt;
  const eh = ELF64_EHDR.decode(k.mem.read(elfAt, ELF64_EHDR.size), k.order);
  f.elfcorehdrSize = Number(eh.e_phoff) + eh.e_phnum * ELF64_PHDR.size;
  captured(f, false);
  return undefined;
}

/**
 * Writes NT_PRSTATUS notes and the final empty note into the CPU notes buffer and points phdr[0]
 * of the elfcorehdr at it (fadump_update_elfcore_header). `cpu` is the id the platform uses for
 * the crashing CPU (logical id on pSeries, PIR on OPAL).
 */
export function writeCpuNotes(
  f: Fadump,
  notes: { cpu: number; regs: PtRegs }[],
  crashing: number,
  notesSize: number,
  elfcorehdrAt: number,
): void {
  const k = f.k;
  const mem = k.mem;
  if (k.config.notePids) {
    notes.sort((a, b) => Number(b.cpu === crashing) - Number(a.cpu === crashing));
  }
  if (injectedFaults.has('note-cpu-dropped') && notes.length > 1) notes.pop();
  const parts: Uint8Array[] = [];
  f.notes = [];
  for (const n of notes) {
    const pid = k.config.notePids ? n.cpu + 1 : 0;
    if (injectedFaults.has('note-wrong-nip') && n.cpu === crashing) n.regs = { ...n.regs, nip: 0n };
    parts.push(prstatusNote(n.regs, pid, k.order));
    f.notes.push({ cpu: n.cpu, pid, regs: ptRegsWords(PT_REGS.encode(n.regs, k.order), f.le) });
  }
  parts.push(new Uint8Array(ELF64_NHDR.size));
  const buf = new Uint8Array(notesSize);
  let off = 0;
  for (const p of parts) {
    buf.set(p, off);
    off += p.length;
  }
  mem.write(CPU_NOTES_ADDR, buf);
  // fadump_update_elfcore_header: phdr[0] now points at the notes buffer.
  mem.write(
    elfcorehdrAt + ELF64_EHDR.size,
    ELF64_PHDR.encode(
      {
        p_type: PT_NOTE,
        p_flags: 0,
        p_offset: BigInt(CPU_NOTES_ADDR),
        p_vaddr: 0n,
        p_paddr: BigInt(CPU_NOTES_ADDR),
        p_filesz: BigInt(notesSize),
        p_memsz: BigInt(notesSize),
        p_align: 0n,
      },
      k.order,
    ),
  );
}

function ptRegsWords(bytes: Uint8Array, le: boolean): bigint[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: 48 }, (_, i) => v.getBigUint64(i * 8, le));
}
