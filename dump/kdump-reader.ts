// The kdump-compressed reader: reads a makedumpfile-format dump back from the file alone — the disk
// dump header and sub header, the ELF notes after it (registers, VMCOREINFO), both bitmaps, and any
// page through its descriptor (makedumpfile readpage_kdump_compressed(), crash diskdump.c). Fields
// are in the byte order of the machine that wrote the file, which the file does not record: it is
// the order in which the header makes sense (libkdumpfile's test: a block size that is a power of
// two from 4 KiB to 1 MiB, bitmaps large enough for max_mapnr). It shares the field tables and no
// code with the writer. Hostile input ends in one DumpFileError saying what is wrong and where.

import { deflateSync, inflateSync } from 'node:zlib';
import type { ByteOrder } from '../emulator/struct.ts';
import { KERNEL_VBASE } from '../kernel-model/symbols.ts';
import { type DumpTarget, type FileIn, openDumpFile } from './dump-file.ts';
import { type DumpContents, DumpFileError, type DumpLoad, type DumpReader } from './dump-reader.ts';
import {
  DISK_DUMP_HEADER,
  KDUMP_FLAGS,
  KDUMP_HEADER_VERSION,
  KDUMP_SIGNATURE,
  KDUMP_SUB_HEADER,
  PAGE_DESC,
} from './kdump-structs.ts';
import { kernelLog, parseNotes } from './notes.ts';
import { difference, type PfnSet, RunSet, readPfnSet } from './pfn-set.ts';
import { ReadAhead } from './read-ahead.ts';

export { runs } from './pfn-set.ts';

/** Largest note area the reader accepts. */
const MAX_NOTES = 64 * 2 ** 20;
/** Page descriptors read at once, and chunks of them kept. */
const DESC_CHUNK = 65536;
const DESC_CHUNKS_KEPT = 16;
/** Stored pages up to this size are keyed by their bytes; this many decompressed pages kept. */
const MAX_KEYED = 16384;
const MAX_INFLATED = 4096;

export interface KdumpContents extends DumpContents {
  format: 'kdump';
  headerVersion: number;
  blockSize: number;
  /** disk_dump_header.status: the compression flag and EXCLUDED_VMEMMAP/INCOMPLETE. */
  status: number;
  maxMapnr: number;
  nrCpus: number;
  /** The utsname release in the header. */
  release: string;
  /** Page frames in the 1st bitmap (memory the dump describes) and the 2nd (pages it holds). */
  pagesDescribed: number;
  pagesDumped: number;
}

/** Whether the bytes start with "KDUMP   ". */
export function isKdump(head: Uint8Array): boolean {
  return KDUMP_SIGNATURE.every((b, i) => head[i] === b);
}

/** Opens a kdump-compressed dump for reading; the caller closes it. */
export function openKdumpDump(target: DumpTarget): DumpReader & { contents: KdumpContents } {
  const file = openDumpFile(target);
  try {
    return new KdumpDump(file);
  } catch (e) {
    file.close();
    throw e;
  }
}

class KdumpDump implements DumpReader {
  readonly contents: KdumpContents;
  private readonly size: number;
  /** The 1st bitmap: page frames the dump describes; the 2nd: those it holds. */
  private readonly described: PfnSet;
  private readonly stored: PfnSet;
  /** Page frames whose descriptor is the shared zero page: known zero without reading. */
  /** Page frames stored as the shared zero page (dump level bit 1). */
  private sharedZero = new RunSet([]);
  private readonly offDesc: number;
  private readonly block: number;
  private readonly order: ByteOrder;
  private cached: { pfn: number; data: Uint8Array } | undefined;
  /** Page descriptors read, DESC_CHUNK at a time, by chunk index (a few chunks kept). */
  private readonly descChunks = new Map<number, Uint8Array>();
  /**
   * Pages decompressed, by their stored bytes: identical pages (struct pages, repeated data) get one
   * buffer, so readers that memoize by buffer (the page filter, verification) see them as one.
   */
  private readonly inflated = new Map<number, { stored: Uint8Array; data: Uint8Array }[]>();
  private inflatedCount = 0;
  private readonly zeroPage: Uint8Array;
  private readonly ahead: ReadAhead;

  readonly path: string;

  constructor(private readonly file: FileIn) {
    this.path = file.name;
    this.size = file.size;
    this.ahead = new ReadAhead(file);
    const raw = this.bytes(0, DISK_DUMP_HEADER.size, 'the disk dump header');
    if (!isKdump(raw)) throw new DumpFileError('not a kdump-compressed file (no "KDUMP   " signature)', 0);
    const order = (['le', 'be'] as const).find((o) => plausible(DISK_DUMP_HEADER.decode(raw, o)));
    if (!order)
      throw new DumpFileError('the header makes sense in neither byte order (block size, bitmap size)', 428);
    this.order = order;
    const dh = DISK_DUMP_HEADER.decode(raw, order);
    if (dh.header_version !== KDUMP_HEADER_VERSION)
      throw new DumpFileError(`header version ${dh.header_version}: only version 6 is read`, 8);
    const B = dh.block_size;
    this.block = B;
    this.zeroPage = new Uint8Array(B);
    const kh = KDUMP_SUB_HEADER.decode(this.bytes(B, KDUMP_SUB_HEADER.size, 'the kdump sub header'), order);
    const maxMapnr = Number(kh.max_mapnr_64);
    const half = (dh.bitmap_blocks / 2) * B;
    if (dh.bitmap_blocks % 2 !== 0 || maxMapnr > half * 8)
      throw new DumpFileError(
        `bitmaps of ${dh.bitmap_blocks} blocks cannot hold ${maxMapnr} page frames in two halves`,
        436,
      );
    if (kh.size_note > BigInt(MAX_NOTES))
      throw new DumpFileError(`a note area of ${kh.size_note} bytes`, B + 56);
    const noteAt = Number(kh.offset_note);
    const noteBytes = Number(kh.size_note);
    if (
      noteBytes > 0 &&
      (noteAt < B + KDUMP_SUB_HEADER.size || noteAt + noteBytes > (1 + dh.sub_hdr_size) * B)
    )
      throw new DumpFileError(
        `the notes (${noteBytes} bytes at ${noteAt}) lie outside the sub header blocks`,
        B + 48,
      );
    const notes = parseNotes(this.bytes(noteAt, noteBytes, 'the notes'), order, noteAt);
    const offBitmap = (1 + dh.sub_hdr_size) * B;
    // Both bitmaps as runs of page frames, read a slice at a time: at 64 TiB each is 128 MiB.
    const bitmap = (n: 1 | 2) => {
      const at = offBitmap + (n - 1) * half;
      if (at + half > this.size)
        throw new DumpFileError(
          `the ${n === 1 ? '1st' : '2nd'} bitmap lies beyond the end of the file (${this.size} bytes)`,
          at,
        );
      return readPfnSet((into, offset) => this.file.read(into, at + offset), half, maxMapnr);
    };
    this.described = bitmap(1);
    this.stored = bitmap(2);
    this.offDesc = offBitmap + 2 * half;
    const count = this.stored.count;
    const loads = this.described.runs().map(
      ([s, e]): DumpLoad => ({
        paddr: s * B,
        vaddr: KERNEL_VBASE + BigInt(s * B),
        size: (e - s) * B,
        fileOffset: this.offDesc,
        fileSize: (e - s) * B,
      }),
    );
    const leftOut = difference(this.described.runs(), this.stored.runs());
    const uts = DISK_DUMP_HEADER.decode(raw, order).release;
    this.contents = {
      format: 'kdump',
      order,
      notes: notes.notes,
      cpus: notes.cpus,
      vmcoreinfo: notes.vmcoreinfo,
      loads,
      dmesg: [],
      granule: B,
      headerBytes: this.offDesc,
      leftOut: leftOut.map(([s, e]) => ({ base: s * B, size: (e - s) * B })),
      sharedZero: [],
      headerVersion: dh.header_version,
      blockSize: B,
      status: dh.status,
      dumpLevel: kh.dump_level,
      maxMapnr,
      nrCpus: dh.nr_cpus,
      release: new TextDecoder().decode(uts.subarray(0, Math.max(0, uts.indexOf(0)))),
      pagesDescribed: this.described.count,
      pagesDumped: count,
    };
    if (kh.dump_level & 1 && this.markSharedZero(count))
      this.contents.sharedZero = this.sharedZero.runs().map(([s, e]) => ({
        base: s * B,
        size: (e - s) * B,
      }));
    this.contents.dmesg = kernelLog(notes.vmcoreinfo, order, (a, n) => this.read(a, n).data);
  }

  /**
   * The descriptors pointing at the page data's first bytes: with dump level bit 1, makedumpfile
   * writes the zero page there once and every zero page's descriptor points at it. Marks them in
   * `sharedZero` and returns how many there are.
   */
  private markSharedZero(dumped: number): number {
    const first = this.offDesc + dumped * PAGE_DESC.size;
    const offset = PAGE_DESC.offsetOf('offset');
    const per = 65536;
    const zero: [number, number][] = [];
    let n = 0;
    let i = 0;
    let b: Uint8Array = new Uint8Array(0);
    let v = new DataView(b.buffer);
    for (const [s, e] of this.stored.runs()) {
      for (let pfn = s; pfn < e; pfn++, i++) {
        if (i % per === 0) {
          const k = Math.min(per, dumped - i);
          b = this.bytes(this.offDesc + i * PAGE_DESC.size, k * PAGE_DESC.size, 'the page descriptors');
          v = new DataView(b.buffer);
        }
        if (Number(v.getBigInt64((i % per) * PAGE_DESC.size + offset, this.order === 'le')) !== first)
          continue;
        const last = zero[zero.length - 1];
        if (last && last[1] === pfn) last[1]++;
        else zero.push([pfn, pfn + 1]);
        n++;
      }
    }
    this.sharedZero = new RunSet(zero);
    return n;
  }

  /** `len` bytes of the file at `at`, or DumpFileError when they lie beyond its end. */
  /** Stored page data at `at`: a view to read at once (see ReadAhead.view), never to be written. */
  private pageData(at: number, len: number, what: string): Uint8Array {
    return this.ahead.view(at, len) ?? this.bytes(at, len, what);
  }

  private bytes(at: number, len: number, what: string): Uint8Array {
    if (!Number.isSafeInteger(at) || at < 0 || len < 0 || at + len > this.size)
      throw new DumpFileError(`${what} lies beyond the end of the file (${this.size} bytes)`, at);
    const b = new Uint8Array(len);
    if (len) this.file.read(b, at);
    return b;
  }

  private dumped(pfn: number): boolean {
    return pfn < this.contents.maxMapnr && this.stored.has(pfn);
  }

  /** The index of page frame `pfn`'s descriptor: pages set in the 2nd bitmap below it. */
  private descIndex(pfn: number): number {
    return this.stored.rank(pfn);
  }

  /** Descriptor `index` (it must exist): flags, size and offset of the stored page. */
  private descriptor(index: number): { chunk: Uint8Array; at: number; fileAt: number } {
    const n = Math.floor(index / DESC_CHUNK);
    let chunk = this.descChunks.get(n);
    if (!chunk) {
      const first = n * DESC_CHUNK;
      const count = Math.min(DESC_CHUNK, this.contents.pagesDumped - first);
      const at = this.offDesc + first * PAGE_DESC.size;
      chunk = this.bytes(at, count * PAGE_DESC.size, `the descriptors from page ${first} on`);
      if (this.descChunks.size >= DESC_CHUNKS_KEPT) this.descChunks.clear();
      this.descChunks.set(n, chunk);
    }
    return {
      chunk,
      at: (index % DESC_CHUNK) * PAGE_DESC.size,
      fileAt: this.offDesc + index * PAGE_DESC.size,
    };
  }

  /** Page frame `pfn`'s bytes through its descriptor (the page must be set in the 2nd bitmap). */
  private page(pfn: number): Uint8Array {
    if (this.cached?.pfn === pfn) return this.cached.data;
    const { chunk, at: d, fileAt: at } = this.descriptor(this.descIndex(pfn));
    const raw = PAGE_DESC.decode(chunk, this.order, d);
    const pd = { offset: Number(raw.offset), size: raw.size, flags: raw.flags };
    const B = this.block;
    if (pd.size > B)
      throw new DumpFileError(`page frame ${pfn}: ${pd.size} bytes stored, more than a page`, at + 8);
    const stored = this.pageData(pd.offset, pd.size, `the data of page frame ${pfn}`);
    let data: Uint8Array;
    if (pd.flags === 0) {
      if (pd.size !== B)
        throw new DumpFileError(`page frame ${pfn}: ${pd.size} bytes stored uncompressed`, at + 8);
      data = stored.slice();
    } else if (pd.flags === KDUMP_FLAGS.CompressedZlib && isZeroPacked(stored, B)) {
      data = this.zeroPage;
    } else if (pd.flags === KDUMP_FLAGS.CompressedZlib) {
      const keyed = stored.length <= MAX_KEYED;
      const hash = keyed ? sampleHash(stored) : 0;
      const known = keyed ? this.inflated.get(hash)?.find((k) => sameBytes(k.stored, stored)) : undefined;
      if (known) data = known.data;
      else {
        try {
          data = new Uint8Array(inflateSync(stored));
        } catch {
          throw new DumpFileError(`page frame ${pfn}: its zlib data does not decompress`, pd.offset);
        }
        if (data.length !== B)
          throw new DumpFileError(
            `page frame ${pfn}: decompresses to ${data.length} bytes, not ${B}`,
            pd.offset,
          );
        if (keyed) {
          if (this.inflatedCount >= MAX_INFLATED) {
            this.inflated.clear();
            this.inflatedCount = 0;
          }
          const bucket = this.inflated.get(hash) ?? [];
          bucket.push({ stored: stored.slice(), data });
          this.inflated.set(hash, bucket);
          this.inflatedCount++;
        }
      }
    } else {
      const name =
        Object.entries(KDUMP_FLAGS).find(([, v]) => v === pd.flags)?.[0] ??
        `flags 0x${pd.flags.toString(16)}`;
      throw new DumpFileError(
        `page frame ${pfn}: stored ${name}, which this reader does not read (zlib only)`,
        at + 12,
      );
    }
    this.cached = { pfn, data };
    return data;
  }

  /** Page frame `pfn` whole, as a buffer identical stored pages share; undefined when not held. */
  pageBuffer(pfn: number): Uint8Array | undefined {
    if (pfn < 0 || pfn >= this.contents.maxMapnr) return undefined;
    if (this.sharedZero.has(pfn)) return this.zeroPage;
    return this.dumped(pfn) ? this.page(pfn) : undefined;
  }

  read(paddr: number, len: number): { data: Uint8Array; unread: number } {
    const data = new Uint8Array(len);
    let unread = 0;
    const B = this.block;
    for (let at = paddr; at < paddr + len; ) {
      const pfn = Math.floor(at / B);
      const end = Math.min(paddr + len, (pfn + 1) * B);
      if (this.sharedZero.has(pfn)) {
        // the shared zero page: the buffer is zero already
      } else if (this.dumped(pfn)) data.set(this.page(pfn).subarray(at - pfn * B, end - pfn * B), at - paddr);
      else unread += end - at;
      at = end;
    }
    return { data, unread };
  }

  /** Whether any page the file holds lies outside the physical ranges given. */
  mayHoldDataOutside(ranges: readonly { base: number; size: number }[]): boolean {
    const B = this.block;
    const sorted = [...ranges].sort((a, b) => a.base - b.base);
    // Pages with data of their own: dumped, and not the shared zero page.
    let j = 0;
    for (const [s, e] of difference(this.stored.runs(), this.sharedZero.runs())) {
      let at = s * B;
      while (j < sorted.length && sorted[j]!.base + sorted[j]!.size <= at) j++;
      for (let k = j; k < sorted.length && sorted[k]!.base <= at && at < e * B; k++)
        at = Math.max(at, sorted[k]!.base + sorted[k]!.size);
      if (at < e * B) return true;
    }
    return false;
  }

  close(): void {
    this.file.close();
  }
}

/**
 * A hash of the length, 32 bytes spread over `b` and its last 4 (zlib's Adler-32 of the page):
 * cheap, and confirmed by sameBytes().
 */
function sampleHash(b: Uint8Array): number {
  let h = b.length | 0;
  const step = Math.max(1, b.length >> 5);
  for (let i = 0; i < b.length; i += step) h = (Math.imul(h, 31) + b[i]!) | 0;
  for (let i = Math.max(0, b.length - 4); i < b.length; i++) h = (Math.imul(h, 31) + b[i]!) | 0;
  return h;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

const zeroPacked = new Map<number, Uint8Array>();
/** Whether the bytes are zlib level 1's stream for a zero page of `size` bytes (no need to inflate). */
function isZeroPacked(stored: Uint8Array, size: number): boolean {
  let z = zeroPacked.get(size);
  if (!z) {
    z = deflateSync(new Uint8Array(size), { level: 1 });
    zeroPacked.set(size, z);
  }
  return stored.length === z.length && Buffer.compare(stored, z) === 0;
}

function plausible(dh: ReturnType<typeof DISK_DUMP_HEADER.decode>): boolean {
  const B = dh.block_size;
  return B >= 4096 && B <= 2 ** 20 && (B & (B - 1)) === 0 && 8 * dh.bitmap_blocks * B >= dh.max_mapnr;
}
