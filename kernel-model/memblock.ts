// Early-boot memory map of the kernel (Linux mm/memblock.c): the memory ranges the device tree
// describes and the ranges reserved from them.

import type { Range } from '../emulator/memory-blocks.ts';
import { subtract } from '../emulator/ranges.ts';

export class Memblock {
  readonly memory: Range[] = [];
  readonly reserved: Range[] = [];

  /** Adds memory, merging with adjacent or overlapping ranges (as memblock_add does). */
  add(base: number, size: number): void {
    insertMerged(this.memory, base, size);
  }

  /** memblock_remove: takes [base, base+size) out of memory, splitting ranges. */
  remove(base: number, size: number): void {
    cut(this.memory, base, size);
  }

  /**
   * memblock_enforce_memory_limit: cuts memory and reserved at the address where `limit` bytes of
   * memory are reached (__find_max_addr); returns that address, or undefined when `limit` covers all
   * memory (nothing is cut).
   */
  enforceLimit(limit: number): number | undefined {
    if (limit >= this.physMemSize()) return undefined;
    let left = limit;
    let maxAddr: number | undefined;
    for (const r of this.memory) {
      if (left <= r.size) {
        maxAddr = r.base + left;
        break;
      }
      left -= r.size;
    }
    if (maxAddr === undefined) return undefined;
    cut(this.memory, maxAddr, Number.MAX_SAFE_INTEGER - maxAddr);
    cut(this.reserved, maxAddr, Number.MAX_SAFE_INTEGER - maxAddr);
    return maxAddr;
  }

  reserve(base: number, size: number): void {
    insertMerged(this.reserved, base, size);
  }

  physMemSize(): number {
    return this.memory.reduce((s, r) => s + r.size, 0);
  }

  endOfDram(): number {
    const last = this.memory[this.memory.length - 1];
    return last ? last.base + last.size : 0;
  }

  /** Whether [base, base+size) lies within one memory range (is_fadump_mem_area_contiguous). */
  isContiguous(base: number, size: number): boolean {
    return this.memory.some((r) => base >= r.base && base + size <= r.base + r.size);
  }

  isReserved(base: number, size: number): boolean {
    return this.reserved.some((r) => base < r.base + r.size && r.base < base + size);
  }

  /**
   * memblock_phys_alloc_range: `size` bytes aligned to `align` in free memory within [start, end),
   * the highest such place (memblock allocates top-down), reserved; 0 when there is none.
   */
  allocRange(size: number, align: number, start: number, end: number): number {
    const free = this.freeRanges();
    for (let i = free.length - 1; i >= 0; i--) {
      const r = free[i]!;
      const top = Math.min(end, r.base + r.size);
      const base = Math.floor((top - size) / align) * align;
      if (base >= Math.max(start, r.base) && base + size <= top) {
        this.reserve(base, size);
        return base;
      }
    }
    return 0;
  }

  /** Memory not reserved, as sorted ranges. */
  freeRanges(): Range[] {
    const out: Range[] = [];
    for (const m of this.memory) {
      let cur = m.base;
      const end = m.base + m.size;
      for (const r of this.reserved) {
        if (r.base + r.size <= cur || r.base >= end) continue;
        if (r.base > cur) out.push({ base: cur, size: r.base - cur });
        cur = Math.max(cur, r.base + r.size);
      }
      if (cur < end) out.push({ base: cur, size: end - cur });
    }
    return out;
  }
}

function insertMerged(list: Range[], base: number, size: number): void {
  if (size <= 0) return;
  let start = base;
  let end = base + size;
  const keep: Range[] = [];
  for (const r of list) {
    if (r.base + r.size < start || r.base > end) keep.push(r);
    else {
      start = Math.min(start, r.base);
      end = Math.max(end, r.base + r.size);
    }
  }
  keep.push({ base: start, size: end - start });
  keep.sort((a, b) => a.base - b.base);
  list.splice(0, list.length, ...keep);
}

/** memblock_remove_range: takes [base, base+size) out of `list`, splitting ranges. */
function cut(list: Range[], base: number, size: number): void {
  list.splice(0, list.length, ...list.flatMap((r) => subtract(r, { base, size })));
}
