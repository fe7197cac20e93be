// The kernel's description of its memory, kept in simulated memory as a ppc64 kernel keeps it
// (SPARSEMEM_VMEMMAP + SPARSEMEM_EXTREME, hash MMU, 64 KiB pages), so that makedumpfile — or our page
// filter — can read every page frame's use from the dump alone:
//   - mem_section: the root array at SYMBOL(mem_section), one 64 KiB page of 4096 struct mem_section
//     per root in use (mm/sparse.c sparse_index_init); section_mem_map = vmemmap base | flags;
//   - the vmemmap: a 64-byte struct page per 64 KiB page frame at 0xc00c000000000000 + 64 pfn, backed
//     16 MiB at a time by memory the kernel allocates, each piece in the vmemmap_list
//     (arch/powerpc/mm/init_64.c vmemmap_populate(), vmemmap_list_populate(), vmemmap_free());
//   - a page allocator's outcome: every page frame has a use — kernel (PG_reserved), slab, page
//     table, page cache (some with private data), anonymous user data (some zero-filled), free buddy
//     blocks up to order 8 — and user and cache pages have contents.
// Memory is costed by what differs: uses are chosen per 16 MiB section from a few seed-made
// templates, so the 64 KiB vmemmap pages (4 sections each) and the contents are shared buffers
// (PhysicalMemory.share): a 64 TiB partition's 64 GiB of struct pages cost a few distinct pages.
// ASSUMPTION: free blocks' lru points at the free list head of their order (the lists themselves,
// and the zone and node structures, are not modelled); the pointers in used pages (mapping,
// private, the slab cache) point at fixed kernel-data addresses.

import type { PhysicalMemory } from '../emulator/physical-memory.ts';
import type { ByteOrder } from '../emulator/struct.ts';
import {
  CPU_SPEC_OFFSETS,
  MEM_SECTION,
  MMU_FTR_HPTE_TABLE,
  MMU_PAGE_16M,
  MMU_PSIZE_DEF,
  PAGE_TYPE,
  PG,
  SECTION,
  SECTION_SIZE_BITS,
  SECTIONS_PER_ROOT,
  STRUCT_PAGE,
  VMEMMAP_BACKING,
  VMEMMAP_BASE,
  VMEMMAP_CHUNK,
} from './page-structs.ts';
import { PAGE_SIZE, SYMBOLS, va } from './symbols.ts';

const SECTION_BYTES = 2 ** SECTION_SIZE_BITS;
const PAGES_PER_SECTION = SECTION_BYTES / PAGE_SIZE; // 256
const SECTION_MAP_BYTES = PAGES_PER_SECTION * STRUCT_PAGE.size; // 16 KiB
const SECTIONS_PER_VMEMMAP_PAGE = PAGE_SIZE / SECTION_MAP_BYTES; // 4
const SECTIONS_PER_CHUNK = VMEMMAP_CHUNK / SECTION_MAP_BYTES; // 1024
/** Sections below this (the first 256 MiB: kernel image, RTAS buffers, stacks) are kernel memory. */
const KERNEL_SECTIONS = 0x1000_0000 / SECTION_BYTES;
/** Distinct page contents and mixed-use templates made from the seed. */
const CONTENTS = 24;
const TEMPLATES = 6;
/** sizeof(struct free_area) with 6 migrate types: 6 list heads and nr_free. */
export const FREE_AREA_SIZE = 6 * 16 + 8;
const MIGRATE_MOVABLE = 1;

/** Fixed kernel-data addresses the pointers in used pages hold (ASSUMPTION). */
const KMEM_CACHE = 0x0300_0000;
const ADDRESS_SPACE = 0x0300_1000;
const BUFFER_HEADS = 0x0300_4000;
const ANON_VMA = 0x0300_8000;

const SECTION_MAP_AT = MEM_SECTION.offsetOf('section_mem_map');
const USAGE_AT = MEM_SECTION.offsetOf('usage');
/** The high 32 bits of the kernel's linear-map base (0xc000000000000000). */
const KERNEL_VBASE_HI = Number(va(0) >> 32n);

/** What a section is used for: a use code per section. */
/** section_mem_map for each flags value, made once: millions of sections share a few. */
const SECTION_MAPS: bigint[] = [];
function sectionMemMap(flags: number): bigint {
  SECTION_MAPS[flags] ??= VMEMMAP_BASE | BigInt(flags);
  return SECTION_MAPS[flags]!;
}

const USE = { absent: 0, free: 1, reserved: 2, offline: 3, kernel: 4, mixed: 16 } as const;

type Kind =
  | 'reserved'
  | 'slab'
  | 'table'
  | 'cache'
  | 'cachePrivate'
  | 'anon'
  | 'anonZero'
  | 'freeHead'
  | 'freeTail';

interface Template {
  /** 256 struct pages. */
  map: Uint8Array;
  /** Per page, the content id (-1: zero-filled or no content). */
  content: Int16Array;
}

/** A small deterministic generator (mulberry32), separate from the machine's RNG: 32 random bits. */
function prng32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The same generator as a number in [0, 1). */
function prng(seed: number): () => number {
  const next = prng32(seed);
  return () => next() / 2 ** 32;
}

export interface MemmapOptions {
  order: ByteOrder;
  seed: number;
  /** Every LMB slot of the machine: the sections there may ever be. */
  maxAddress: number;
  /** Memory below this that is free may hold used pages (the kernel's boot memory). */
  usedBelow: number;
}

/** What a Memmap builds from its seed and byte order alone, for the last few of them. */
const BUILT = new Map<
  string,
  {
    contents: Uint8Array[];
    templates: Template[];
    sectionMaps: Map<number, Uint8Array>;
    vmemmapPages: Map<number, Uint8Array>;
  }
>();

export class Memmap {
  private readonly use: Uint8Array;
  private readonly flags: Uint8Array;
  /** Per 16 GiB chunk of memory: the section holding its vmemmap backing, or -1. */
  private readonly chunkAt: Int32Array;
  /** Chunks with backing, newest first: the vmemmap_list order. */
  private readonly listOrder: number[] = [];
  /** Per root: the physical address of its mem_section page and of its usage page, or -1. */
  private readonly rootAt: Float64Array;
  private readonly usageAt: Float64Array;
  private metaSection = -1;
  private metaNext = SECTION_BYTES;
  private readonly sectionMaps: Map<number, Uint8Array>;
  private readonly vmemmapPages: Map<number, Uint8Array>;
  private readonly templates: Template[];
  private readonly contents: Uint8Array[];
  /** Allocation failed: the kernel's memory map is incomplete from here on. */
  failed = false;
  /** While booting, the vmemmap and mem_section pages are written once, at the end. */
  private booting = false;

  constructor(
    private readonly mem: PhysicalMemory,
    private readonly o: MemmapOptions,
  ) {
    const sections = Math.ceil(o.maxAddress / SECTION_BYTES);
    this.use = new Uint8Array(sections);
    this.flags = new Uint8Array(sections);
    this.chunkAt = new Int32Array(Math.ceil(sections / SECTIONS_PER_CHUNK)).fill(-1);
    this.rootAt = new Float64Array(Math.ceil(sections / SECTIONS_PER_ROOT)).fill(-1);
    this.usageAt = new Float64Array(this.rootAt.length).fill(-1);
    // The pages built from the seed alone are built once per seed and byte order, and shared by
    // every machine (the boots of a run, the cases of a campaign); memory never writes them in place.
    const key = `${o.seed}/${o.order}`;
    let built = BUILT.get(key);
    if (!built) {
      const contents = Array.from({ length: CONTENTS }, (_, i) => contentPage(o.seed, i));
      built = { contents, templates: [], sectionMaps: new Map(), vmemmapPages: new Map() };
      BUILT.set(key, built);
      if (BUILT.size > 8) BUILT.delete(BUILT.keys().next().value!);
    }
    this.contents = built.contents;
    this.sectionMaps = built.sectionMaps;
    this.vmemmapPages = built.vmemmapPages;
    if (!built.templates.length)
      built.templates.push(...Array.from({ length: TEMPLATES }, (_, i) => this.mixedTemplate(i)));
    this.templates = built.templates;
  }

  /**
   * sparse_init and mem_init at boot: every section of `memory` present and online (the first
   * 256 MiB and `reserved` as kernel memory), then some of the free boot memory put to use.
   */
  boot(
    memory: readonly { base: number; size: number }[],
    reserved: readonly { base: number; size: number }[],
  ): void {
    for (const r of memory) {
      for (const s of this.sectionsOf(r.base, r.size)) {
        this.flags[s] = SECTION.present | SECTION.hasMemMap | SECTION.online | SECTION.early;
        const res = reserved.some(
          (x) => x.base < (s + 1) * SECTION_BYTES && s * SECTION_BYTES < x.base + x.size,
        );
        this.use[s] = s < KERNEL_SECTIONS || res ? USE.reserved : USE.free;
      }
    }
    // Root pages, then the vmemmap backing, come from the lowest free memory (memblock allocations).
    this.booting = true;
    for (let s = 0; s < this.use.length; s++)
      if (this.flags[s]) this.ensureRoot(Math.floor(s / SECTIONS_PER_ROOT));
    for (let c = 0; c < this.chunkAt.length; c++) if (this.chunkPresent(c)) this.ensureChunk(c);
    this.putToUse();
    this.booting = false;
    this.writeStatic();
    this.writeRoots(0, this.rootAt.length);
    for (let c = 0; c < this.chunkAt.length; c++) if (this.chunkAt[c]! >= 0) this.writeChunk(c);
    this.writeList();
  }

  /** Memory hot-add (arch_add_memory → sparse_add_section): present, not online, pages reserved. */
  add(base: number, size: number): void {
    this.change(base, size, (s) => {
      this.flags[s] = SECTION.present | SECTION.hasMemMap;
      this.use[s] = USE.reserved;
    });
  }

  /** online_pages: the pages go to the buddy allocator as free blocks of the largest order. */
  online(base: number, size: number): void {
    this.change(base, size, (s) => {
      this.flags[s]! |= SECTION.online;
      this.use[s] = USE.free;
    });
  }

  /** offline_pages: the free blocks leave the free lists; their struct pages stay, plain. */
  offline(base: number, size: number): void {
    this.change(base, size, (s) => {
      this.flags[s]! &= ~SECTION.online;
      this.use[s] = USE.offline;
    });
  }

  /** Memory hot-remove (sparse_remove_section): not present; a vmemmap piece no section uses is freed. */
  remove(base: number, size: number): void {
    this.change(base, size, (s) => {
      this.flags[s] = 0;
      this.use[s] = USE.absent;
    });
    for (const c of new Set(this.sectionsOf(base, size).map((s) => Math.floor(s / SECTIONS_PER_CHUNK)))) {
      if (this.chunkAt[c]! < 0 || this.chunkPresent(c)) continue;
      const at = this.chunkAt[c]!;
      this.chunkAt[c] = -1;
      const k = this.listOrder.indexOf(c);
      this.listOrder.splice(k, 1);
      // Unlinked: the head or the node before it now points past it.
      if (k === 0) this.writeListHead();
      else this.writeListNode(k - 1);
      this.setUse(at, USE.free);
    }
  }

  /** fadump's release of the crash area (capture kernel): reserved memory becomes free. */
  release(base: number, size: number): void {
    this.change(base, size, (s) => {
      if (this.use[s] === USE.reserved && s >= KERNEL_SECTIONS) this.use[s] = USE.free;
    });
  }

  /** Whether [base, base+size) holds pages that cannot be migrated (kernel data, slab, page tables). */
  unmovable(base: number, size: number): boolean {
    return this.sectionsOf(base, size).some((s) => this.use[s] === USE.kernel || this.use[s]! >= USE.mixed);
  }

  /** The vmemmap pages change() is to write again. */
  private readonly pendingGroups: number[] = [];

  /**
   * Applies `f` to each section of [base, base+size), then writes again what it changed: the
   * mem_section entries whose flags changed, the vmemmap pages of sections whose use or flags did
   * (releasing a 64 TiB crash area changes a few sections of four million).
   */
  private change(base: number, size: number, f: (s: number) => void): void {
    const last = Math.min(Math.ceil((base + size) / SECTION_BYTES), this.use.length);
    let lastGroup = -1;
    // The run of sections whose mem_section entries are to be written, [from, to).
    let from = -1;
    let to = -1;
    for (let s = Math.floor(base / SECTION_BYTES); s < last; s++) {
      const use = this.use[s];
      const flags = this.flags[s];
      f(s);
      if (this.flags[s]) this.ensureRoot(Math.floor(s / SECTIONS_PER_ROOT));
      if (this.flags[s]) this.ensureChunk(Math.floor(s / SECTIONS_PER_CHUNK));
      if (this.flags[s] !== flags) {
        if (s !== to) {
          if (from >= 0) this.writeSections(from, to);
          from = s;
        }
        to = s + 1;
      }
      const g = Math.floor(s / SECTIONS_PER_VMEMMAP_PAGE);
      if ((this.use[s] !== use || this.flags[s] !== flags) && g !== lastGroup) {
        // Written once the group's last section is changed (a group lies within one call).
        lastGroup = g;
        this.pendingGroups.push(g);
      }
    }
    if (from >= 0) this.writeSections(from, to);
    for (const g of this.pendingGroups) this.writeGroup(g);
    this.pendingGroups.length = 0;
  }

  private setUse(s: number, use: number): void {
    this.use[s] = use;
    this.writeGroup(Math.floor(s / SECTIONS_PER_VMEMMAP_PAGE));
  }

  private sectionsOf(base: number, size: number): number[] {
    const out: number[] = [];
    const last = Math.min(Math.ceil((base + size) / SECTION_BYTES), this.use.length);
    for (let s = Math.floor(base / SECTION_BYTES); s < last; s++) out.push(s);
    return out;
  }

  private chunkPresent(c: number): boolean {
    const end = Math.min((c + 1) * SECTIONS_PER_CHUNK, this.use.length);
    for (let s = c * SECTIONS_PER_CHUNK; s < end; s++) if (this.flags[s]) return true;
    return false;
  }

  /** The lowest free section above the kernel's first 256 MiB, taken for kernel data; -1 when none. */
  private allocSection(): number {
    for (let s = KERNEL_SECTIONS; s < this.use.length; s++) {
      if (this.use[s] !== USE.free || !(this.flags[s]! & SECTION.online)) continue;
      this.setUse(s, USE.kernel);
      return s;
    }
    this.failed = true;
    return -1;
  }

  /** A 64 KiB page of kernel data, from the current kernel-data section; -1 when there is none. */
  private allocPage(): number {
    if (this.metaSection < 0 || this.metaNext >= SECTION_BYTES) {
      this.metaSection = this.allocSection();
      this.metaNext = 0;
      if (this.metaSection < 0) return -1;
    }
    const at = this.metaSection * SECTION_BYTES + this.metaNext;
    this.metaNext += PAGE_SIZE;
    return at;
  }

  private ensureRoot(r: number): void {
    if (this.rootAt[r]! >= 0) return;
    const page = this.allocPage();
    const usage = this.allocPage();
    if (page < 0 || usage < 0) return;
    this.rootAt[r] = page;
    this.usageAt[r] = usage;
    this.writeRoots(r, r + 1);
  }

  private ensureChunk(c: number): void {
    if (this.chunkAt[c]! >= 0) return;
    const at = this.allocSection();
    if (at < 0) return;
    this.chunkAt[c] = at;
    this.listOrder.unshift(c);
    if (!this.booting) {
      this.writeListNode(0);
      this.writeListHead();
    }
    this.writeChunk(c);
  }

  /** Writes struct mem_section *mem_section[r0..r1) in the root array. */
  private writeRoots(r0: number, r1: number): void {
    if (this.booting) return;
    const out = new Uint8Array((r1 - r0) * 8);
    const v = new DataView(out.buffer);
    for (let r = r0; r < r1; r++) {
      if (this.rootAt[r]! >= 0) v.setBigUint64((r - r0) * 8, va(this.rootAt[r]!), this.o.order === 'le');
    }
    this.mem.poke(SYMBOLS.mem_section + r0 * 8, out);
    for (let r = r0; r < r1; r++) if (this.rootAt[r]! >= 0) this.writeRootPage(r);
  }

  /** One root's page of 4096 struct mem_section. */
  private writeRootPage(r: number): void {
    const out = new Uint8Array(PAGE_SIZE);
    const first = r * SECTIONS_PER_ROOT;
    for (let i = 0; i < SECTIONS_PER_ROOT && first + i < this.use.length; i++)
      this.encodeSection(out, i * MEM_SECTION.size, first + i);
    this.mem.poke(this.rootAt[r]!, out);
  }

  /** Sections [s0, s1) in their roots' pages: one write per root. */
  private writeSections(s0: number, s1: number): void {
    for (let s = s0; s < s1; ) {
      const r = Math.floor(s / SECTIONS_PER_ROOT);
      const end = Math.min(s1, (r + 1) * SECTIONS_PER_ROOT);
      if (this.rootAt[r]! >= 0) {
        const out = new Uint8Array((end - s) * MEM_SECTION.size);
        for (let i = s; i < end; i++) this.encodeSection(out, (i - s) * MEM_SECTION.size, i);
        this.mem.poke(this.rootAt[r]! + (s % SECTIONS_PER_ROOT) * MEM_SECTION.size, out);
      }
      s = end;
    }
  }

  /**
   * One struct mem_section (MEM_SECTION's fields, at their offsets), written as 32-bit halves: a
   * 64 TiB partition has four million sections, too many for an object and two BigInts each.
   */
  private encodeSection(out: Uint8Array, at: number, s: number): void {
    const f = this.flags[s]!;
    if (!f) return;
    const r = Math.floor(s / SECTIONS_PER_ROOT);
    const usage = this.usageAt[r]! + (s % SECTIONS_PER_ROOT) * 16;
    if (out !== this.sectionOut) {
      this.sectionOut = out;
      this.sectionView = new DataView(out.buffer, out.byteOffset, out.byteLength);
    }
    const v = this.sectionView!;
    const map = sectionMemMap(f);
    this.put64(v, at + SECTION_MAP_AT, Number(map >> 32n), Number(map & 0xffff_ffffn));
    // va(usage): the kernel's base above 2^32 plus a physical address below 2^53.
    this.put64(v, at + USAGE_AT, KERNEL_VBASE_HI + Math.floor(usage / 2 ** 32), usage % 2 ** 32);
  }

  /** The buffer encodeSection wrote last, and a view of it: one view per root page, not per section. */
  private sectionOut?: Uint8Array;
  private sectionView?: DataView;

  private put64(v: DataView, at: number, hi: number, lo: number): void {
    const le = this.o.order === 'le';
    v.setUint32(at + (le ? 4 : 0), hi >>> 0, le);
    v.setUint32(at + (le ? 0 : 4), lo >>> 0, le);
  }

  /** The 1024 vmemmap pages of a chunk. */
  private writeChunk(c: number): void {
    const first = (c * SECTIONS_PER_CHUNK) / SECTIONS_PER_VMEMMAP_PAGE;
    for (let g = first; g < first + SECTIONS_PER_CHUNK / SECTIONS_PER_VMEMMAP_PAGE; g++) this.writeGroup(g);
  }

  /** The vmemmap page holding the struct pages of sections 4g..4g+3, shared among identical ones. */
  private writeGroup(g: number): void {
    if (this.booting) return;
    const c = Math.floor((g * SECTIONS_PER_VMEMMAP_PAGE) / SECTIONS_PER_CHUNK);
    if (c >= this.chunkAt.length || this.chunkAt[c]! < 0) return;
    // The uses of the page's sections, a byte each, as one number: the key of identical pages.
    let key = 0;
    for (let i = 0; i < SECTIONS_PER_VMEMMAP_PAGE; i++) {
      const s = g * SECTIONS_PER_VMEMMAP_PAGE + i;
      key = key * 256 + (s < this.use.length && this.flags[s] ? this.use[s]! : USE.absent);
    }
    const offset = (g % (SECTIONS_PER_CHUNK / SECTIONS_PER_VMEMMAP_PAGE)) * PAGE_SIZE;
    const at = this.chunkAt[c]! * SECTION_BYTES + offset;
    // The struct pages of absent sections are zeros: no backing page at all, as memory never written.
    if (key === 0) {
      this.mem.zero(at, PAGE_SIZE);
      return;
    }
    let page = this.vmemmapPages.get(key);
    if (!page) {
      page = new Uint8Array(PAGE_SIZE);
      for (let i = 0; i < SECTIONS_PER_VMEMMAP_PAGE; i++) {
        const u = Math.floor(key / 256 ** (SECTIONS_PER_VMEMMAP_PAGE - 1 - i)) % 256;
        page.set(this.sectionMap(u), i * SECTION_MAP_BYTES);
      }
      this.vmemmapPages.set(key, page);
    }
    this.mem.share(at / PAGE_SIZE, page);
  }

  /** vmemmap_list: one vmemmap_backing per chunk with backing, newest first, from the static pool. */
  private writeList(): void {
    this.writeListHead();
    for (let i = 0; i < this.listOrder.length; i++) this.writeListNode(i);
  }

  private listNode(c: number): number {
    return SYMBOLS.vmemmap_backing_pool + c * VMEMMAP_BACKING.size;
  }

  /** The vmemmap_list head: the newest vmemmap_backing, or NULL. */
  private writeListHead(): void {
    const head = new Uint8Array(8);
    const first = this.listOrder[0];
    if (first !== undefined)
      new DataView(head.buffer).setBigUint64(0, va(this.listNode(first)), this.o.order === 'le');
    this.mem.poke(SYMBOLS.vmemmap_list, head);
  }

  /** The i-th vmemmap_backing of the list, pointing at the next. */
  private writeListNode(i: number): void {
    const c = this.listOrder[i]!;
    const next = this.listOrder[i + 1];
    this.mem.poke(
      this.listNode(c),
      VMEMMAP_BACKING.encode(
        {
          list: next === undefined ? 0n : va(this.listNode(next)),
          phys: BigInt(this.chunkAt[c]! * SECTION_BYTES),
          virt_addr: VMEMMAP_BASE + BigInt(c * VMEMMAP_CHUNK),
        },
        this.o.order,
      ),
    );
  }

  /** mmu_vmemmap_psize, mmu_psize_defs and cur_cpu_spec: what makedumpfile's ppc64 code reads first. */
  private writeStatic(): void {
    const le = this.o.order === 'le';
    const u32 = (at: number, v: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, v, le);
      this.mem.poke(at, b);
    };
    u32(SYMBOLS.mmu_vmemmap_psize, MMU_PAGE_16M);
    for (const [index, shift] of [
      [0, 12],
      [2, 16],
      [MMU_PAGE_16M, 24],
    ] as const)
      this.mem.poke(
        SYMBOLS.mmu_psize_defs + index * MMU_PSIZE_DEF.size,
        MMU_PSIZE_DEF.encode({ shift }, this.o.order),
      );
    const ptr = new Uint8Array(8);
    new DataView(ptr.buffer).setBigUint64(0, va(SYMBOLS.cpu_spec), le);
    this.mem.poke(SYMBOLS.cur_cpu_spec, ptr);
    u32(SYMBOLS.cpu_spec + CPU_SPEC_OFFSETS.mmu_features, MMU_FTR_HPTE_TABLE);
  }

  /**
   * Puts some free boot memory to use: a few sections (2% of those free below `usedBelow`, 2 to 64)
   * get a mixed template, chosen from the seed, and their used pages their contents.
   */
  private putToUse(): void {
    const next = prng(this.o.seed ^ 0x5eed_0001);
    const eligible: number[] = [];
    for (let s = KERNEL_SECTIONS; s < Math.min(this.use.length, this.o.usedBelow / SECTION_BYTES); s++)
      if (this.use[s] === USE.free) eligible.push(s);
    const n = Math.min(eligible.length, Math.max(2, Math.min(64, Math.round(eligible.length * 0.02))));
    for (let i = 0; i < n; i++) {
      const pick = eligible.splice(Math.floor(next() * eligible.length), 1)[0]!;
      const t = Math.floor(next() * TEMPLATES);
      this.use[pick] = USE.mixed + t;
      const content = this.templates[t]!.content;
      for (let p = 0; p < PAGES_PER_SECTION; p++) {
        if (content[p]! >= 0) this.mem.share(pick * PAGES_PER_SECTION + p, this.contents[content[p]!]!);
      }
    }
  }

  /** The struct pages of one section with this use, built once. */
  private sectionMap(use: number): Uint8Array {
    let map = this.sectionMaps.get(use);
    if (map) return map;
    if (use >= USE.mixed) map = this.templates[use - USE.mixed]!.map;
    else {
      const kinds: Kind[] =
        use === USE.free
          ? ['freeHead', ...Array<Kind>(PAGES_PER_SECTION - 1).fill('freeTail')]
          : Array<Kind>(PAGES_PER_SECTION).fill(use === USE.offline ? 'freeTail' : 'reserved');
      map =
        use === USE.absent
          ? new Uint8Array(SECTION_MAP_BYTES)
          : this.encodeKinds(kinds, use === USE.free ? [8] : []);
    }
    this.sectionMaps.set(use, map);
    return map;
  }

  /** A mixed-use section: each page a use drawn from the seed, free blocks buddy-aligned. */
  private mixedTemplate(t: number): Template {
    const next = prng(this.o.seed * 31 + t + 1);
    const weights: [Kind | 'free', number][] = [
      ['slab', 15],
      ['table', 5],
      ['cache', 25],
      ['cachePrivate', 10],
      ['anon', 25],
      ['anonZero', 8],
      ['reserved', 2],
      ['free', 10],
    ];
    const total = weights.reduce((s, [, w]) => s + w, 0);
    const kinds: Kind[] = [];
    const orders: number[] = [];
    const content = new Int16Array(PAGES_PER_SECTION).fill(-1);
    while (kinds.length < PAGES_PER_SECTION) {
      const r = next() * total;
      let sum = 0;
      const kind =
        weights.find(([, w]) => {
          sum += w;
          return r < sum;
        })?.[0] ?? 'free';
      const pos = kinds.length;
      if (kind === 'free') {
        let order = Math.floor(next() * 4);
        while (order > 0 && (pos % 2 ** order !== 0 || pos + 2 ** order > PAGES_PER_SECTION)) order--;
        kinds.push('freeHead', ...Array<Kind>(2 ** order - 1).fill('freeTail'));
        orders.push(order);
        continue;
      }
      if (kind !== 'anonZero' && kind !== 'reserved') content[pos] = Math.floor(next() * CONTENTS);
      kinds.push(kind);
    }
    return { map: this.encodeKinds(kinds, orders), content };
  }

  /** Encodes struct pages for the kinds; `orders` gives each free block head's order in turn. */
  private encodeKinds(kinds: readonly Kind[], orders: readonly number[]): Uint8Array {
    const out = new Uint8Array(SECTION_MAP_BYTES);
    let block = 0;
    const bit = (...bits: number[]) => bits.reduce((f, b) => f | (1n << BigInt(b)), 0n);
    kinds.forEach((kind, i) => {
      const zero = STRUCT_PAGE.zero();
      let page = { ...zero, _mapcount: -1 };
      switch (kind) {
        case 'reserved':
          page = { ...page, flags: bit(PG.reserved), _refcount: 1 };
          break;
        case 'slab':
          page = { ...page, lru_next: va(KMEM_CACHE), _mapcount: ~PAGE_TYPE.slab, _refcount: 1 };
          break;
        case 'table':
          page = { ...page, _mapcount: ~PAGE_TYPE.table, _refcount: 1 };
          break;
        case 'cache':
        case 'cachePrivate':
          page = {
            ...page,
            flags: bit(PG.lru, PG.uptodate, PG.referenced, ...(kind === 'cachePrivate' ? [PG.private] : [])),
            mapping: va(ADDRESS_SPACE + (i % 8) * 0x200),
            index: BigInt(i),
            private: kind === 'cachePrivate' ? va(BUFFER_HEADS + i * 0x100) : 0n,
            _refcount: 1,
          };
          break;
        case 'anon':
        case 'anonZero':
          page = {
            ...page,
            flags: bit(PG.lru, PG.uptodate, PG.swapbacked, PG.dirty),
            mapping: va(ANON_VMA + (i % 8) * 0x80) | 1n,
            index: BigInt(0x1000 + i),
            _mapcount: 0,
            _refcount: 1,
          };
          break;
        case 'freeHead': {
          const order = orders[block++]!;
          const list = va(SYMBOLS.free_area + order * FREE_AREA_SIZE + MIGRATE_MOVABLE * 16);
          page = {
            ...page,
            lru_next: list,
            lru_prev: list,
            private: BigInt(order),
            _mapcount: ~PAGE_TYPE.buddy,
          };
          break;
        }
        case 'freeTail':
          break;
      }
      STRUCT_PAGE.encodeInto(out, i * STRUCT_PAGE.size, page, this.o.order);
    });
    return out;
  }
}

const WORDS = ['fadump ', 'memory ', 'kernel ', 'page ', 'cache ', 'vmcore ', 'power ', 'lpar\n'];

/** Content page `i`: text for page cache, noise for user data, sparse words for kernel objects. */
function contentPage(seed: number, i: number): Uint8Array {
  const next = prng(seed * 977 + i * 13 + 7);
  const out = new Uint8Array(PAGE_SIZE);
  switch (i % 3) {
    case 0: {
      const words = WORDS.map((w) => new TextEncoder().encode(w));
      let at = 0;
      while (at < PAGE_SIZE) {
        const w = words[Math.floor(next() * words.length)]!;
        out.set(w.subarray(0, PAGE_SIZE - at), at);
        at += w.length;
      }
      break;
    }
    case 1: {
      // Four random bytes a draw, low byte first (the same on every host).
      const bits = prng32(seed * 977 + i * 13 + 7);
      for (let at = 0; at < PAGE_SIZE; at += 4) {
        const b = bits();
        out[at] = b;
        out[at + 1] = b >>> 8;
        out[at + 2] = b >>> 16;
        out[at + 3] = b >>> 24;
      }
      break;
    }
    default:
      for (let at = 0; at < PAGE_SIZE; at += 64)
        out[at + Math.floor(next() * 8) * 8] = 1 + Math.floor(next() * 255);
  }
  return out;
}
