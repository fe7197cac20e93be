// Crash-time physical memory as a dump image offers it (what /proc/vmcore reads give makedumpfile):
// bytes by physical address through the image's PT_LOADs, and whole page frames, where a page the
// source never wrote is known to be zero without reading it. The kdump writer and the page filter
// read the dump through this, never through the model's own state.

import { BACKING_PAGE, isZeroBytes } from '../emulator/physical-memory.ts';
import type { DumpImage, DumpSegment } from '../kernel-model/dump-image.ts';
import { PAGE_SIZE } from '../kernel-model/symbols.ts';

/** Page frames [start, end). */
export interface PfnRange {
  start: number;
  end: number;
}

/** `ranges` less `cut`, both sorted and disjoint. */
export function subtractPfns(ranges: readonly PfnRange[], cut: readonly PfnRange[]): PfnRange[] {
  const out: PfnRange[] = [];
  let j = 0;
  for (const r of ranges) {
    let start = r.start;
    while (j < cut.length && cut[j]!.end <= start) j++;
    let k = j;
    while (k < cut.length && cut[k]!.start < r.end) {
      const c = cut[k]!;
      if (c.start > start) out.push({ start, end: c.start });
      start = Math.max(start, c.end);
      k++;
    }
    if (start < r.end) out.push({ start, end: r.end });
  }
  return out;
}

/** Page frames touched by byte ranges, merged. */
export function pfnsOf(ranges: readonly { base: number; size: number }[]): PfnRange[] {
  const out: PfnRange[] = [];
  for (const r of [...ranges].sort((a, b) => a.base - b.base)) {
    if (r.size <= 0) continue;
    const start = Math.floor(r.base / PAGE_SIZE);
    const end = Math.ceil((r.base + r.size) / PAGE_SIZE);
    const last = out[out.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else out.push({ start, end });
  }
  return out;
}

/** The page frames in `a` or `b` (each sorted), merged. */
export function unionPfns(a: readonly PfnRange[], b: readonly PfnRange[]): PfnRange[] {
  const out: PfnRange[] = [];
  for (const r of [...a, ...b].sort((x, y) => x.start - y.start)) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** Page frames in the ranges. */
export function pfnCount(ranges: readonly PfnRange[]): number {
  return ranges.reduce((n, r) => n + r.end - r.start, 0);
}

export class ImageMemory {
  private readonly segments: DumpSegment[];

  constructor(image: DumpImage) {
    this.segments = [...image.segments].sort((a, b) => a.paddr - b.paddr);
  }

  /** The page frames the PT_LOADs cover, merged (makedumpfile's 1st bitmap). */
  pfnRanges(): PfnRange[] {
    return pfnsOf(this.segments.map((x) => ({ base: x.paddr, size: x.size })));
  }

  /** `len` bytes at `paddr`; bytes no PT_LOAD covers read as zero. */
  read(paddr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (const s of this.overlapping(paddr, len)) {
      const from = Math.max(paddr, s.paddr);
      const to = Math.min(paddr + len, s.paddr + s.size);
      out.set(s.source.peek(s.sourceAddr + (from - s.paddr), to - from), from - paddr);
    }
    return out;
  }

  /** Whether every byte of [paddr, paddr+len) lies in some PT_LOAD. */
  covers(paddr: number, len: number): boolean {
    let at = paddr;
    for (const s of this.overlapping(paddr, len)) {
      if (s.paddr > at) return false;
      at = Math.max(at, s.paddr + s.size);
    }
    return at >= paddr + len;
  }

  /**
   * Page frame `pfn`'s bytes, or undefined when they are known to be all zero without reading them.
   * Not to be written: it may be the memory's own buffer, shared by identical pages.
   */
  page(pfn: number): Uint8Array | undefined {
    const paddr = pfn * PAGE_SIZE;
    const s = this.segmentAt(paddr);
    if (s && paddr + PAGE_SIZE <= s.paddr + s.size) {
      const src = s.sourceAddr + (paddr - s.paddr);
      if (src % BACKING_PAGE === 0 && PAGE_SIZE === BACKING_PAGE) {
        if (!s.source.isPresent(src / BACKING_PAGE)) return undefined;
        // The buffer itself: pages that share one are seen to be the same.
        const b = s.source.backing?.(src / BACKING_PAGE);
        if (b) return b;
      }
      return s.source.peek(src, PAGE_SIZE);
    }
    return this.read(paddr, PAGE_SIZE);
  }

  /** The page frames among `ranges` whose bytes are all zero (makedumpfile's exclude_zero_pages()). */
  zeroPfns(ranges: readonly PfnRange[]): PfnRange[] {
    const out: PfnRange[] = [];
    for (const r of ranges)
      for (let pfn = r.start; pfn < r.end; pfn++) {
        const page = this.page(pfn);
        if (page !== undefined && !isZeroBytes(page)) continue;
        const last = out[out.length - 1];
        if (last && last.end === pfn) last.end++;
        else out.push({ start: pfn, end: pfn + 1 });
      }
    return out;
  }

  /** Page frame `pfn`'s backing buffer when the memory shares one (see MemoryView.backing). */
  backing(pfn: number): Uint8Array | undefined {
    const paddr = pfn * PAGE_SIZE;
    const s = this.segmentAt(paddr);
    if (!s || paddr + PAGE_SIZE > s.paddr + s.size || PAGE_SIZE !== BACKING_PAGE) return undefined;
    const src = s.sourceAddr + (paddr - s.paddr);
    return src % BACKING_PAGE ? undefined : s.source.backing?.(src / BACKING_PAGE);
  }

  private segmentAt(paddr: number): DumpSegment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segments[mid]!;
      if (paddr < s.paddr) hi = mid - 1;
      else if (paddr >= s.paddr + s.size) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  private overlapping(paddr: number, len: number): DumpSegment[] {
    return this.segments.filter((s) => s.paddr < paddr + len && paddr < s.paddr + s.size);
  }
}
