// The vmlinux beside every dump: an ELF64 ppc64 executable of the model's kernel image, for crash and
// gdb. It holds the text at _stext (0xc000000000000000, crash's ppc64 base for translating kernel
// addresses), linux_banner in .rodata, a .symtab with every symbol of the image, sized, and DWARF
// generated from the field tables of the structures in memory (dump/dwarf.ts). The data symbols lie
// in a .bss that takes no bytes of the file: their contents are the dump's.

import { StringTable } from '../emulator/string-table.ts';
import type { ByteOrder } from '../emulator/struct.ts';
import {
  ELF_PRSTATUS,
  ELF64_EHDR,
  ELF64_PHDR,
  ELF64_SHDR,
  ELF64_SYM,
  ET_EXEC,
  elfHeader,
  PT_LOAD,
  PT_REGS,
} from '../kernel-model/elf.ts';
import { FREE_AREA_SIZE } from '../kernel-model/memmap.ts';
import {
  MEM_SECTION,
  MMU_PSIZE_DEF,
  NR_PAGE_ORDERS,
  NR_SECTION_ROOTS,
  STRUCT_PAGE,
  VMEMMAP_BACKING,
} from '../kernel-model/page-structs.ts';
import {
  COUNT_BITS,
  DEV_PRINTK_INFO,
  PRB_DESC,
  PRINTK_INFO,
  PRINTK_RINGBUFFER,
  SIZE_BITS,
} from '../kernel-model/printk-ring.ts';
import { KERNEL_IMAGE_END, PAGE_SIZE, SYMBOLS, va } from '../kernel-model/symbols.ts';
import { VMCOREINFO_NOTE_SIZE } from '../kernel-model/vmcoreinfo.ts';
import {
  linuxBannerBytes,
  TASK_STRUCT,
  TEXT_BYTES,
  textPages,
  UTS_NAMESPACE,
} from '../kernel-model/vmlinux.ts';
import { cTypeSize, type DescribedStruct, writeDwarf } from './dwarf.ts';

/** The structures the vmlinux's DWARF describes: every one the dump's memory holds, and task_struct. */
export const VMLINUX_STRUCTS: readonly DescribedStruct[] = [
  PRINTK_RINGBUFFER,
  PRB_DESC,
  PRINTK_INFO,
  DEV_PRINTK_INFO,
  UTS_NAMESPACE,
  TASK_STRUCT,
  STRUCT_PAGE,
  MEM_SECTION,
  VMEMMAP_BACKING,
  MMU_PSIZE_DEF,
  PT_REGS,
  ELF_PRSTATUS,
];

/** MMU_PAGE_COUNT on book3s64 (arch/powerpc/include/asm/mmu.h): the length of mmu_psize_defs. */
const MMU_PAGE_COUNT = 16;

/** The C type of every data symbol of the image (SYMBOLS), as DWARF and .symtab describe it. */
function dataTypes(bannerBytes: number): Record<Exclude<keyof typeof SYMBOLS, '_stext'>, string> {
  return {
    linux_banner: `char[${bannerBytes}]`,
    init_uts_ns: 'struct uts_namespace',
    prb: 'struct printk_ringbuffer *',
    printk_rb_static: 'struct printk_ringbuffer',
    clear_seq: 'u64',
    vmemmap_list: 'struct vmemmap_backing *',
    mmu_vmemmap_psize: 'int',
    cur_cpu_spec: 'struct cpu_spec *',
    cpu_spec: 'struct cpu_spec',
    mmu_psize_defs: `struct mmu_psize_def[${MMU_PAGE_COUNT}]`,
    free_area: `unsigned char[${NR_PAGE_ORDERS * FREE_AREA_SIZE}]`,
    vmcoreinfo_note: `u32[${VMCOREINFO_NOTE_SIZE / 4}]`,
    printk_descs: `struct prb_desc[${2 ** COUNT_BITS}]`,
    printk_infos: `struct printk_info[${2 ** COUNT_BITS}]`,
    printk_data: `char[${2 ** SIZE_BITS}]`,
    mem_section: `struct mem_section *[${NR_SECTION_ROOTS}]`,
    swapper_pg_dir: `unsigned long[${PAGE_SIZE / 8}]`,
    vmemmap_backing_pool: `struct vmemmap_backing[${(3 * 2 ** 20) / VMEMMAP_BACKING.size}]`,
  };
}

const SHT = { progbits: 1, symtab: 2, strtab: 3, nobits: 8 } as const;
const SHF = { write: 1, alloc: 2, exec: 4, merge: 0x10, strings: 0x20 } as const;
const STB_GLOBAL = 1;
const STT = { notype: 0, object: 1, func: 2 } as const;
const PF = { x: 1, w: 2, r: 4 } as const;

export interface VmlinuxOptions {
  order: ByteOrder;
  /** The kernel release as uname -r gives it (osrelease). */
  osrelease: string;
}

interface Section {
  name: string;
  type: number;
  flags: number;
  addr: bigint;
  bytes: Uint8Array;
  /** Bytes in memory for a NOBITS section. */
  size?: number;
  align: number;
  link?: number;
  info?: number;
  entsize?: number;
  offset?: number;
}

const made = new Map<string, Uint8Array>();

/**
 * The vmlinux of one release and byte order: the same bytes for every dump of that kernel, made
 * once per process (never write the array returned).
 */
export function writeVmlinux(o: VmlinuxOptions): Uint8Array {
  const key = `${o.osrelease}/${o.order}`;
  let bytes = made.get(key);
  if (!bytes) {
    bytes = makeVmlinux(o);
    made.set(key, bytes);
  }
  return bytes;
}

function makeVmlinux(o: VmlinuxOptions): Uint8Array {
  const { order } = o;
  const banner = linuxBannerBytes(o.osrelease, order);
  const types = dataTypes(banner.length);
  const dwarf = writeDwarf({
    order,
    producer: 'fadump-sim (generated from the field tables)',
    unitName: 'fadump-sim vmlinux',
    structs: VMLINUX_STRUCTS,
    variables: Object.entries(types).map(([name, type]) => ({
      name,
      type,
      address: va(SYMBOLS[name as keyof typeof types]),
    })),
  });
  const text = new Uint8Array(TEXT_BYTES);
  textPages(o.osrelease, order).forEach((p, i) => text.set(p, i * PAGE_SIZE));
  const bssStart = SYMBOLS.init_uts_ns;
  const sections: Section[] = [
    { name: '', type: 0, flags: 0, addr: 0n, bytes: new Uint8Array(0), align: 0 },
    {
      name: '.text',
      type: SHT.progbits,
      flags: SHF.alloc | SHF.exec,
      addr: va(SYMBOLS._stext),
      bytes: text,
      align: PAGE_SIZE,
    },
    {
      name: '.rodata',
      type: SHT.progbits,
      flags: SHF.alloc,
      addr: va(SYMBOLS.linux_banner),
      bytes: banner,
      align: PAGE_SIZE,
    },
    {
      name: '.bss',
      type: SHT.nobits,
      flags: SHF.alloc | SHF.write,
      addr: va(bssStart),
      bytes: new Uint8Array(0),
      size: KERNEL_IMAGE_END - bssStart,
      align: PAGE_SIZE,
    },
    { name: '.debug_info', type: SHT.progbits, flags: 0, addr: 0n, bytes: dwarf.info, align: 1 },
    { name: '.debug_abbrev', type: SHT.progbits, flags: 0, addr: 0n, bytes: dwarf.abbrev, align: 1 },
    {
      name: '.debug_str',
      type: SHT.progbits,
      flags: SHF.merge | SHF.strings,
      addr: 0n,
      bytes: dwarf.str,
      align: 1,
      entsize: 1,
    },
  ];
  const index = (name: string) => sections.findIndex((s) => s.name === name);
  const sectionOf = (phys: number) =>
    phys < TEXT_BYTES ? index('.text') : phys === SYMBOLS.linux_banner ? index('.rodata') : index('.bss');

  // .symtab: the null symbol, then every symbol global, sorted by address.
  const strtab = new StringTable(true);
  const symbols = [
    { name: '_stext', phys: SYMBOLS._stext, size: TEXT_BYTES, type: STT.func },
    { name: '_etext', phys: SYMBOLS._stext + TEXT_BYTES, size: 0, type: STT.notype },
    ...Object.entries(types).map(([name, type]) => ({
      name,
      phys: SYMBOLS[name as keyof typeof types],
      size: cTypeSize(type, VMLINUX_STRUCTS) ?? 0,
      type: STT.object,
    })),
  ].sort((a, b) => a.phys - b.phys || a.name.localeCompare(b.name));
  const symtab = new Uint8Array((symbols.length + 1) * ELF64_SYM.size);
  symbols.forEach((s, i) =>
    ELF64_SYM.encodeInto(
      symtab,
      (i + 1) * ELF64_SYM.size,
      {
        st_name: strtab.add(s.name),
        st_info: (STB_GLOBAL << 4) | s.type,
        st_other: 0,
        st_shndx: sectionOf(s.name === '_etext' ? SYMBOLS._stext : s.phys),
        st_value: va(s.phys),
        st_size: BigInt(s.size),
      },
      order,
    ),
  );
  const strtabIndex = sections.length + 1;
  sections.push(
    {
      name: '.symtab',
      type: SHT.symtab,
      flags: 0,
      addr: 0n,
      bytes: symtab,
      align: 8,
      link: strtabIndex,
      info: 1,
      entsize: ELF64_SYM.size,
    },
    { name: '.strtab', type: SHT.strtab, flags: 0, addr: 0n, bytes: strtab.bytes(), align: 1 },
  );
  const shstrtab = new StringTable(true);
  const names = sections.map((s) => shstrtab.add(s.name));
  names.push(shstrtab.add('.shstrtab'));
  sections.push({
    name: '.shstrtab',
    type: SHT.strtab,
    flags: 0,
    addr: 0n,
    bytes: shstrtab.bytes(),
    align: 1,
  });

  // Layout: headers, the loaded sections each at a file offset congruent to its address modulo the
  // page (as the program headers require), the rest packed, the section headers last.
  const loads = sections.filter((s) => s.flags & SHF.alloc);
  const phoff = ELF64_EHDR.size;
  let at = phoff + loads.length * ELF64_PHDR.size;
  for (const s of sections.slice(1)) {
    const align = Math.max(s.align, 1);
    at = Math.ceil(at / align) * align;
    s.offset = at;
    at += s.bytes.length;
  }
  const shoff = Math.ceil(at / 8) * 8;
  const out = new Uint8Array(shoff + sections.length * ELF64_SHDR.size);
  out.set(
    elfHeader(order, loads.length, {
      e_type: ET_EXEC,
      e_entry: va(SYMBOLS._stext),
      e_phoff: BigInt(phoff),
      e_shoff: BigInt(shoff),
      e_shentsize: ELF64_SHDR.size,
      e_shnum: sections.length,
      e_shstrndx: sections.length - 1,
    }),
    0,
  );
  loads.forEach((s, i) => {
    const memsz = s.size ?? s.bytes.length;
    ELF64_PHDR.encodeInto(
      out,
      phoff + i * ELF64_PHDR.size,
      {
        p_type: PT_LOAD,
        p_flags: PF.r | (s.flags & SHF.write ? PF.w : 0) | (s.flags & SHF.exec ? PF.x : 0),
        p_offset: BigInt(s.offset!),
        p_vaddr: s.addr,
        p_paddr: s.addr - va(0),
        p_filesz: BigInt(s.bytes.length),
        p_memsz: BigInt(memsz),
        p_align: BigInt(PAGE_SIZE),
      },
      order,
    );
  });
  sections.forEach((s, i) => {
    out.set(s.bytes, s.offset ?? 0);
    ELF64_SHDR.encodeInto(
      out,
      shoff + i * ELF64_SHDR.size,
      {
        sh_name: i === 0 ? 0 : names[i]!,
        sh_type: s.type,
        sh_flags: BigInt(s.flags),
        sh_addr: s.addr,
        sh_offset: BigInt(i === 0 ? 0 : s.offset!),
        sh_size: BigInt(s.size ?? s.bytes.length),
        sh_link: s.link ?? 0,
        sh_info: s.info ?? 0,
        sh_addralign: BigInt(s.align),
        sh_entsize: BigInt(s.entsize ?? 0),
      },
      order,
    );
  });
  return out;
}
