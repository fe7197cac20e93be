// The structures with which a ppc64 Linux kernel (book3s64, 64 KiB pages, hash MMU,
// SPARSEMEM_VMEMMAP with SPARSEMEM_EXTREME) describes its memory to itself and, through VMCOREINFO,
// to makedumpfile: struct page, struct mem_section, struct vmemmap_backing and struct mmu_psize_def,
// with the page-flag bits and page types of Linux 6.10. Offsets: include/linux/mm_types.h (struct
// page), include/linux/mmzone.h (struct mem_section), arch/powerpc/include/asm/book3s/64/pgalloc.h
// (struct vmemmap_backing), arch/powerpc/include/asm/book3s/64/mmu.h (struct mmu_psize_def).

import { defineStruct } from '../emulator/struct.ts';

/** struct page, 64 bytes with CONFIG_MEMCG (what makedumpfile reads through SIZE/OFFSET(page.*)). */
export const STRUCT_PAGE = defineStruct({
  name: 'page',
  size: 64,
  order: 'native',
  spec: 'Linux include/linux/mm_types.h (struct page), kernel/vmcore_info.c (the OFFSET(page.*) lines)',
  c: { nested: { lru: 'list_head' } },
  fields: [
    { name: 'flags', type: 'u64', doc: 'PG_* bits (enum pageflags)', c: { type: 'unsigned long' } },
    {
      name: 'lru_next',
      type: 'u64',
      doc: 'lru.next (free list, LRU), or compound_head | 1 in a tail page',
      c: { in: 'lru', name: 'next', type: 'struct list_head *' },
    },
    {
      name: 'lru_prev',
      type: 'u64',
      doc: 'lru.prev',
      c: { in: 'lru', name: 'prev', type: 'struct list_head *' },
    },
    {
      name: 'mapping',
      type: 'u64',
      doc: 'the address_space of a cache page; anon_vma | 1 (PAGE_MAPPING_ANON) of an anonymous one',
      c: { type: 'struct address_space *' },
    },
    { name: 'index', type: 'u64', doc: 'offset in the mapping, in pages', c: { type: 'unsigned long' } },
    {
      name: 'private',
      type: 'u64',
      doc: 'buffer heads of a cache page (with PG_private); the order of a free block',
      c: { type: 'unsigned long' },
    },
    {
      name: '_mapcount',
      type: 'i32',
      doc: 'mappings - 1, or page_type: ~PG_buddy, ~PG_slab, ~PG_table, ~PG_offline',
      c: { type: 'atomic_t' },
    },
    { name: '_refcount', type: 'i32', doc: 'references; 0 when free', c: { type: 'atomic_t' } },
    { name: 'memcg_data', type: 'u64', doc: 'the memory cgroup (0)', c: { type: 'unsigned long' } },
  ],
} as const);

/** struct mem_section without CONFIG_PAGE_EXTENSION: 16 bytes. */
export const MEM_SECTION = defineStruct({
  name: 'mem_section',
  size: 16,
  order: 'native',
  spec: 'Linux include/linux/mmzone.h (struct mem_section, SECTION_* flags)',
  fields: [
    {
      name: 'section_mem_map',
      type: 'u64',
      doc: "the mem_map less the section's first pfn (the vmemmap base with VMEMMAP) | SECTION_MARKED_PRESENT 1, HAS_MEM_MAP 2, IS_ONLINE 4, IS_EARLY 8",
      c: { type: 'unsigned long' },
    },
    {
      name: 'usage',
      type: 'u64',
      doc: 'struct mem_section_usage * (subsection map, pageblock flags)',
      c: { type: 'struct mem_section_usage *' },
    },
  ],
} as const);

/** struct vmemmap_backing: one 16 MiB piece of the vmemmap and the memory behind it (hash MMU). */
export const VMEMMAP_BACKING = defineStruct({
  name: 'vmemmap_backing',
  size: 24,
  order: 'native',
  spec: 'Linux arch/powerpc/include/asm/book3s/64/pgalloc.h (struct vmemmap_backing), arch/powerpc/mm/init_64.c vmemmap_list_populate()',
  fields: [
    {
      name: 'list',
      type: 'u64',
      doc: 'the next (older) entry; 0 ends the list',
      c: { type: 'struct vmemmap_backing *' },
    },
    {
      name: 'phys',
      type: 'u64',
      doc: 'physical address of the backing memory',
      c: { type: 'unsigned long' },
    },
    { name: 'virt_addr', type: 'u64', doc: 'the vmemmap address it backs', c: { type: 'unsigned long' } },
  ],
} as const);

/** struct mmu_psize_def, 96 bytes; makedumpfile reads only `shift`. */
export const MMU_PSIZE_DEF = defineStruct({
  name: 'mmu_psize_def',
  size: 96,
  order: 'native',
  spec: 'Linux arch/powerpc/include/asm/book3s/64/mmu.h (struct mmu_psize_def)',
  fields: [
    { name: 'shift', type: 'u32', doc: 'log2 of the page size', c: { type: 'unsigned int' } },
    {
      name: 'rest',
      type: 'bytes',
      size: 92,
      doc: 'penc[], tlbiel, avpnm, h_rpt_pgsize, sllp',
      reserved: true,
    },
  ],
} as const);

/**
 * enum pageflags bits of Linux 6.10 (include/linux/page-flags.h) that the model sets. Bit 7 is
 * PG_waiters; makedumpfile takes an unexported PG_slab as bit 7, so the model never sets it.
 */
export const PG = {
  referenced: 2,
  uptodate: 3,
  dirty: 4,
  lru: 5,
  head: 6,
  active: 8,
  swapcache: 11,
  reserved: 13,
  private: 14,
  swapbacked: 18,
  hwpoison: 21,
} as const;

/**
 * Linux 6.10 page types (include/linux/page-flags.h): page_type starts at -1 and a type clears its
 * bit, so _mapcount reads ~PG_x (kernel/vmcore_info.c exports PAGE_BUDDY_MAPCOUNT_VALUE = ~PG_buddy).
 */
export const PAGE_TYPE = {
  buddy: 0x80,
  offline: 0x100,
  table: 0x200,
  guard: 0x400,
  hugetlb: 0x800,
  slab: 0x1000,
} as const;

/** mem_section.section_mem_map flag bits (include/linux/mmzone.h). */
export const SECTION = { present: 1, hasMemMap: 2, online: 4, early: 8 } as const;

/** The vmemmap's base on book3s64 (the struct page of pfn p is at VMEMMAP_BASE + 64 p). */
export const VMEMMAP_BASE = 0xc00c_0000_0000_0000n;
/** RADIX_VMALLOC_START, exported as NUMBER(VMALLOC_START) since 6.9. */
export const VMALLOC_START = 0xc008_0000_0000_0000n;
/** SECTION_SIZE_BITS (arch/powerpc/include/asm/sparsemem.h): 16 MiB sections. */
export const SECTION_SIZE_BITS = 24;
/** MAX_PHYSMEM_BITS with SPARSEMEM_VMEMMAP and SPARSEMEM_EXTREME on book3s64. */
export const MAX_PHYSMEM_BITS = 51;
/** NR_SECTION_ROOTS: 2^(51-24) sections, 4096 (a page of 16-byte mem_sections) per root. */
export const SECTIONS_PER_ROOT = 0x10000 / 16;
export const NR_SECTION_ROOTS = 2 ** (MAX_PHYSMEM_BITS - SECTION_SIZE_BITS) / SECTIONS_PER_ROOT;
/** NR_PAGE_ORDERS with 64 KiB pages (ARCH_FORCE_MAX_ORDER 8): free blocks of 2^0 to 2^8 pages. */
export const NR_PAGE_ORDERS = 9;
/** MMU_PAGE_16M: the index of the hash MMU's vmemmap page size in mmu_psize_defs. */
export const MMU_PAGE_16M = 10;
/** Each vmemmap_backing covers 16 MiB of vmemmap: the struct pages of 16 GiB of memory. */
export const VMEMMAP_CHUNK = 16 * 2 ** 20;
/** struct cpu_spec: where makedumpfile finds mmu_features (MMU_FTR_TYPE_RADIX 0x40 clear: hash). */
export const CPU_SPEC_OFFSETS = { cpu_features: 16, mmu_features: 32 } as const;
/** MMU_FTR_HPTE_TABLE: a hash page table MMU. */
export const MMU_FTR_HPTE_TABLE = 0x1;
