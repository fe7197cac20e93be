// Sparse physical memory of the partition. Backing pages are allocated on first write; pages never
// written read as zero. Guest accesses (`read`/`write`) check that the range is assigned memory and
// not poisoned and raise a MachineCheck otherwise; `peek`/`poke` are the inspection path with no
// checks and no accounting. Snapshots are copy-on-write: a crash-time snapshot shares every page,
// and the page table's leaves with it (page-table.ts).

import { LEAF_PAGES, PageTable } from './page-table.ts';
import type { ByteOrder } from './struct.ts';

/** Granule of the sparse store (64 KiB, the ppc64 kernel page size). */
export const BACKING_PAGE = 0x10000;

export type MachineCheckKind = 'unassigned' | 'poisoned';

export class MachineCheck extends Error {
  constructor(
    readonly addr: number,
    readonly kind: MachineCheckKind,
  ) {
    super(`machine check: ${kind} memory at 0x${addr.toString(16)}`);
  }
}

/** Tells whether [addr, addr+len) lies wholly in assigned memory. */
export type AssignedPredicate = (addr: number, len: number) => boolean;

/** Read-only view of memory: a snapshot or the live memory's inspection path. */
export interface MemoryView {
  peek(addr: number, len: number): Uint8Array;
  /** Sorted indexes of backing pages holding data. */
  presentPages(): number[];
  isPresent(page: number): boolean;
  /**
   * Backing page `page` itself, not a copy (identical pages may be one buffer), or undefined when
   * absent. Read it at once and never write it.
   */
  backing?(page: number): Uint8Array | undefined;
  /**
   * Backing page `page` itself, which this memory will never write in place again (its next write
   * copies it first), so the caller may keep it; undefined when absent. Never write it.
   */
  frozen?(page: number): Uint8Array | undefined;
}

/** A guest access: what a firmware call read or wrote, as the report's player shows it. */
export interface Access {
  addr: number;
  len: number;
  write: boolean;
}

/** Backing pages per group that zero() skips whole when empty (16 MiB): the page table's leaves. */
const GROUP_PAGES = LEAF_PAGES;

export class PhysicalMemory implements MemoryView {
  private pages = new PageTable();
  /**
   * Pages whose buffer nothing else holds (no snapshot, no other page), written in place; any other
   * page is copied before its next write. A snapshot empties the set in O(1).
   */
  private owned = new Set<number>();
  private poisoned = new Set<number>();
  guestBytesRead = 0;
  guestBytesWritten = 0;
  /** Told of every guest access while record() is on. */
  private recorder: ((addr: number, len: number, write: boolean) => void) | undefined;

  constructor(private assigned: AssignedPredicate) {}

  /** Guest read: faults on unassigned or poisoned memory. */
  read(addr: number, len: number): Uint8Array {
    this.check(addr, len);
    this.guestBytesRead += len;
    this.recorder?.(addr, len, false);
    return this.peek(addr, len);
  }

  /** Guest write: faults on unassigned memory. */
  write(addr: number, data: Uint8Array): void {
    this.check(addr, data.length, false);
    this.guestBytesWritten += data.length;
    this.recorder?.(addr, data.length, true);
    this.poke(addr, data);
  }

  /**
   * Records the guest accesses that succeed from now until the function returned is first called,
   * which gives them back merged: the ranges read, then the ranges written, each in address order.
   * Later calls give the same ranges.
   */
  record(): () => Access[] {
    const seen: Access[] = [];
    const outer = this.recorder;
    this.recorder = (addr, len, write) => {
      outer?.(addr, len, write);
      seen.push({ addr, len, write });
    };
    let merged: Access[] | undefined;
    return () => {
      if (merged) return merged;
      this.recorder = outer;
      merged = [];
      for (const a of seen.sort((x, y) => Number(x.write) - Number(y.write) || x.addr - y.addr)) {
        const last = merged[merged.length - 1];
        if (last && last.write === a.write && a.addr <= last.addr + last.len)
          last.len = Math.max(last.len, a.addr + a.len - last.addr);
        else if (a.len > 0) merged.push({ ...a });
      }
      return merged;
    };
  }

  /**
   * Guest write of whole backing pages from `addr` (page-aligned) that never change afterwards
   * (a kernel image's text): each page is shared, not copied, as share() does.
   */
  writePages(addr: number, pages: readonly Uint8Array[]): void {
    if (addr % BACKING_PAGE) throw new RangeError('writePages needs a page-aligned address');
    this.check(addr, pages.length * BACKING_PAGE, false);
    this.guestBytesWritten += pages.length * BACKING_PAGE;
    this.recorder?.(addr, pages.length * BACKING_PAGE, true);
    pages.forEach((p, i) => {
      this.share(addr / BACKING_PAGE + i, p);
    });
  }

  readU32(addr: number, order: ByteOrder): number {
    const b = this.read(addr, 4);
    return new DataView(b.buffer).getUint32(0, order === 'le');
  }

  readU64(addr: number, order: ByteOrder): bigint {
    const b = this.read(addr, 8);
    return new DataView(b.buffer).getBigUint64(0, order === 'le');
  }

  writeU32(addr: number, v: number, order: ByteOrder): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, order === 'le');
    this.write(addr, b);
  }

  writeU64(addr: number, v: bigint, order: ByteOrder): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), order === 'le');
    this.write(addr, b);
  }

  /** Whether a guest access to the range would succeed. */
  accessible(addr: number, len: number): boolean {
    try {
      this.check(addr, len);
      return true;
    } catch (e) {
      if (e instanceof MachineCheck) return false;
      throw e;
    }
  }

  /** Whether [addr, addr + len) is all assigned memory (poisoned pages included). */
  isAssigned(addr: number, len: number): boolean {
    return addr >= 0 && len >= 0 && this.assigned(addr, len);
  }

  peek(addr: number, len: number): Uint8Array {
    return peekPages(this.pages, addr, len);
  }

  poke(addr: number, data: Uint8Array): void {
    forEachChunk(addr, data.length, (page, off, n, done) => {
      const chunk = data.subarray(done, done + n);
      if (!this.pages.has(page) && isZeroBytes(chunk)) return;
      this.writable(page).set(chunk, off);
    });
  }

  /**
   * Backing page `page` as a buffer of its own, allocated or un-shared as needed, for writing;
   * `keep` false when the caller overwrites all of it, so a shared page's bytes need no copy.
   */
  private writable(page: number, keep = true): Uint8Array {
    let p = this.pages.get(page);
    if (!p) {
      p = new Uint8Array(BACKING_PAGE);
      this.pages.set(page, p);
      this.owned.add(page);
    } else if (!this.owned.has(page)) {
      p = keep ? p.slice() : new Uint8Array(BACKING_PAGE);
      this.pages.set(page, p);
      this.owned.add(page);
    }
    return p;
  }

  /**
   * Makes backing page `page` hold `content` (BACKING_PAGE bytes) without copying it: many pages may
   * share one buffer, so identical pages cost nothing; the first write to one copies it, as a
   * snapshot's pages are copied. `content` must not change afterwards. Inspection path: no checks.
   */
  share(page: number, content: Uint8Array): void {
    if (content.length !== BACKING_PAGE) throw new RangeError('a shared page is one backing page');
    this.pages.set(page, content);
    this.owned.delete(page);
  }

  /** Zeroes a range, dropping backing pages that become entirely zero. */
  zero(addr: number, len: number): void {
    // Group by group: a group with no present page needs nothing.
    const groupBytes = GROUP_PAGES * BACKING_PAGE;
    for (let at = addr; at < addr + len; ) {
      const end = Math.min(addr + len, (Math.floor(at / groupBytes) + 1) * groupBytes);
      if (this.pages.countIn(Math.floor(at / groupBytes))) this.zeroIn(at, end - at);
      at = end;
    }
  }

  private zeroIn(addr: number, len: number): void {
    forEachChunk(addr, len, (page, off, n) => {
      const p = this.pages.get(page);
      if (!p) return;
      if (n === BACKING_PAGE) {
        this.pages.delete(page);
        this.owned.delete(page);
        return;
      }
      this.poke(page * BACKING_PAGE + off, new Uint8Array(n));
    });
  }

  /**
   * Copies [src, src+len) to dst moving only present pages: absent source pages zero the
   * destination; whole pages are shared, copy-on-write, rather than copied. Ranges must not
   * overlap. Cost is O(present pages in the source range).
   */
  copy(src: number, dst: number, len: number): void {
    if (src < dst + len && dst < src + len && src !== dst) throw new RangeError('overlapping copy');
    if (src === dst || len === 0) return;
    const first = Math.floor(src / BACKING_PAGE);
    const last = Math.floor((src + len - 1) / BACKING_PAGE);
    const present = this.presentPagesIn(first, last);
    if ((dst - src) % BACKING_PAGE === 0) {
      this.zero(dst, len);
      for (const page of present) {
        const start = Math.max(src, page * BACKING_PAGE);
        const end = Math.min(src + len, (page + 1) * BACKING_PAGE);
        const to = dst + (start - src);
        if (end - start === BACKING_PAGE) {
          // A whole page to a whole page: both share the buffer until either is written.
          this.share(to / BACKING_PAGE, this.frozen(page)!);
        } else {
          const base = page * BACKING_PAGE;
          this.poke(to, this.pages.get(page)!.subarray(start - base, end - base));
        }
      }
      return;
    }
    // Unaligned: each destination page a present source page reaches gathers its bytes from the one
    // or two source pages it overlaps, straight from their buffers, into its own buffer where it has
    // one; the rest of the destination is zeroed.
    const targets: number[] = [];
    for (const page of present) {
      const start = Math.max(src, page * BACKING_PAGE);
      const end = Math.min(src + len, (page + 1) * BACKING_PAGE);
      const lastTo = Math.floor((dst + (end - src) - 1) / BACKING_PAGE);
      const firstTo = Math.floor((dst + (start - src)) / BACKING_PAGE);
      for (let d = Math.max((targets.at(-1) ?? -1) + 1, firstTo); d <= lastTo; d++) targets.push(d);
    }
    let at = dst;
    for (const d of targets) {
      const from = Math.max(dst, d * BACKING_PAGE);
      if (from > at) this.zero(at, from - at);
      at = Math.min(dst + len, (d + 1) * BACKING_PAGE);
    }
    if (at < dst + len) this.zero(at, dst + len - at);
    for (const d of targets) this.gather(d, src, dst, len);
  }

  /** Writes destination page `d` of copy(src, dst, len) from the source pages it overlaps. */
  private gather(d: number, src: number, dst: number, len: number): void {
    const base = d * BACKING_PAGE;
    const to = Math.max(dst, base);
    const toEnd = Math.min(dst + len, base + BACKING_PAGE);
    const from = to - dst + src;
    const mid = (Math.floor(from / BACKING_PAGE) + 1) * BACKING_PAGE;
    const pieces: [Uint8Array, number][] = [];
    let covered = 0;
    for (const [at, end] of [
      [from, Math.min(mid, from + toEnd - to)],
      [mid, from + toEnd - to],
    ] as const) {
      const p = end > at ? this.pages.get(Math.floor(at / BACKING_PAGE)) : undefined;
      if (!p) continue;
      const off = at % BACKING_PAGE;
      pieces.push([p.subarray(off, off + end - at), to + (at - from) - base]);
      covered += end - at;
    }
    if (!this.pages.has(d) && pieces.every(([bytes]) => isZeroBytes(bytes))) return;
    // A page wholly overwritten needs no copy of its old bytes.
    const target = this.writable(d, covered < BACKING_PAGE);
    if (covered < toEnd - to) target.fill(0, to - base, toEnd - base);
    for (const [bytes, at] of pieces) target.set(bytes, at);
  }

  presentPages(): number[] {
    return this.pages.keys();
  }

  backing(page: number): Uint8Array | undefined {
    return this.pages.get(page);
  }

  frozen(page: number): Uint8Array | undefined {
    this.owned.delete(page);
    return this.pages.get(page);
  }

  isPresent(page: number): boolean {
    return this.pages.has(page);
  }

  presentPageCount(): number {
    return this.pages.size;
  }

  /** A frozen copy-on-write view of memory as it is now. */
  snapshot(): MemorySnapshot {
    this.owned = new Set();
    return new MemorySnapshot(this.pages.copy());
  }

  /** Makes guest reads of the backing page holding addr fault, as an uncorrectable error would. */
  poison(addr: number): void {
    this.poisoned.add(Math.floor(addr / BACKING_PAGE));
  }

  unpoison(addr: number): void {
    this.poisoned.delete(Math.floor(addr / BACKING_PAGE));
  }

  /** Present pages in [first, last], sorted: groups with no page are skipped whole. */
  private presentPagesIn(first: number, last: number): number[] {
    if ((last - first + 1) / GROUP_PAGES > this.pages.size)
      return this.presentPages().filter((p) => p >= first && p <= last);
    const out: number[] = [];
    for (let p = first; p <= last; ) {
      const g = Math.floor(p / GROUP_PAGES);
      const end = Math.min(last + 1, (g + 1) * GROUP_PAGES);
      if (this.pages.countIn(g)) for (; p < end; p++) if (this.pages.has(p)) out.push(p);
      p = end;
    }
    return out;
  }

  private check(addr: number, len: number, checkPoison = true): void {
    if (!Number.isSafeInteger(addr) || addr < 0 || len < 0) throw new MachineCheck(addr, 'unassigned');
    if (!this.assigned(addr, len)) throw new MachineCheck(addr, 'unassigned');
    if (checkPoison && this.poisoned.size > 0 && len > 0) {
      const last = Math.floor((addr + len - 1) / BACKING_PAGE);
      for (let p = Math.floor(addr / BACKING_PAGE); p <= last; p++) {
        if (this.poisoned.has(p)) throw new MachineCheck(p * BACKING_PAGE, 'poisoned');
      }
    }
  }
}

/** Whether every byte is zero, four at a time where the bytes are aligned for it. */
export function isZeroBytes(b: Uint8Array): boolean {
  let i = 0;
  if (b.byteOffset % 4 === 0) {
    const w = new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
    for (; i < w.length; i++) if (w[i] !== 0) return false;
    i *= 4;
  }
  for (; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

type ChunkFn = (page: number, off: number, n: number, done: number) => void;

/** Splits [addr, addr+len) at backing-page boundaries. */
function forEachChunk(addr: number, len: number, fn: ChunkFn): void {
  let done = 0;
  while (done < len) {
    const a = addr + done;
    const page = Math.floor(a / BACKING_PAGE);
    const off = a - page * BACKING_PAGE;
    const n = Math.min(BACKING_PAGE - off, len - done);
    fn(page, off, n, done);
    done += n;
  }
}

/** Reads [addr, addr+len) from a page map; absent pages read as zero. */
function peekPages(pages: Pick<PageTable, 'get'>, addr: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  forEachChunk(addr, len, (page, off, n, done) => {
    const p = pages.get(page);
    if (p) out.set(p.subarray(off, off + n), done);
  });
  return out;
}

/** Memory frozen at one instant, for verification. */
export class MemorySnapshot implements MemoryView {
  constructor(private readonly pages: PageTable) {}

  backing(page: number): Uint8Array | undefined {
    return this.pages.get(page);
  }

  frozen(page: number): Uint8Array | undefined {
    return this.pages.get(page);
  }

  peek(addr: number, len: number): Uint8Array {
    return peekPages(this.pages, addr, len);
  }

  presentPages(): number[] {
    return this.pages.keys();
  }

  isPresent(page: number): boolean {
    return this.pages.has(page);
  }
}

/** The simple reference: a flat array, used by property tests to check the sparse store. */
export class FlatMemory {
  readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  peek(addr: number, len: number): Uint8Array {
    return this.bytes.slice(addr, addr + len);
  }
  poke(addr: number, data: Uint8Array): void {
    this.bytes.set(data, addr);
  }
  zero(addr: number, len: number): void {
    this.bytes.fill(0, addr, addr + len);
  }
  copy(src: number, dst: number, len: number): void {
    this.bytes.copyWithin(dst, src, src + len);
  }
}
