// Physical addresses of the kernel image's symbols: one table for the loader, the printk ring, the
// vmcoreinfo note and the dump tools' SYMBOL() keys. Kernel virtual = KERNEL_VBASE + physical.

import { NEWEST, osrelease } from './releases.ts';

export const PAGE_SIZE = 0x10000;
export const KERNEL_VBASE = 0xc000000000000000n;
/** The release the newest kernel reports. */
export const OSRELEASE = osrelease(NEWEST);

/** ASSUMPTION: the layout of our vmlinux (any layout below 128 MiB serves). */
export const SYMBOLS = {
  _stext: 0x0000_0000,
  /** The banner "Linux version …\n" that start_kernel prints first (init/version-timestamp.c). */
  linux_banner: 0x018f_0000,
  init_uts_ns: 0x0190_0000,
  prb: 0x0190_1000,
  printk_rb_static: 0x0190_1100,
  clear_seq: 0x0190_1200,
  /** struct vmemmap_backing *vmemmap_list: the newest entry. */
  vmemmap_list: 0x0190_1300,
  /** int mmu_vmemmap_psize (MMU_PAGE_16M). */
  mmu_vmemmap_psize: 0x0190_1308,
  /** struct cpu_spec *cur_cpu_spec, and the cpu_spec it points at. */
  cur_cpu_spec: 0x0190_1310,
  cpu_spec: 0x0190_1400,
  /** struct mmu_psize_def mmu_psize_defs[MMU_PAGE_COUNT]. */
  mmu_psize_defs: 0x0190_2000,
  /** The zone's free_area[NR_PAGE_ORDERS]: the list heads free blocks' lru points at. */
  free_area: 0x0190_3000,
  vmcoreinfo_note: 0x0191_0000,
  printk_descs: 0x01a0_0000,
  printk_infos: 0x01a4_0000,
  printk_data: 0x01b0_0000,
  /** The SPARSEMEM_EXTREME root array, struct mem_section *[NR_SECTION_ROOTS] (256 KiB); SYMBOL(mem_section) is its address. */
  mem_section: 0x0200_0000,
  /** The kernel page table's top level (64 KiB; the hash MMU maps the kernel without it). */
  swapper_pg_dir: 0x0204_0000,
  /** The vmemmap_backing entries, 24 bytes each, one per 16 GiB of memory (3 MiB for 2 PiB). */
  vmemmap_backing_pool: 0x0210_0000,
} as const;

/** Every byte of the image lies below this. */
export const KERNEL_IMAGE_END = 0x0800_0000;

export function va(phys: number): bigint {
  // u64 arithmetic, as in C: a damaged address wraps rather than overflowing.
  return BigInt.asUintN(64, KERNEL_VBASE + BigInt(phys));
}
