// The ELF core header (elfcorehdr) fadump builds: the program headers /proc/vmcore is made from.
// Since Linux 6.10 the fadump kernel builds it at capture (fadump_setup_elfcorehdr_buf,
// fadump_populate_elfcorehdr); before, the first kernel built it at registration
// (fadump_create_elfcore_headers). A pure function of the memory layout, tested on its own.

import type { Range } from '../emulator/memory-blocks.ts';
import type { ByteOrder } from '../emulator/struct.ts';
import { ELF64_EHDR, ELF64_PHDR, elfHeader, PF_RWX, PT_LOAD, PT_NOTE } from './elf.ts';
import { u64 } from './format.ts';
import { va } from './symbols.ts';

export interface ElfcorehdrInput {
  order: ByteOrder;
  /**
   * fadump-kernel (6.10+) keeps the memory ranges as they are and leaves a PT_NULL for a range
   * wholly inside the reserved area; first-kernel (before 6.10) folds adjacent ranges.
   */
  style: 'first-kernel' | 'fadump-kernel';
  /** The crashed kernel's VMCOREINFO note (relocated into the boot-memory copy). */
  vmcoreinfo: { addr: bigint; size: bigint };
  /** Boot memory, region by region: each is dumped from its copy, back to back from bootMemDestAddr. */
  bootMemRegions: readonly Range[];
  bootMemDestAddr: number;
  /** Memory below this is boot memory or a hole in it: not dumped as itself. */
  bootMemTop: number;
  /** The fadump reserved area: cut out of the memory above boot memory. */
  reservedArea: Range;
  /** memblock.memory: the memory ranges of the kernel that builds the header. */
  memory: readonly Range[];
}

/**
 * phdr[0] a placeholder for the CPU notes (filled by fadump_update_elfcore_header), phdr[1] the
 * VMCOREINFO note, one PT_LOAD per boot-memory region read from its copy, then the memory above
 * boot_mem_top with the reserved area cut out, each read where it is.
 */
export function buildElfcorehdr(h: ElfcorehdrInput): Uint8Array {
  const phdrs: Uint8Array[] = [];
  const load = (paddr: number, size: number, offset: number) =>
    ELF64_PHDR.encode(
      {
        p_type: PT_LOAD,
        p_flags: PF_RWX,
        p_offset: u64(offset),
        p_vaddr: va(paddr),
        p_paddr: u64(paddr),
        p_filesz: u64(size),
        p_memsz: u64(size),
        p_align: 0n,
      },
      h.order,
    );
  phdrs.push(new Uint8Array(ELF64_PHDR.size));
  phdrs.push(
    ELF64_PHDR.encode(
      {
        p_type: PT_NOTE,
        p_flags: 0,
        p_offset: h.vmcoreinfo.addr,
        p_vaddr: 0n,
        p_paddr: h.vmcoreinfo.addr,
        p_filesz: h.vmcoreinfo.size,
        p_memsz: h.vmcoreinfo.size,
        p_align: 0n,
      },
      h.order,
    ),
  );
  let dest = h.bootMemDestAddr;
  for (const r of h.bootMemRegions) {
    phdrs.push(load(r.base, r.size, dest));
    dest += r.size;
  }
  const fold = h.style === 'first-kernel';
  const raStart = h.reservedArea.base;
  const raEnd = raStart + h.reservedArea.size;
  const above: Range[] = [];
  const add = (base: number, size: number) => {
    const last = above[above.length - 1];
    if (fold && last && last.base + last.size === base) last.size += size;
    else above.push({ base, size });
  };
  for (const m of h.memory) {
    const end = m.base + m.size;
    if (end <= h.bootMemTop) continue;
    const start = Math.max(m.base, h.bootMemTop);
    if (raStart < end && raEnd > start) {
      if (start < raStart) add(start, raStart - start);
      if (raEnd < end) add(raEnd, end - raEnd);
      if (start >= raStart && end <= raEnd && !fold) above.push({ base: 0, size: 0 });
    } else add(start, end - start);
  }
  for (const r of above)
    phdrs.push(r.size === 0 ? new Uint8Array(ELF64_PHDR.size) : load(r.base, r.size, r.base));
  const buf = new Uint8Array(ELF64_EHDR.size + phdrs.length * ELF64_PHDR.size);
  buf.set(elfHeader(h.order, phdrs.length), 0);
  phdrs.forEach((p, i) => buf.set(p, ELF64_EHDR.size + i * ELF64_PHDR.size));
  return buf;
}
