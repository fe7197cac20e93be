// makedumpfile's page filter (makedumpfile.c exclude_unnecessary_pages(), __exclude_unnecessary_pages(),
// get_mm_sparsemem(), arch/ppc64.c vaddr_to_paddr_ppc64()): which page frames a dump level leaves
// out, decided from the dumped kernel's own struct pages, found as makedumpfile finds them — through
// VMCOREINFO, the mem_section array and the vmemmap_list — in the memory of the dump. It runs over
// any physical memory: the dump image the writer filters, the crash-time snapshot verification
// judges against, and a written dump whose left-out pages it classifies. The model's own state is
// never consulted. Rules, in makedumpfile 1.7.6's order for a page that is not a compound tail:
//   16 free       _mapcount == PAGE_BUDDY_MAPCOUNT_VALUE and not slab: the block of 2^private pages
//    2 cache      PG_lru (or swapcache), no PG_private, not anonymous
//    4 cache      PG_lru (or swapcache), not anonymous; counted as private with PG_private
//    8 user       mapping & 1 (PAGE_MAPPING_ANON), not slab
//  any hwpoison   PG_hwpoison;   any offline: _mapcount == PAGE_OFFLINE_MAPCOUNT_VALUE
// Zero pages (dump level 1) are found when the pages are written, among those kept.

import { without } from '../emulator/ranges.ts';
import type { ByteOrder } from '../emulator/struct.ts';
import type { DumpImage } from '../kernel-model/dump-image.ts';
import { KERNEL_VBASE, PAGE_SIZE } from '../kernel-model/symbols.ts';
import type { DumpReader } from './dump-reader.ts';
import { ImageMemory, type PfnRange, pfnsOf } from './image-memory.ts';
import { parseNotes, symbolPaddr } from './notes.ts';

/** Pages by what makedumpfile's report calls them. */
export interface PageCounts {
  /** Pages filled with zero (counted by the writer). */
  zero: number;
  /** Non-private cache pages. */
  cache: number;
  /** Private cache pages. */
  cachePrivate: number;
  /** User process data pages. */
  user: number;
  free: number;
  hwpoison: number;
  offline: number;
}

export type PageKind = keyof PageCounts;

/** The kinds of page a dump level leaves out (every kind but zero), in makedumpfile's order. */
export const LEFT_OUT_KINDS = ['cache', 'cachePrivate', 'user', 'free', 'hwpoison', 'offline'] as const;

/** Every count zero. */
export const noPages = (): PageCounts => ({
  zero: 0,
  cache: 0,
  cachePrivate: 0,
  user: 0,
  free: 0,
  hwpoison: 0,
  offline: 0,
});

export const DUMP_LEVEL_BITS = { zero: 1, cache: 2, cachePrivate: 4, user: 8, free: 16 } as const;

/** The dump's memory as a filter reads it. */
export interface FilterMemory {
  /** `len` bytes of crash-time physical memory at `paddr` (zeros where the dump holds none). */
  read(paddr: number, len: number): Uint8Array;
  /** The page frames the dump describes (its PT_LOADs), sorted and merged. */
  pfnRanges: readonly PfnRange[];
  vmcoreinfo: Record<string, string> | null;
  order: ByteOrder;
  /** Whether the dump holds every byte of the range (makedumpfile cannot read what it does not). */
  covers?(paddr: number, len: number): boolean;
  /**
   * The bytes of the page at `paddr` (page-aligned) as a buffer that identical pages share, when the
   * memory has one: the filter then classifies each shared buffer once. Never written.
   */
  buffer?(paddr: number): Uint8Array | undefined;
}

/** The filter cannot work: makedumpfile's words where it has them. */
export class PageFilterError extends Error {}

export interface FilterResult {
  /** Page frames left out, sorted and disjoint, each with why. */
  excluded: (PfnRange & { kind: Exclude<PageKind, 'zero'> })[];
  counts: PageCounts;
}

const SECTION_MARKED_PRESENT = 1n;
const SECTION_MAP_MASK = ~0x1fn;
/** The low half of SECTION_MAP_MASK, and the high half of KERNEL_VBASE. */
const MAP_MASK_LO = Number(SECTION_MAP_MASK & 0xffffffffn) | 0;
const KERNEL_VBASE_HI = Number(KERNEL_VBASE >> 32n);

/** What the filter reads from VMCOREINFO, with makedumpfile's complaint when a key is missing. */
function layout(info: Record<string, string>) {
  const num = (key: string): number | undefined => {
    const v = info[key];
    if (v === undefined) return undefined;
    const n = /^0x/i.test(v) ? Number.parseInt(v, 16) : Number.parseInt(v, 10);
    return Number.isFinite(n) ? n : undefined;
  };
  const sym = (name: string): number | undefined =>
    /^0*$/.test(info[`SYMBOL(${name})`] ?? '') ? undefined : symbolPaddr(info, name);
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new PageFilterError(what);
    return v;
  };
  const page = {
    size: need(num('SIZE(page)'), "Can't distinguish the memory type (no SIZE(page))."),
    flags: need(num('OFFSET(page.flags)'), "Can't distinguish the memory type (no OFFSET(page.flags))."),
    mapping: need(
      num('OFFSET(page.mapping)'),
      "Can't distinguish the memory type (no OFFSET(page.mapping)).",
    ),
    mapcount: num('OFFSET(page._mapcount)'),
    private: num('OFFSET(page.private)'),
    compoundHead: num('OFFSET(page.compound_head)'),
  };
  need(num('OFFSET(page._refcount)'), "Can't distinguish the memory type (no OFFSET(page._refcount)).");
  const bit = (name: string, dflt?: number) => {
    const v = num(`NUMBER(${name})`);
    return v ?? dflt;
  };
  return {
    pageSize: need(num('PAGESIZE'), 'no PAGESIZE in VMCOREINFO'),
    memSection: need(sym('mem_section'), "Can't get the address of mem_section."),
    memSectionSize: need(
      num('SIZE(mem_section)'),
      "Can't get the address of mem_section (no SIZE(mem_section)).",
    ),
    sectionMemMap: need(
      num('OFFSET(mem_section.section_mem_map)'),
      "Can't get the address of mem_section (no OFFSET(mem_section.section_mem_map)).",
    ),
    sectionSizeBits: num('NUMBER(SECTION_SIZE_BITS)') ?? 24,
    page,
    pgLru: bit('PG_lru', 5)!,
    pgPrivate: bit('PG_private', 11)!,
    pgSwapcache: bit('PG_swapcache', 15)!,
    pgSwapbacked: bit('PG_swapbacked'),
    pgSlab: bit('PG_slab', 7)!,
    pgHwpoison: bit('PG_hwpoison'),
    buddy: bit('PAGE_BUDDY_MAPCOUNT_VALUE', -128)!,
    offline: bit('PAGE_OFFLINE_MAPCOUNT_VALUE'),
    slab: bit('PAGE_SLAB_MAPCOUNT_VALUE'),
    maxOrder: num('LENGTH(zone.free_area)'),
    vmemmapList: sym('vmemmap_list'),
    psizeAt: sym('mmu_vmemmap_psize'),
    psizeDefs: sym('mmu_psize_defs'),
    psizeDefSize: num('SIZE(mmu_psize_def)'),
    psizeShift: num('OFFSET(mmu_psize_def.shift)'),
    backingSize: num('SIZE(vmemmap_backing)'),
    backingList: num('OFFSET(vmemmap_backing.list)'),
    backingPhys: num('OFFSET(vmemmap_backing.phys)'),
    backingVirt: num('OFFSET(vmemmap_backing.virt_addr)'),
  };
}

/** The page frames a dump level leaves out, and why, read from the kernel's struct pages. */
export function filterPages(mem: FilterMemory, level: number): FilterResult {
  const counts = noPages();
  const excluded: FilterResult['excluded'] = [];
  if (!mem.vmcoreinfo) {
    if (level & ~1) throw new PageFilterError('no VMCOREINFO: only dump levels 0 and 1 are possible');
    return { excluded, counts };
  }
  const L = layout(mem.vmcoreinfo);
  const le = mem.order === 'le';
  const linear = (va: bigint) => Number(BigInt.asUintN(64, va - KERNEL_VBASE));
  // One DataView per buffer read in a row (the struct pages of a section), not one per field.
  let viewed: Uint8Array | undefined;
  let view: DataView = new DataView(new ArrayBuffer(0));
  const viewOf = (b: Uint8Array) => {
    if (b !== viewed) {
      viewed = b;
      view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    return view;
  };
  const u64 = (b: Uint8Array, at: number) => viewOf(b).getBigUint64(at, le);
  const i32 = (b: Uint8Array, at: number) => viewOf(b).getInt32(at, le);
  // The low 32 bits of a u64: all a page flag, a tag bit or a buddy order needs, with no BigInt.
  const lo32 = (b: Uint8Array, at: number) => viewOf(b).getUint32(le ? at : at + 4, le);
  const toPhys = vmemmapTranslation(mem, L, linear, u64, i32);

  const maxMapnr = mem.pfnRanges.length ? mem.pfnRanges[mem.pfnRanges.length - 1]!.end : 0;
  const pagesPerSection = 2 ** (L.sectionSizeBits - Math.log2(L.pageSize));
  const perRoot = L.pageSize / L.memSectionSize;
  const sections = Math.ceil(maxMapnr / pagesPerSection);
  const roots = mem.read(L.memSection, 8 * Math.ceil(sections / perRoot));
  const rootsView = new DataView(roots.buffer, roots.byteOffset, roots.byteLength);
  const inMemory = pfnMembership(mem.pfnRanges);
  const anyInMemory = pfnOverlap(mem.pfnRanges);
  const wholeInMemory = coveredBy(mem.pfnRanges.map((r) => ({ base: r.start, size: r.end - r.start })));
  // Page flags are bits 0..31 of flags (PG_* numbers stay below 32).
  const bit = (flags: number, nr: number | undefined) => nr !== undefined && (flags & (1 << (nr & 31))) !== 0;
  const push = (start: number, n: number, kind: Exclude<PageKind, 'zero'>) => {
    counts[kind] += n;
    const last = excluded[excluded.length - 1];
    if (last && last.end === start && last.kind === kind) last.end += n;
    else excluded.push({ start, end: start + n, kind });
  };
  // Per shared buffer and offset: the pages left out, as (first pfn in the section, count, kind).
  const memo = new WeakMap<Uint8Array, Map<number, number[]>>();
  let rootView: DataView | undefined;
  let rootAt = -1n;
  // The buffer of the vmemmap page last looked up (consecutive sections share one), and its memo.
  let bufferAt = -1;
  let bufferOf: Uint8Array | undefined;
  let memoOf: Map<number, number[]> | undefined;
  for (let nr = 0; nr < sections; nr++) {
    // A root pointer serves perRoot sections: read once, as halves; a null root skips them all.
    if (nr % perRoot === 0 || rootView === undefined) {
      const at = 8 * Math.floor(nr / perRoot);
      const rlo = rootsView.getUint32(at + (le ? 0 : 4), le);
      const rhi = rootsView.getUint32(at + (le ? 4 : 0), le);
      if (rlo === 0 && rhi === 0) {
        nr = (Math.floor(nr / perRoot) + 1) * perRoot - 1;
        rootView = undefined;
        continue;
      }
      const root = (BigInt(rhi) << 32n) | BigInt(rlo);
      if (root !== rootAt) {
        const page = mem.read(linear(root), L.pageSize);
        rootView = new DataView(page.buffer, page.byteOffset, page.byteLength);
        rootAt = root;
      }
    }
    // section_mem_map in two halves: Numbers, not a BigInt per section.
    const mapAt = (nr % perRoot) * L.memSectionSize + L.sectionMemMap;
    const lo = rootView!.getUint32(mapAt + (le ? 0 : 4), le);
    const hi = rootView!.getUint32(mapAt + (le ? 4 : 0), le);
    if (!(lo & Number(SECTION_MARKED_PRESENT))) continue;
    const first = nr * pagesPerSection;
    const end = Math.min(first + pagesPerSection, maxMapnr);
    const bytes = (end - first) * L.page.size;
    // The struct pages' address: the encoded map plus the section's first pfn's struct page.
    const memMap = () =>
      BigInt.asUintN(64, ((BigInt(hi) << 32n) | BigInt(lo)) & SECTION_MAP_MASK) + BigInt(first * L.page.size);
    // As an offset from the kernel's base, where a Number holds it exactly (the vmemmap's always).
    const offset = (hi - KERNEL_VBASE_HI) * 2 ** 32 + ((lo & MAP_MASK_LO) >>> 0) + first * L.page.size;
    const exact = hi >= KERNEL_VBASE_HI && offset < 2 ** 53;
    // A section whose struct pages lie in one shared buffer (identical pages share one) is
    // classified once per buffer and offset: the same bytes leave out the same pages.
    let memoBuf: Uint8Array | undefined;
    let memoOff = 0;
    if (mem.buffer && end - first === pagesPerSection && wholeInMemory(first, end - first)) {
      const phys = exact ? toPhys.fromOffset(offset) : toPhys(memMap());
      const off = phys === undefined ? -1 : phys % L.pageSize;
      if (phys !== undefined && off + bytes <= L.pageSize && (!mem.covers || mem.covers(phys, bytes))) {
        if (phys - off !== bufferAt) {
          bufferAt = phys - off;
          const b = mem.buffer(bufferAt);
          if (b !== bufferOf) memoOf = b && memo.get(b);
          bufferOf = b;
        }
        if (bufferOf && bufferOf.length === L.pageSize) {
          memoBuf = bufferOf;
          memoOff = off;
        }
      }
    }
    const seen = memoBuf && memoOf?.get(memoOff);
    if (seen) {
      for (let i = 0; i < seen.length; i += 3)
        push(first + seen[i]!, seen[i + 1]!, LEFT_OUT_KINDS[seen[i + 2]!]!);
      continue;
    }
    // A section none of whose pages the dump describes (the reserved area's, say) leaves nothing
    // out; makedumpfile still reads its struct pages, so they must be readable.
    if (!memoBuf && !anyInMemory(first, end)) {
      readVirtual(mem, toPhys, memMap(), bytes, L.pageSize, false);
      continue;
    }
    const structs = memoBuf
      ? memoBuf.subarray(memoOff, memoOff + bytes)
      : readVirtual(mem, toPhys, memMap(), bytes, L.pageSize)!;
    const found: number[] = [];
    const emit = (pfn: number, n: number, kind: Exclude<PageKind, 'zero'>) => {
      push(pfn, n, kind);
      if (memoBuf) found.push(pfn - first, n, LEFT_OUT_KINDS.indexOf(kind));
    };
    for (let pfn = first; pfn < end; pfn++) {
      if (!inMemory(pfn)) continue;
      const at = (pfn - first) * L.page.size;
      const flags = lo32(structs, at + L.page.flags);
      const mapping = lo32(structs, at + L.page.mapping);
      const mapcount = L.page.mapcount === undefined ? -1 : i32(structs, at + L.page.mapcount);
      if (L.page.compoundHead !== undefined && lo32(structs, at + L.page.compoundHead) & 1) continue;
      const slab =
        (L.slab !== undefined && ((mapcount & (0xf0000000 | ~L.slab)) | 0) === (0xf0000000 | 0)) ||
        bit(flags, L.pgSlab);
      const anon = (mapping & 1) === 1 && !slab;
      const cache =
        bit(flags, L.pgLru) ||
        ((L.pgSwapbacked === undefined || bit(flags, L.pgSwapbacked)) && bit(flags, L.pgSwapcache));
      const priv = bit(flags, L.pgPrivate);
      if (level & DUMP_LEVEL_BITS.free && !slab && mapcount === L.buddy) {
        const order = L.page.private === undefined ? 0 : Number(u64(structs, at + L.page.private));
        if (L.maxOrder !== undefined && order >= L.maxOrder) continue;
        const n = Math.min(2 ** order, maxMapnr - pfn);
        emit(pfn, n, 'free');
        pfn += n - 1;
      } else if (level & DUMP_LEVEL_BITS.cache && cache && !priv && !anon) emit(pfn, 1, 'cache');
      else if (level & DUMP_LEVEL_BITS.cachePrivate && cache && !anon)
        emit(pfn, 1, priv ? 'cachePrivate' : 'cache');
      else if (level & DUMP_LEVEL_BITS.user && anon) emit(pfn, 1, 'user');
      else if (bit(flags, L.pgHwpoison) && L.pgHwpoison !== undefined) emit(pfn, 1, 'hwpoison');
      else if (L.offline !== undefined && !slab && mapcount === L.offline) emit(pfn, 1, 'offline');
    }
    // A free block running past the section would depend on where memory ends: not memoized.
    let inside = true;
    for (let i = 0; i < found.length; i += 3) inside &&= found[i]! + found[i + 1]! <= end - first;
    if (memoBuf && inside) {
      if (!memoOf) {
        memoOf = new Map<number, number[]>();
        memo.set(memoBuf, memoOf);
      }
      memoOf.set(memoOff, found);
    }
  }
  return { excluded, counts };
}

/** Whether a pfn lies in the ranges; lookups must come in ascending order. */
function pfnMembership(ranges: readonly PfnRange[]): (pfn: number) => boolean {
  let i = 0;
  return (pfn) => {
    while (i < ranges.length && ranges[i]!.end <= pfn) i++;
    return i < ranges.length && ranges[i]!.start <= pfn;
  };
}

/** Whether any pfn of [start, end) lies in the ranges; lookups must come in ascending order. */
function pfnOverlap(ranges: readonly PfnRange[]): (start: number, end: number) => boolean {
  let i = 0;
  return (start, end) => {
    while (i < ranges.length && ranges[i]!.end <= start) i++;
    return i < ranges.length && ranges[i]!.start < end;
  };
}

/**
 * A kernel virtual address's physical address, or undefined; `fromOffset` takes the address as its
 * offset from KERNEL_VBASE in a Number (exact below 2^53, which every vmemmap address is).
 */
type Translate = ((va: bigint) => number | undefined) & {
  fromOffset(offset: number): number | undefined;
};

/**
 * ppc64's vmemmap translation as makedumpfile's get_vmemmap_list_info() sets it up: the
 * vmemmap_backing list gives each 2^shift piece of the vmemmap its physical memory; everything
 * else is the linear map.
 */
function vmemmapTranslation(
  mem: FilterMemory,
  L: ReturnType<typeof layout>,
  linear: (va: bigint) => number,
  u64: (b: Uint8Array, at: number) => bigint,
  i32: (b: Uint8Array, at: number) => number,
): Translate {
  const pieces: { offset: number; phys: number }[] = [];
  let size = 0;
  if (
    L.vmemmapList !== undefined &&
    L.psizeAt !== undefined &&
    L.psizeDefs !== undefined &&
    L.psizeDefSize !== undefined &&
    L.psizeShift !== undefined &&
    L.backingSize !== undefined &&
    L.backingList !== undefined &&
    L.backingPhys !== undefined &&
    L.backingVirt !== undefined
  ) {
    const psize = i32(mem.read(L.psizeAt, 4), 0);
    const shift = i32(mem.read(L.psizeDefs + L.psizeDefSize * psize + L.psizeShift, 4), 0);
    size = 2 ** shift;
    const head = u64(mem.read(L.vmemmapList, 8), 0);
    let cur = head;
    for (let n = 0; cur !== 0n && n < 1 << 24; n++) {
      const b = mem.read(linear(cur), L.backingSize);
      // A piece below the kernel's base or beyond 2^53 from it can hold no vmemmap address.
      const offset = u64(b, L.backingVirt) - KERNEL_VBASE;
      if (offset >= 0n && offset < 2n ** 53n)
        pieces.push({ offset: Number(offset), phys: Number(u64(b, L.backingPhys)) });
      cur = u64(b, L.backingList);
      if (cur === head) break;
    }
  }
  pieces.sort((a, b) => a.offset - b.offset);
  const start = pieces[0]?.offset;
  // The piece last found: struct pages are read in ascending order, many from one piece.
  let last: { offset: number; phys: number } | undefined;
  const fromOffset = (offset: number): number | undefined => {
    if (start === undefined || offset < start) return offset;
    if (last && offset >= last.offset && offset < last.offset + size)
      return last.phys + (offset - last.offset);
    let lo = 0;
    let hi = pieces.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = pieces[mid]!;
      if (offset < p.offset) hi = mid - 1;
      else if (offset >= p.offset + size) lo = mid + 1;
      else {
        last = p;
        return p.phys + (offset - p.offset);
      }
    }
    return undefined;
  };
  const translate = (va: bigint) => {
    const offset = va - KERNEL_VBASE;
    if (start === undefined || offset < BigInt(start)) return linear(va);
    return offset < 2n ** 53n ? fromOffset(Number(offset)) : undefined;
  };
  return Object.assign(translate, { fromOffset });
}

/**
 * `len` bytes at kernel virtual address `va`, page by page through the translation; with `copy`
 * false, only whether they can be read (the same errors, no bytes).
 */
function readVirtual(
  mem: FilterMemory,
  toPhys: Translate,
  va: bigint,
  len: number,
  pageSize: number,
  copy = true,
): Uint8Array | undefined {
  const out = copy ? new Uint8Array(len) : undefined;
  const page = BigInt(pageSize);
  for (let done = 0; done < len; ) {
    const at = va + BigInt(done);
    const n = Math.min(len - done, Number(page - (at % page)));
    const phys = toPhys(at);
    if (phys === undefined)
      throw new PageFilterError(
        `readmem: Can't convert a virtual address(${at.toString(16)}) to physical address.`,
      );
    if (mem.covers && !mem.covers(phys, n))
      throw new PageFilterError(`readpage_elf: Attempt to read non-existent page at 0x${phys.toString(16)}.`);
    out?.set(mem.read(phys, n), done);
    done += n;
  }
  return out;
}

/** Whether [addr, addr+len) lies wholly inside the sorted, disjoint byte ranges. */
function coveredBy(ranges: readonly { base: number; size: number }[]) {
  return (addr: number, len: number): boolean => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = ranges[mid]!;
      if (addr < r.base) hi = mid - 1;
      else if (addr >= r.base + r.size) lo = mid + 1;
      else return addr + len <= r.base + r.size;
    }
    return false;
  };
}

/** /proc/vmcore as makedumpfile reads it in the fadump kernel: the dump image's notes and PT_LOADs. */
export function imageFilterMemory(image: DumpImage): FilterMemory {
  const mem = new ImageMemory(image);
  return {
    read: (a, n) => mem.read(a, n),
    pfnRanges: mem.pfnRanges(),
    vmcoreinfo: parseNotes(image.notes, image.order, 0).vmcoreinfo,
    order: image.order,
    covers: (a, n) => mem.covers(a, n),
    buffer: (a) => (a % PAGE_SIZE ? undefined : mem.backing(a / PAGE_SIZE)),
  };
}

/**
 * A written dump as the filter reads it: every page the file describes is classified, from the
 * struct pages the file holds (a page the file left out reads as zeros and cannot be the source).
 */
export function dumpFilterMemory(r: DumpReader): FilterMemory {
  const c = r.contents;
  const described = c.loads.map((l) => ({ base: l.paddr, size: l.size })).sort((a, b) => a.base - b.base);
  return {
    read: (a, n) => r.read(a, n).data,
    pfnRanges: pfnsOf(described),
    vmcoreinfo: c.vmcoreinfo,
    order: c.order,
    covers: coveredBy(without(described, c.leftOut)),
    ...(r.pageBuffer && {
      buffer: (a: number) => (a % c.granule ? undefined : r.pageBuffer!(a / c.granule)),
    }),
  };
}

/** Crash-time memory as it was: the bytes of `ranges` (anything else reads as zero). */
export function snapshotFilterMemory(
  peek: (paddr: number, len: number) => Uint8Array,
  ranges: readonly { base: number; size: number }[],
  vmcoreinfo: Record<string, string> | null,
  order: ByteOrder,
  buffer?: (paddr: number) => Uint8Array | undefined,
): FilterMemory {
  const sorted = [...ranges].sort((a, b) => a.base - b.base);
  return {
    read: peek,
    pfnRanges: pfnsOf(sorted),
    vmcoreinfo,
    order,
    covers: coveredBy(sorted),
    ...(buffer && { buffer }),
  };
}
