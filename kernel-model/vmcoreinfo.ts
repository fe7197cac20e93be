// VMCOREINFO (kernel/vmcore_info.c crash_save_vmcoreinfo_init() and, for ppc64,
// arch/powerpc/kexec/vmcore_info.c arch_crash_save_vmcoreinfo()): KEY=VALUE lines describing the
// kernel to dump tools, kept as an ELF note in memory, in the kernel's order. The keys are those a
// 6.10 ppc64 kernel (SPARSEMEM_VMEMMAP, hash MMU) emits for what the model keeps in memory: the
// utsname, the memory map (mem_section, struct page, the page flags and types, the vmemmap_list),
// the lockless printk ring, the MMU. Keys for structures the model does not keep (node_data, zones,
// kallsyms) are left out. At a crash the kernel appends CRASHTIME.

import type { MemoryView, PhysicalMemory } from '../emulator/physical-memory.ts';
import type { ByteOrder } from '../emulator/struct.ts';
import { ELF64_NHDR } from './elf.ts';
import {
  CPU_SPEC_OFFSETS,
  MAX_PHYSMEM_BITS,
  MEM_SECTION,
  MMU_PSIZE_DEF,
  NR_PAGE_ORDERS,
  NR_SECTION_ROOTS,
  PAGE_TYPE,
  PG,
  SECTION_SIZE_BITS,
  STRUCT_PAGE,
  VMALLOC_START,
  VMEMMAP_BACKING,
  VMEMMAP_BASE,
} from './page-structs.ts';
import { PRB_DESC, PRINTK_INFO, PRINTK_RINGBUFFER } from './printk-ring.ts';
import { OSRELEASE, PAGE_SIZE, SYMBOLS, va } from './symbols.ts';

/** VMCOREINFO_BYTES = PAGE_SIZE; the note adds two 12-byte headers and the 12-byte name. */
export const VMCOREINFO_BYTES = PAGE_SIZE;
export const VMCOREINFO_NOTE_SIZE = 36 + VMCOREINFO_BYTES;
const NOTE_NAME = 'VMCOREINFO';

const sym = (name: keyof typeof SYMBOLS) => va(SYMBOLS[name]).toString(16);
const page = (f: Parameters<typeof STRUCT_PAGE.offsetOf>[0]) => STRUCT_PAGE.offsetOf(f);

export function vmcoreinfoText(opts: { order: ByteOrder; memoryEnd: number; osrelease?: string }): string {
  const lines = [
    `OSRELEASE=${opts.osrelease ?? OSRELEASE}`,
    `PAGESIZE=${PAGE_SIZE}`,
    `SYMBOL(init_uts_ns)=${sym('init_uts_ns')}`,
    'OFFSET(uts_namespace.name)=0',
    `SYMBOL(swapper_pg_dir)=${sym('swapper_pg_dir')}`,
    `SYMBOL(_stext)=${sym('_stext')}`,
    `NUMBER(VMALLOC_START)=0x${VMALLOC_START.toString(16)}`,
    `SYMBOL(vmemmap)=${VMEMMAP_BASE.toString(16)}`,
    `SYMBOL(mem_section)=${sym('mem_section')}`,
    `LENGTH(mem_section)=${NR_SECTION_ROOTS}`,
    `SIZE(mem_section)=${MEM_SECTION.size}`,
    `OFFSET(mem_section.section_mem_map)=${MEM_SECTION.offsetOf('section_mem_map')}`,
    `NUMBER(SECTION_SIZE_BITS)=${SECTION_SIZE_BITS}`,
    `NUMBER(MAX_PHYSMEM_BITS)=${MAX_PHYSMEM_BITS}`,
    `SIZE(page)=${STRUCT_PAGE.size}`,
    `OFFSET(page.flags)=${page('flags')}`,
    `OFFSET(page._refcount)=${page('_refcount')}`,
    `OFFSET(page.mapping)=${page('mapping')}`,
    `OFFSET(page.lru)=${page('lru_next')}`,
    `OFFSET(page._mapcount)=${page('_mapcount')}`,
    `OFFSET(page.private)=${page('private')}`,
    `OFFSET(page.compound_head)=${page('lru_next')}`,
    'SIZE(list_head)=16',
    'OFFSET(list_head.next)=0',
    'OFFSET(list_head.prev)=8',
    `LENGTH(zone.free_area)=${NR_PAGE_ORDERS}`,
    `SYMBOL(prb)=${sym('prb')}`,
    `SYMBOL(printk_rb_static)=${sym('printk_rb_static')}`,
    `SYMBOL(clear_seq)=${sym('clear_seq')}`,
    ...printkLayout(),
    'SIZE(atomic_long_t)=8',
    'OFFSET(atomic_long_t.counter)=0',
    `NUMBER(PG_lru)=${PG.lru}`,
    `NUMBER(PG_private)=${PG.private}`,
    `NUMBER(PG_swapcache)=${PG.swapcache}`,
    `NUMBER(PG_swapbacked)=${PG.swapbacked}`,
    `NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=${~PAGE_TYPE.slab}`,
    `NUMBER(PG_hwpoison)=${PG.hwpoison}`,
    `NUMBER(PG_head_mask)=${2 ** PG.head}`,
    `NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=${~PAGE_TYPE.buddy}`,
    `NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=${~PAGE_TYPE.hugetlb}`,
    `NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=${~PAGE_TYPE.offline}`,
    `SYMBOL(vmemmap_list)=${sym('vmemmap_list')}`,
    `SYMBOL(mmu_vmemmap_psize)=${sym('mmu_vmemmap_psize')}`,
    `SYMBOL(mmu_psize_defs)=${sym('mmu_psize_defs')}`,
    `SIZE(vmemmap_backing)=${VMEMMAP_BACKING.size}`,
    `OFFSET(vmemmap_backing.list)=${VMEMMAP_BACKING.offsetOf('list')}`,
    `OFFSET(vmemmap_backing.phys)=${VMEMMAP_BACKING.offsetOf('phys')}`,
    `OFFSET(vmemmap_backing.virt_addr)=${VMEMMAP_BACKING.offsetOf('virt_addr')}`,
    `SIZE(mmu_psize_def)=${MMU_PSIZE_DEF.size}`,
    `OFFSET(mmu_psize_def.shift)=${MMU_PSIZE_DEF.offsetOf('shift')}`,
    `SYMBOL(cur_cpu_spec)=${sym('cur_cpu_spec')}`,
    `OFFSET(cpu_spec.cpu_features)=${CPU_SPEC_OFFSETS.cpu_features}`,
    `OFFSET(cpu_spec.mmu_features)=${CPU_SPEC_OFFSETS.mmu_features}`,
    'NUMBER(RADIX_MMU)=0',
    'KERNELOFFSET=0',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The SIZE() and OFFSET() lines of the printk ring (kernel/printk/printk.c, log_buf_vmcoreinfo_setup),
 * from the field tables the ring is written with. Those tables flatten the nested structs: the
 * descriptor ring starts at count_bits, the data ring at size_bits, a text block's lpos at begin.
 */
function printkLayout(): string[] {
  const rb = (f: Parameters<typeof PRINTK_RINGBUFFER.offsetOf>[0]) => PRINTK_RINGBUFFER.offsetOf(f);
  const descRing = rb('count_bits');
  const dataRing = rb('size_bits');
  const lpos = PRB_DESC.offsetOf('begin');
  const info = (f: Parameters<typeof PRINTK_INFO.offsetOf>[0]) => PRINTK_INFO.offsetOf(f);
  return [
    `SIZE(printk_ringbuffer)=${PRINTK_RINGBUFFER.size}`,
    `OFFSET(printk_ringbuffer.desc_ring)=${descRing}`,
    `OFFSET(printk_ringbuffer.text_data_ring)=${dataRing}`,
    `OFFSET(printk_ringbuffer.fail)=${rb('fail')}`,
    `SIZE(prb_desc_ring)=${dataRing - descRing}`,
    `OFFSET(prb_desc_ring.count_bits)=${rb('count_bits') - descRing}`,
    `OFFSET(prb_desc_ring.descs)=${rb('descs') - descRing}`,
    `OFFSET(prb_desc_ring.infos)=${rb('infos') - descRing}`,
    `OFFSET(prb_desc_ring.head_id)=${rb('head_id') - descRing}`,
    `OFFSET(prb_desc_ring.tail_id)=${rb('tail_id') - descRing}`,
    `SIZE(prb_desc)=${PRB_DESC.size}`,
    `OFFSET(prb_desc.state_var)=${PRB_DESC.offsetOf('state_var')}`,
    `OFFSET(prb_desc.text_blk_lpos)=${lpos}`,
    `SIZE(prb_data_blk_lpos)=${PRB_DESC.size - lpos}`,
    `OFFSET(prb_data_blk_lpos.begin)=0`,
    `OFFSET(prb_data_blk_lpos.next)=${PRB_DESC.offsetOf('next') - lpos}`,
    `SIZE(printk_info)=${PRINTK_INFO.size}`,
    `OFFSET(printk_info.seq)=${info('seq')}`,
    `OFFSET(printk_info.ts_nsec)=${info('ts_nsec')}`,
    `OFFSET(printk_info.text_len)=${info('text_len')}`,
    `OFFSET(printk_info.caller_id)=${info('caller_id')}`,
    `OFFSET(printk_info.dev_info)=${info('dev_info')}`,
    `SIZE(prb_data_ring)=${rb('fail') - dataRing}`,
    `OFFSET(prb_data_ring.size_bits)=${rb('size_bits') - dataRing}`,
    `OFFSET(prb_data_ring.data)=${rb('data') - dataRing}`,
    `OFFSET(prb_data_ring.head_lpos)=${rb('head_lpos') - dataRing}`,
    `OFFSET(prb_data_ring.tail_lpos)=${rb('tail_lpos') - dataRing}`,
  ];
}

function noteFor(text: string, order: ByteOrder): Uint8Array {
  const desc = new TextEncoder().encode(text);
  if (desc.length > VMCOREINFO_BYTES) throw new RangeError('vmcoreinfo data exceeds allocated size');
  const out = new Uint8Array(VMCOREINFO_NOTE_SIZE);
  ELF64_NHDR.encodeInto(out, 0, { n_namesz: NOTE_NAME.length + 1, n_descsz: desc.length, n_type: 0 }, order);
  out.set(new TextEncoder().encode(NOTE_NAME), ELF64_NHDR.size);
  out.set(desc, ELF64_NHDR.size + 12);
  // The rest of the area, including the terminating empty note, stays zero.
  return out;
}

/** Writes the vmcoreinfo note (and its terminating empty note) at SYMBOLS.vmcoreinfo_note. */
export function writeVmcoreinfoNote(mem: PhysicalMemory, order: ByteOrder, text: string): void {
  mem.write(SYMBOLS.vmcoreinfo_note, noteFor(text, order));
}

/** crash_save_vmcoreinfo: appends CRASHTIME and rewrites the note in place. */
export function appendCrashTime(mem: PhysicalMemory, order: ByteOrder, seconds: bigint): void {
  const current = readVmcoreinfoText(mem, order, SYMBOLS.vmcoreinfo_note) ?? '';
  writeVmcoreinfoNote(mem, order, `${current}CRASHTIME=${seconds}\n`);
}

function readVmcoreinfoText(view: MemoryView, order: ByteOrder, paddr: number): string | undefined {
  const head = ELF64_NHDR.decode(view.peek(paddr, ELF64_NHDR.size), order);
  if (head.n_namesz !== NOTE_NAME.length + 1 || head.n_descsz > VMCOREINFO_BYTES) return undefined;
  const name = new TextDecoder().decode(view.peek(paddr + ELF64_NHDR.size, NOTE_NAME.length));
  if (name !== NOTE_NAME) return undefined;
  return new TextDecoder().decode(view.peek(paddr + ELF64_NHDR.size + 12, head.n_descsz));
}

/** Parses the note at paddr back into its keys, or undefined when there is no valid note. */
export function readVmcoreinfo(
  view: MemoryView,
  order: ByteOrder,
  paddr: number,
): Map<string, string> | undefined {
  const text = readVmcoreinfoText(view, order, paddr);
  if (text === undefined) return undefined;
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}
