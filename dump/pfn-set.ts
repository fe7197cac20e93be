// Sets of page frames as a kdump-compressed file's bitmaps give them, held as runs of set bits: the
// bitmaps of a 64 TiB dump are 128 MiB each, but what they say is a few hundred thousand ranges. A
// bitmap whose runs would take more memory than its bits (a hostile file, or memory filtered page
// by page) is kept as it is, with rank checkpoints — the memory used is never more than the bitmap.

/** A set of page frames: membership, rank (members below a frame) and its runs [start, end). */
export interface PfnSet {
  readonly count: number;
  has(pfn: number): boolean;
  /** Members below `pfn`. */
  rank(pfn: number): number;
  runs(): readonly (readonly [number, number])[];
}

/** A set as sorted, disjoint, non-adjacent runs, looked up by binary search from the last run hit. */
export class RunSet implements PfnSet {
  private readonly before: Float64Array;
  readonly count: number;
  private hint = 0;

  constructor(private readonly list: readonly (readonly [number, number])[]) {
    this.before = new Float64Array(list.length + 1);
    let n = 0;
    for (let i = 0; i < list.length; i++) {
      this.before[i] = n;
      n += list[i]![1] - list[i]![0];
    }
    this.before[list.length] = n;
    this.count = n;
  }

  /** The index of the last run starting at or below `pfn`, or -1. */
  private find(pfn: number): number {
    const l = this.list;
    const h = this.hint;
    // Lookups come in ascending order mostly: the run last hit, or the next.
    if (h < l.length && l[h]![0] <= pfn && (h + 1 >= l.length || l[h + 1]![0] > pfn)) return h;
    let lo = 0;
    let hi = l.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (l[mid]![0] <= pfn) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found >= 0) this.hint = found;
    return found;
  }

  has(pfn: number): boolean {
    const i = this.find(pfn);
    return i >= 0 && pfn < this.list[i]![1];
  }

  rank(pfn: number): number {
    const i = this.find(pfn);
    if (i < 0) return 0;
    const [s, e] = this.list[i]!;
    return this.before[i]! + Math.min(pfn, e) - s;
  }

  runs(): readonly (readonly [number, number])[] {
    return this.list;
  }
}

/** Page frames per rank checkpoint of a bitmap kept as it is (crash's valid_pages[] works per 4096 too). */
const RANK_STEP = 4096;

/** A set as its bitmap, with a count of members before every RANK_STEP frames. */
export class BitmapSet implements PfnSet {
  private readonly checkpoints: Float64Array;
  readonly count: number;
  private cursor: { pfn: number; pos: number } | undefined;
  private listed: [number, number][] | undefined;

  private readonly bitmap: Uint8Array;

  constructor(
    bitmap: Uint8Array,
    private readonly bits: number,
  ) {
    this.bitmap = bitmap.subarray(0, Math.ceil(bits / 8));
    this.checkpoints = new Float64Array(Math.ceil(bits / RANK_STEP) + 1);
    let n = 0;
    for (let i = 0; i < this.checkpoints.length; i++) {
      this.checkpoints[i] = n;
      const from = (i * RANK_STEP) / 8;
      n += popcount(this.bitmap.subarray(from, Math.min(from + RANK_STEP / 8, this.bitmap.length)));
    }
    // Bits past the last frame (in its byte) are not members.
    this.count = this.rank(bits);
  }

  has(pfn: number): boolean {
    return pfn >= 0 && pfn < this.bits && (this.bitmap[pfn >> 3]! & (1 << (pfn & 7))) !== 0;
  }

  rank(at: number): number {
    const pfn = Math.max(0, Math.min(at, this.bits));
    // From the checkpoint or, when frames are looked up in ascending order as they usually are,
    // from the last one; whole bytes at a time.
    const i = Math.floor(pfn / RANK_STEP);
    const last = this.cursor;
    let from = i * RANK_STEP;
    let pos = this.checkpoints[i]!;
    if (last && last.pfn <= pfn && last.pfn >= from) {
      from = last.pfn;
      pos = last.pos;
    }
    const bm = this.bitmap;
    let p = from;
    for (; p < pfn && p & 7; p++) if (this.has(p)) pos++;
    for (; p + 8 <= pfn; p += 8) pos += POPCOUNT[bm[p >> 3]!]!;
    for (; p < pfn; p++) if (this.has(p)) pos++;
    this.cursor = { pfn, pos };
    return pos;
  }

  runs(): readonly (readonly [number, number])[] {
    this.listed ??= runs(this.bitmap, this.bits);
    return this.listed;
  }
}

/** Bitmap bytes scanned at a time. */
const SCAN = 2 ** 20;

/**
 * The set a bitmap of `bytes` bytes describes (its first `bits` bits), read `SCAN` bytes at a time
 * with `read(into, offset)`: as runs, unless they would take more memory than the bitmap.
 */
export function readPfnSet(
  read: (into: Uint8Array, offset: number) => void,
  bytes: number,
  bits: number,
): PfnSet {
  // A run costs two numbers in an array, about 40 bytes: more runs than this, and the bitmap is smaller.
  const most = Math.max(1024, Math.floor(bytes / 40));
  const list: [number, number][] = [];
  let open: number | undefined = -1;
  const chunk = new Uint8Array(Math.min(SCAN, bytes));
  for (let at = 0; at < bytes && at * 8 < bits; at += SCAN) {
    const n = Math.min(SCAN, bytes - at);
    const part = n === chunk.length ? chunk : chunk.subarray(0, n);
    read(part, at);
    open = scanRuns(part, at * 8, bits, open, list, most);
    if (open === undefined) {
      const whole = new Uint8Array(bytes);
      read(whole, 0);
      return new BitmapSet(whole, bits);
    }
  }
  if (open >= 0) list.push([open, bits]);
  return new RunSet(list);
}

/**
 * Appends to `out` the runs of set bits that end in `part`, a slice of a bitmap whose first bit is
 * page frame `base` (frames from `bits` on do not count). `open` is the start of a run going on into
 * the slice (-1: none); the start of the one going on out of it is returned, or undefined once `out`
 * holds more than `most` runs.
 */
function scanRuns(
  part: Uint8Array,
  base: number,
  bits: number,
  open: number,
  out: [number, number][],
  most = Number.POSITIVE_INFINITY,
): number | undefined {
  const w =
    part.byteOffset % 4 === 0 ? new Uint32Array(part.buffer, part.byteOffset, part.length >>> 2) : undefined;
  for (let byte = 0; byte < part.length; byte++) {
    const first = base + byte * 8;
    if (first >= bits) break;
    // 32 bits at a time while nothing changes: no run, or one run going on.
    if (w && byte % 4 === 0 && byte + 4 <= part.length && first + 32 <= bits) {
      const v = w[byte >>> 2]!;
      if ((v === 0 && open < 0) || (v === 0xffffffff && open >= 0)) {
        byte += 3;
        continue;
      }
    }
    const v = part[byte]!;
    if ((v === 0 && open < 0) || (v === 0xff && open >= 0)) continue;
    for (let bit = 0; bit < 8 && first + bit < bits; bit++) {
      const set = (v & (1 << bit)) !== 0;
      if (set && open < 0) open = first + bit;
      else if (!set && open >= 0) {
        out.push([open, first + bit]);
        open = -1;
      }
    }
    if (out.length > most) return undefined;
  }
  return open;
}

/** The runs of `a` less those of `b` (both sorted and disjoint). */
export function difference(
  a: readonly (readonly [number, number])[],
  b: readonly (readonly [number, number])[],
): [number, number][] {
  const out: [number, number][] = [];
  let j = 0;
  for (const [s, e] of a) {
    let at = s;
    while (j < b.length && b[j]![1] <= at) j++;
    for (let k = j; k < b.length && b[k]![0] < e; k++) {
      if (b[k]![0] > at) out.push([at, b[k]![0]]);
      at = Math.max(at, b[k]![1]);
    }
    if (at < e) out.push([at, e]);
  }
  return out;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, i) => {
  let n = 0;
  for (let v = i; v; v >>= 1) n += v & 1;
  return n;
});

/** Set bits of a bitmap, 32 at a time where it is aligned for that. */
export function popcount(bitmap: Uint8Array): number {
  let n = 0;
  let i = 0;
  if (bitmap.byteOffset % 4 === 0) {
    const w = new Uint32Array(bitmap.buffer, bitmap.byteOffset, bitmap.length >>> 2);
    for (; i < w.length; i++) {
      let v = w[i]!;
      if (v === 0) continue;
      v -= (v >>> 1) & 0x55555555;
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      n += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    }
    i *= 4;
  }
  for (; i < bitmap.length; i++) n += POPCOUNT[bitmap[i]!]!;
  return n;
}

/** Runs [start, end) of set bits among the first `bits` bits of a bitmap in memory. */
export function runs(bitmap: Uint8Array, bits: number): [number, number][] {
  const out: [number, number][] = [];
  const open = scanRuns(bitmap, 0, bits, -1, out)!;
  if (open >= 0) out.push([open, bits]);
  return out;
}
