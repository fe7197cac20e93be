// ELF64 core structures the kernel writes for /proc/vmcore on ppc64: file and program headers,
// notes, struct pt_regs and struct elf_prstatus, all in the kernel's byte order (System V gABI;
// Linux arch/powerpc/kernel/fadump.c, fs/proc/vmcore.c, include/linux/elfcore.h).

import type { Registers } from '../emulator/cpu-thread.ts';
import { type ByteOrder, defineStruct, type StructValue } from '../emulator/struct.ts';

export const EM_PPC64 = 21;
export const ET_EXEC = 2;
export const ET_CORE = 4;
export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const NT_PRSTATUS = 1;
export const PF_RWX = 7;

export const ELF64_EHDR = defineStruct({
  name: 'Elf64_Ehdr',
  size: 64,
  order: 'native',
  spec: 'System V gABI',
  fields: [
    { name: 'e_ident', type: 'bytes', size: 16, doc: '\\x7fELF, class 2, data 1 (LE) or 2 (BE), version 1' },
    { name: 'e_type', type: 'u16', doc: 'ET_CORE (4) for a vmcore, ET_EXEC (2) for the vmlinux' },
    { name: 'e_machine', type: 'u16', doc: 'EM_PPC64 (21)' },
    { name: 'e_version', type: 'u32', doc: '1' },
    { name: 'e_entry', type: 'u64', doc: '0; the vmlinux: _stext' },
    { name: 'e_phoff', type: 'u64', doc: '64: program headers right after this header' },
    { name: 'e_shoff', type: 'u64', doc: '0: no sections (a vmcore); the section headers (the vmlinux)' },
    { name: 'e_flags', type: 'u32', doc: '2 = ELFv2 ABI (ppc64le), 1 = ELFv1 (ppc64)' },
    { name: 'e_ehsize', type: 'u16', doc: '64' },
    { name: 'e_phentsize', type: 'u16', doc: '56' },
    { name: 'e_phnum', type: 'u16', doc: 'program headers' },
    { name: 'e_shentsize', type: 'u16', doc: '0, or 64 with sections' },
    { name: 'e_shnum', type: 'u16', doc: 'section headers' },
    { name: 'e_shstrndx', type: 'u16', doc: 'the section holding section names' },
  ],
} as const);

export const ELF64_PHDR = defineStruct({
  name: 'Elf64_Phdr',
  size: 56,
  order: 'native',
  spec: 'System V gABI; Linux fs/proc/vmcore.c',
  fields: [
    { name: 'p_type', type: 'u32', doc: 'PT_LOAD (1) or PT_NOTE (4)' },
    { name: 'p_flags', type: 'u32', doc: 'PF_R|PF_W|PF_X (7) for memory' },
    {
      name: 'p_offset',
      type: 'u64',
      doc: 'file offset; in the elfcorehdr: physical address the data lives at',
    },
    { name: 'p_vaddr', type: 'u64', doc: '0xc000000000000000 + physical address' },
    { name: 'p_paddr', type: 'u64', doc: 'physical address' },
    { name: 'p_filesz', type: 'u64', doc: 'bytes in the file' },
    { name: 'p_memsz', type: 'u64', doc: 'bytes in memory' },
    { name: 'p_align', type: 'u64', doc: '0 for loads; 0 or 4 for notes (8 breaks readelf and gdb)' },
  ],
} as const);

export const ELF64_NHDR = defineStruct({
  name: 'Elf64_Nhdr',
  size: 12,
  order: 'native',
  spec: 'System V ABI',
  fields: [
    { name: 'n_namesz', type: 'u32', doc: 'name length including the NUL' },
    { name: 'n_descsz', type: 'u32', doc: 'descriptor length' },
    { name: 'n_type', type: 'u32', doc: 'NT_PRSTATUS (1); VMCOREINFO uses 0' },
  ],
} as const);

/** Section header (System V gABI, "Sections"): the vmlinux's .text, .symtab, .debug_info, …. */
export const ELF64_SHDR = defineStruct({
  name: 'Elf64_Shdr',
  size: 64,
  order: 'native',
  spec: 'System V ABI',
  fields: [
    { name: 'sh_name', type: 'u32', doc: 'offset of the name in .shstrtab' },
    { name: 'sh_type', type: 'u32', doc: 'SHT_PROGBITS 1, SHT_SYMTAB 2, SHT_STRTAB 3, SHT_NOBITS 8' },
    { name: 'sh_flags', type: 'u64', doc: 'SHF_WRITE 1, SHF_ALLOC 2, SHF_EXECINSTR 4' },
    { name: 'sh_addr', type: 'u64', doc: 'virtual address of an allocated section' },
    { name: 'sh_offset', type: 'u64', doc: 'file offset of the contents' },
    { name: 'sh_size', type: 'u64', doc: 'bytes' },
    { name: 'sh_link', type: 'u32', doc: 'the string table of a symbol table' },
    { name: 'sh_info', type: 'u32', doc: 'a symbol table: index of the first global symbol' },
    { name: 'sh_addralign', type: 'u64', doc: 'alignment' },
    { name: 'sh_entsize', type: 'u64', doc: 'entry size of a table (24 for symbols)' },
  ],
} as const);

/** Symbol table entry (System V gABI, "Symbol Table"). */
export const ELF64_SYM = defineStruct({
  name: 'Elf64_Sym',
  size: 24,
  order: 'native',
  spec: 'System V ABI',
  fields: [
    { name: 'st_name', type: 'u32', doc: 'offset of the name in .strtab' },
    { name: 'st_info', type: 'u8', doc: 'binding << 4 | type: STB_GLOBAL 1; STT_OBJECT 1, STT_FUNC 2' },
    { name: 'st_other', type: 'u8', doc: 'visibility: STV_DEFAULT 0' },
    { name: 'st_shndx', type: 'u16', doc: 'the section the symbol is in' },
    { name: 'st_value', type: 'u64', doc: 'the virtual address' },
    { name: 'st_size', type: 'u64', doc: 'bytes' },
  ],
} as const);

/** struct pt_regs on ppc64 (arch/powerpc/include/asm/ptrace.h), 384 bytes = ELF_NGREG longs. */
export const PT_REGS = defineStruct({
  name: 'pt_regs',
  size: 384,
  order: 'native',
  spec: 'Linux arch/powerpc/include/uapi/asm/ptrace.h',
  fields: [
    { name: 'gpr', type: 'u64', count: 32, doc: 'r0–r31', c: { type: 'unsigned long' } },
    { name: 'nip', type: 'u64', doc: 'next instruction address', c: { type: 'unsigned long' } },
    { name: 'msr', type: 'u64', doc: 'machine state register', c: { type: 'unsigned long' } },
    { name: 'orig_gpr3', type: 'u64', doc: 'r3 at syscall entry', c: { type: 'unsigned long' } },
    { name: 'ctr', type: 'u64', doc: 'count register', c: { type: 'unsigned long' } },
    { name: 'link', type: 'u64', doc: 'link register', c: { type: 'unsigned long' } },
    { name: 'xer', type: 'u64', doc: 'fixed-point exception register', c: { type: 'unsigned long' } },
    { name: 'ccr', type: 'u64', doc: 'condition register', c: { type: 'unsigned long' } },
    { name: 'softe', type: 'u64', doc: 'soft interrupt enable', c: { type: 'unsigned long' } },
    {
      name: 'trap',
      type: 'u64',
      doc: 'interrupt vector the state was saved at',
      c: { type: 'unsigned long' },
    },
    { name: 'dar', type: 'u64', doc: 'data address register', c: { type: 'unsigned long' } },
    { name: 'dsisr', type: 'u64', doc: 'DSI status register', c: { type: 'unsigned long' } },
    { name: 'result', type: 'u64', doc: 'syscall result', c: { type: 'unsigned long' } },
    { name: 'ppr', type: 'u64', doc: 'program priority register', c: { type: 'unsigned long' } },
    { name: 'exit_result', type: 'u64', doc: 'interrupt exit result', c: { type: 'unsigned long' } },
    { name: 'kuap', type: 'u64', doc: 'kernel user access protection (AMR)', c: { type: 'unsigned long' } },
    { name: 'iamr', type: 'u64', doc: 'instruction authority mask register', c: { type: 'unsigned long' } },
  ],
} as const);

export type PtRegs = StructValue<typeof PT_REGS.fields>;

/** struct elf_prstatus for ppc64, 504 bytes (Linux fadump.c (fadump_regs_to_elf_notes)). */
export const ELF_PRSTATUS = defineStruct({
  name: 'elf_prstatus',
  size: 504,
  order: 'native',
  spec: 'Linux include/linux/elfcore.h, include/uapi/linux/elfcore.h (ppc64)',
  c: { nested: { pr_info: 'elf_siginfo' } },
  fields: [
    { name: 'si_signo', type: 'i32', doc: 'pr_info.si_signo', c: { in: 'pr_info', type: 'int' } },
    { name: 'si_code', type: 'i32', doc: 'pr_info.si_code', c: { in: 'pr_info', type: 'int' } },
    { name: 'si_errno', type: 'i32', doc: 'pr_info.si_errno', c: { in: 'pr_info', type: 'int' } },
    {
      name: 'pr_cursig',
      type: 'i16',
      doc: 'current signal; gdb reports the last note’s',
      c: { type: 'short' },
    },
    { name: 'pad0', type: 'u16', doc: 'padding', reserved: true },
    { name: 'pr_sigpend', type: 'u64', doc: 'pending signals', c: { type: 'unsigned long' } },
    { name: 'pr_sighold', type: 'u64', doc: 'held signals', c: { type: 'unsigned long' } },
    {
      name: 'pr_pid',
      type: 'i32',
      doc: '0 from the kernel; gdb needs unique non-zero ids',
      c: { type: 'pid_t' },
    },
    { name: 'pr_ppid', type: 'i32', doc: '', c: { type: 'pid_t' } },
    { name: 'pr_pgrp', type: 'i32', doc: '', c: { type: 'pid_t' } },
    { name: 'pr_sid', type: 'i32', doc: '', c: { type: 'pid_t' } },
    {
      name: 'pr_times',
      type: 'u64',
      count: 8,
      doc: 'pr_utime, pr_stime, pr_cutime, pr_cstime {sec, usec}',
      c: { type: 'long' },
    },
    {
      name: 'pr_reg',
      type: 'u64',
      count: 48,
      doc: 'elf_gregset_t: struct pt_regs verbatim',
      c: { type: 'elf_greg_t' },
    },
    { name: 'pr_fpvalid', type: 'i32', doc: '0', c: { type: 'int' } },
    { name: 'pad1', type: 'u32', doc: 'padding', reserved: true },
  ],
} as const);

/** Nhdr + "CORE\0" padded to 8 + 504-byte desc. */
export const PRSTATUS_NOTE_SIZE = 524;
/** note_buf_t per CPU: the note plus room for the final empty note (CRASH_CORE_NOTE_BYTES). */
export const NOTE_BUF_BYTES = 536;

/** e_ident: \x7fELF, ELFCLASS64, the data encoding of the byte order, EV_CURRENT. */
function elfIdent(order: ByteOrder): Uint8Array {
  const ident = new Uint8Array(16);
  ident.set([0x7f, 0x45, 0x4c, 0x46, 2, order === 'le' ? 1 : 2, 1, 0]);
  return ident;
}

/**
 * The ELF header of a ppc64 core (ET_CORE, program headers right after it, no sections); `other`
 * changes fields for another kind of file (the vmlinux: ET_EXEC, an entry point, sections).
 */
export function elfHeader(
  order: ByteOrder,
  phnum: number,
  other: Partial<StructValue<typeof ELF64_EHDR.fields>> = {},
): Uint8Array {
  return ELF64_EHDR.encode(
    {
      e_ident: elfIdent(order),
      e_type: ET_CORE,
      e_machine: EM_PPC64,
      e_version: 1,
      e_entry: 0n,
      e_phoff: BigInt(ELF64_EHDR.size),
      e_shoff: 0n,
      e_flags: order === 'le' ? 2 : 1,
      e_ehsize: ELF64_EHDR.size,
      e_phentsize: ELF64_PHDR.size,
      e_phnum: phnum,
      e_shentsize: 0,
      e_shnum: 0,
      e_shstrndx: 0,
      ...other,
    },
    order,
  );
}

export function ptRegsFromRegisters(r: Registers): PtRegs {
  return {
    ...PT_REGS.zero(),
    gpr: [...r.gpr],
    nip: r.nip,
    msr: r.msr,
    orig_gpr3: r.orig_gpr3,
    ctr: r.ctr,
    link: r.lr,
    xer: r.xer,
    ccr: r.cr,
    softe: r.softe,
    trap: r.trap,
    dar: r.dar,
    dsisr: r.dsisr,
  };
}

const pad4 = (n: number) => (n + 3) & ~3;

/** One ELF note: header, NUL-terminated name padded to 4, descriptor padded to 4. */
export function noteBytes(name: string, type: number, desc: Uint8Array, order: ByteOrder): Uint8Array {
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const out = new Uint8Array(ELF64_NHDR.size + pad4(nameBytes.length) + pad4(desc.length));
  ELF64_NHDR.encodeInto(out, 0, { n_namesz: nameBytes.length, n_descsz: desc.length, n_type: type }, order);
  out.set(nameBytes, ELF64_NHDR.size);
  out.set(desc, ELF64_NHDR.size + pad4(nameBytes.length));
  return out;
}

/** An NT_PRSTATUS note as the kernel writes it: only pr_reg filled (and pr_pid when asked). */
export function prstatusNote(regs: PtRegs, pid: number, order: ByteOrder): Uint8Array {
  const words = regs;
  const flat = [
    ...words.gpr,
    words.nip,
    words.msr,
    words.orig_gpr3,
    words.ctr,
    words.link,
    words.xer,
    words.ccr,
    words.softe,
    words.trap,
    words.dar,
    words.dsisr,
    words.result,
    words.ppr,
    words.exit_result,
    words.kuap,
    words.iamr,
  ];
  const desc = ELF_PRSTATUS.encode({ ...ELF_PRSTATUS.zero(), pr_pid: pid, pr_reg: flat }, order);
  return noteBytes('CORE', NT_PRSTATUS, desc, order);
}
