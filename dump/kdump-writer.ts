// The kdump-compressed writer: lays a dump image out as `makedumpfile -c` writes it (header version
// 6; makedumpfile.c write_kdump_header(), write_kdump_bitmap*(), write_kdump_pages_cyclic()):
//   block 0          disk_dump_header (the rest of the block a hole)
//   block 1          kdump_sub_header, then the ELF notes copied byte for byte
//   (1+sub_hdr) B    1st bitmap: the page frames some PT_LOAD covers
//   then             2nd bitmap: the page frames dumped
//   then             a page_desc per page frame dumped, ascending, packed
//   then             page data, packed: the shared zero page first (dump level bit 1), then each page
//                    zlib-compressed on its own at level 1 when that makes it smaller, else raw.
// Bitmaps are LSB first (pfn p is bit p&7 of byte p>>3). Every field is in the dumped kernel's byte
// order, as makedumpfile running in that kernel writes it. The file is streamed: descriptors and
// data go out in chunks, memory the image never wrote is read as zero without being read.

import { deflateSync } from 'node:zlib';
import { isZeroBytes } from '../emulator/physical-memory.ts';
import type { DumpImage } from '../kernel-model/dump-image.ts';
import { NT_PRSTATUS } from '../kernel-model/elf.ts';
import { PAGE_SIZE } from '../kernel-model/symbols.ts';
import { type DumpTarget, writeDumpFile } from './dump-file.ts';
import { ImageMemory, type PfnRange, subtractPfns } from './image-memory.ts';

import {
  DISK_DUMP_HEADER,
  KDUMP_FLAGS,
  KDUMP_HEADER_VERSION,
  KDUMP_SIGNATURE,
  KDUMP_SUB_HEADER,
  PAGE_DESC,
} from './kdump-structs.ts';
import { parseNotes, symbolPaddr } from './notes.ts';

export interface KdumpWriteOptions {
  /** makedumpfile's -d: 1 zero pages, 2 cache, 4 cache with private data, 8 user data, 16 free. */
  level: number;
  /** Page frames the dump level leaves out (from the page filter), sorted and disjoint. */
  excluded?: readonly PfnRange[];
}

/** What the writer did, page by page, as makedumpfile's report counts it. */
export interface KdumpWritten {
  fileSize: number;
  /** Page frames written (set in the 2nd bitmap), the zero pages among them. */
  dumpable: number;
  zero: number;
}

const B = PAGE_SIZE;
const UTS = 65;
const divideUp = (a: number, b: number) => Math.ceil(a / b);
/** Descriptors and data are written in chunks of about this many bytes. */
const CHUNK = 8 * 2 ** 20;
/** Compressed pages kept by the buffer they came from. */
const PACKED_KEPT = 4096;
/** A zero page as `makedumpfile -c` stores it when it does not share one (zlib level 1). */
export const ZERO_PACKED = deflateSync(new Uint8Array(B), { level: 1 });

/** Writes the image to `target` as a kdump-compressed file; returns what it wrote. */
export async function writeKdump(
  target: DumpTarget,
  image: DumpImage,
  opts: KdumpWriteOptions,
): Promise<KdumpWritten> {
  const order = image.order;
  const le = order === 'le';
  const mem = new ImageMemory(image);
  const present = mem.pfnRanges();
  const maxMapnr = present.length ? present[present.length - 1]!.end : 0;
  const dumpable = subtractPfns(present, opts.excluded ?? []);
  const numDumpable = dumpable.reduce((s, r) => s + r.end - r.start, 0);

  const notes = parseNotes(image.notes, order, 0);
  const subHdrBlocks = divideUp(KDUMP_SUB_HEADER.size + image.notes.length, B);
  const bitmapBytes = divideUp(divideUp(maxMapnr, 8), B) * B;
  const bitmapBlocks = (2 * bitmapBytes) / B;
  const offBitmap1 = (1 + subHdrBlocks) * B;
  const offDesc = offBitmap1 + 2 * bitmapBytes;
  const offData = offDesc + PAGE_DESC.size * numDumpable;
  const offNote = B + KDUMP_SUB_HEADER.size;

  const info = notes.vmcoreinfo ?? {};
  const header = DISK_DUMP_HEADER.encode(
    {
      signature: KDUMP_SIGNATURE,
      header_version: KDUMP_HEADER_VERSION,
      ...utsname(mem, info),
      tv_sec: BigInt(/^\d+$/.test(info.CRASHTIME ?? '') ? info.CRASHTIME! : 0),
      tv_usec: 0n,
      status: KDUMP_FLAGS.CompressedZlib,
      block_size: B,
      sub_hdr_size: subHdrBlocks,
      bitmap_blocks: bitmapBlocks,
      max_mapnr: Math.min(maxMapnr, 0xffff_ffff),
      total_ram_blocks: 0,
      device_blocks: 0,
      written_blocks: 0,
      current_cpu: 0,
      nr_cpus: notes.notes.filter((n) => n.name === 'CORE' && n.type === NT_PRSTATUS).length,
    },
    order,
  );
  const sub = KDUMP_SUB_HEADER.encode(
    {
      phys_base: 0n,
      dump_level: opts.level,
      split: 0,
      start_pfn: 0n,
      end_pfn: 0n,
      offset_vmcoreinfo: BigInt(notes.vmcoreinfoAt ? offNote + notes.vmcoreinfoAt.offset : 0),
      size_vmcoreinfo: BigInt(notes.vmcoreinfoAt?.size ?? 0),
      offset_note: BigInt(image.notes.length ? offNote : 0),
      size_note: BigInt(image.notes.length),
      offset_eraseinfo: 0n,
      size_eraseinfo: 0n,
      start_pfn_64: 0n,
      end_pfn_64: 0n,
      max_mapnr_64: BigInt(maxMapnr),
    },
    order,
  );

  return writeDumpFile(target, (out) => {
    const write = (b: Uint8Array, at: number) => out.write([b], at);
    {
      write(header, 0);
      write(sub, B);
      write(image.notes, offNote);
      for (const [bitmap, ranges] of [
        [0, present],
        [1, dumpable],
      ] as const) {
        for (const { at, bytes } of bitmapChunks(ranges, bitmapBytes))
          write(bytes, offBitmap1 + bitmap * bitmapBytes + at);
      }

      // Descriptors and data, streamed: each buffer is flushed when full.
      const descs = new Uint8Array(Math.floor(CHUNK / PAGE_DESC.size) * PAGE_DESC.size);
      const descView = new DataView(descs.buffer);
      let descFill = 0;
      let descAt = offDesc;
      const data: Uint8Array[] = [];
      let dataFill = 0;
      let dataAt = offData;
      let dataEnd = offData;
      const flushData = () => {
        for (const d of data) {
          write(d, dataAt);
          dataAt += d.length;
        }
        data.length = 0;
        dataFill = 0;
      };
      const descriptor = (offset: number, size: number, flags: number) => {
        descView.setBigInt64(descFill, BigInt(offset), le);
        descView.setUint32(descFill + 8, size, le);
        descView.setUint32(descFill + 12, flags, le);
        descView.setBigUint64(descFill + 16, 0n, le);
        descFill += PAGE_DESC.size;
        if (descFill === descs.length) {
          write(descs.subarray(0, descFill), descAt);
          descAt += descFill;
          descFill = 0;
        }
      };
      const put = (bytes: Uint8Array) => {
        data.push(bytes);
        dataFill += bytes.length;
        dataEnd += bytes.length;
        if (dataFill >= CHUNK) flushData();
      };

      const zeroShared = (opts.level & 1) !== 0;
      const zeroAt = offData;
      if (zeroShared && numDumpable > 0) put(new Uint8Array(B));
      let zero = 0;
      const packedOf = new Map<Uint8Array, Uint8Array>();
      for (const r of dumpable) {
        for (let pfn = r.start; pfn < r.end; pfn++) {
          const page = mem.page(pfn);
          const zeroPage = page === undefined || isZeroBytes(page);
          if (zeroPage) {
            zero++;
            if (zeroShared) {
              descriptor(zeroAt, B, 0);
              continue;
            }
          }
          const bytes = page ?? new Uint8Array(B);
          // zlib is deterministic: every zero page compresses to the same bytes.
          let packed = zeroPage ? ZERO_PACKED : page && packedOf.get(page);
          if (!packed) {
            packed = deflateSync(bytes, { level: 1 });
            // Identical pages share a buffer in memory (struct pages, above all): the last
            // PACKED_KEPT buffers seen are compressed once.
            if (page) {
              packedOf.set(page, packed);
              if (packedOf.size > PACKED_KEPT) packedOf.delete(packedOf.keys().next().value!);
            }
          }
          if (packed.length < B) {
            descriptor(dataEnd, packed.length, KDUMP_FLAGS.CompressedZlib);
            put(packed);
          } else {
            descriptor(dataEnd, B, 0);
            put(bytes);
          }
        }
      }
      if (descFill) write(descs.subarray(0, descFill), descAt);
      flushData();
      // A dump with no page data still holds its descriptors area and bitmaps in full.
      out.truncate(Math.max(dataEnd, offData));
      return { fileSize: Math.max(dataEnd, offData), dumpable: numDumpable, zero };
    }
  });
}

/** The utsname fields of the header, read from init_uts_ns in the dumped memory (check_release()). */
function utsname(mem: ImageMemory, info: Record<string, string>) {
  const names = ['sysname', 'nodename', 'release', 'version', 'machine', 'domainname'] as const;
  const empty = new Uint8Array(UTS);
  const at = symbolPaddr(info, 'init_uts_ns');
  const bytes =
    at === undefined ? undefined : mem.read(at + Number(info['OFFSET(uts_namespace.name)'] ?? 0), 6 * UTS);
  return Object.fromEntries(
    names.map((n, i) => [n, bytes ? bytes.subarray(i * UTS, (i + 1) * UTS) : empty]),
  ) as Record<(typeof names)[number], Uint8Array>;
}

/** The bitmap of `ranges`, `size` bytes, as chunks holding set bits (the rest of the file stays a hole). */
function* bitmapChunks(
  ranges: readonly PfnRange[],
  size: number,
): Generator<{ at: number; bytes: Uint8Array }> {
  const chunk = Math.min(size, 1 << 20);
  for (let at = 0; at < size; at += chunk) {
    const first = at * 8;
    const last = (at + chunk) * 8;
    let bytes: Uint8Array | undefined;
    for (const r of ranges) {
      const s = Math.max(r.start, first);
      const e = Math.min(r.end, last);
      if (s >= e) continue;
      bytes ??= new Uint8Array(chunk);
      setBits(bytes, s - first, e - first);
    }
    if (bytes) yield { at, bytes };
  }
}

/** Sets bits [from, to) of `bytes`, LSB first. */
function setBits(bytes: Uint8Array, from: number, to: number): void {
  let i = from;
  while (i < to && i & 7) {
    bytes[i >> 3]! |= 1 << (i & 7);
    i++;
  }
  const full = (to - i) >> 3;
  bytes.fill(0xff, i >> 3, (i >> 3) + full);
  i += full * 8;
  for (; i < to; i++) bytes[i >> 3]! |= 1 << (i & 7);
}
