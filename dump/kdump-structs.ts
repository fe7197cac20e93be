// The kdump-compressed ("diskdump") dump format as makedumpfile writes it, header version 6: the
// disk dump header in block 0, the kdump sub header in block 1 followed by the ELF notes copied raw,
// two bitmaps, packed page descriptors, then packed page data (makedumpfile diskdump_mod.h and
// write_kdump_header()). All fields are in the byte order of the machine that wrote the file, which
// for a dump of a ppc64 kernel is the kernel's: makedumpfile never swaps.

import { defineStruct } from '../emulator/struct.ts';

/** "KDUMP   ": eight bytes, no NUL (makedumpfile diskdump_mod.h KDUMP_SIGNATURE). */
export const KDUMP_SIGNATURE = new TextEncoder().encode('KDUMP   ');
/** The header version makedumpfile 1.7 writes. */
export const KDUMP_HEADER_VERSION = 6;

/** disk_dump_header.status and page_desc.flags bits (makedumpfile diskdump_mod.h). */
export const KDUMP_FLAGS = {
  CompressedZlib: 0x1,
  CompressedLzo: 0x2,
  CompressedSnappy: 0x4,
  /** Header status only: the dump was cut short (ENOSPC). */
  Incomplete: 0x8,
  /** Header status only: unused vmemmap pages were left out (-e). */
  ExcludedVmemmap: 0x10,
  CompressedZstd: 0x20,
} as const;

const UTS_FIELD = 65; // __NEW_UTS_LEN + 1

/** struct disk_dump_header, 464 bytes at file offset 0; the rest of block 0 is a hole. */
export const DISK_DUMP_HEADER = defineStruct({
  name: 'disk_dump_header',
  size: 464,
  order: 'native',
  spec: 'makedumpfile diskdump_mod.h (struct disk_dump_header), makedumpfile.c write_kdump_header()',
  fields: [
    { name: 'signature', type: 'bytes', size: 8, doc: '"KDUMP   "' },
    { name: 'header_version', type: 'i32', doc: '6' },
    { name: 'sysname', type: 'bytes', size: UTS_FIELD, doc: 'utsname of the dumped kernel (init_uts_ns)' },
    { name: 'nodename', type: 'bytes', size: UTS_FIELD, doc: 'utsname' },
    { name: 'release', type: 'bytes', size: UTS_FIELD, doc: 'utsname: the kernel release' },
    { name: 'version', type: 'bytes', size: UTS_FIELD, doc: 'utsname' },
    { name: 'machine', type: 'bytes', size: UTS_FIELD, doc: 'utsname: ppc64le or ppc64' },
    { name: 'domainname', type: 'bytes', size: UTS_FIELD, doc: 'utsname' },
    { name: 'pad', type: 'bytes', size: 6, doc: 'aligns the timestamp to 8 bytes', reserved: true },
    { name: 'tv_sec', type: 'i64', doc: 'timestamp: CRASHTIME from VMCOREINFO' },
    { name: 'tv_usec', type: 'i64', doc: 'timestamp: 0' },
    { name: 'status', type: 'u32', doc: 'the compression flag used, EXCLUDED_VMEMMAP, INCOMPLETE' },
    { name: 'block_size', type: 'i32', doc: 'the page size (65536 with 64 KiB pages)' },
    { name: 'sub_hdr_size', type: 'i32', doc: 'blocks of the sub header and the notes after it' },
    { name: 'bitmap_blocks', type: 'u32', doc: 'blocks of both bitmaps (even: two equal halves)' },
    { name: 'max_mapnr', type: 'u32', doc: 'page frames, capped at 2^32-1 (the full count is max_mapnr_64)' },
    { name: 'total_ram_blocks', type: 'u32', doc: '0' },
    { name: 'device_blocks', type: 'u32', doc: '0' },
    { name: 'written_blocks', type: 'u32', doc: '0' },
    { name: 'current_cpu', type: 'u32', doc: '0' },
    { name: 'nr_cpus', type: 'i32', doc: 'the NT_PRSTATUS notes in the notes copied' },
  ],
} as const);

/** struct kdump_sub_header, 104 bytes at file offset block_size, the ELF notes right after it. */
export const KDUMP_SUB_HEADER = defineStruct({
  name: 'kdump_sub_header',
  size: 104,
  order: 'native',
  spec: 'makedumpfile diskdump_mod.h (struct kdump_sub_header), makedumpfile.c write_kdump_header()',
  fields: [
    { name: 'phys_base', type: 'u64', doc: '0 on ppc64' },
    {
      name: 'dump_level',
      type: 'i32',
      doc: 'the -d value: 1 zero, 2 cache, 4 cache private, 8 user, 16 free',
    },
    { name: 'split', type: 'i32', doc: '1 only with --split' },
    { name: 'start_pfn', type: 'u64', doc: 'split start, else 0' },
    { name: 'end_pfn', type: 'u64', doc: 'split end, else 0' },
    { name: 'offset_vmcoreinfo', type: 'u64', doc: 'file offset of the VMCOREINFO note text' },
    { name: 'size_vmcoreinfo', type: 'u64', doc: 'its n_descsz' },
    { name: 'offset_note', type: 'u64', doc: 'file offset of the notes: block_size + 104' },
    { name: 'size_note', type: 'u64', doc: 'p_filesz of the PT_NOTE copied' },
    { name: 'offset_eraseinfo', type: 'u64', doc: '0 unless something was erased' },
    { name: 'size_eraseinfo', type: 'u64', doc: '0' },
    { name: 'start_pfn_64', type: 'u64', doc: 'split start, else 0' },
    { name: 'end_pfn_64', type: 'u64', doc: 'split end, else 0' },
    { name: 'max_mapnr_64', type: 'u64', doc: 'page frames: the highest PT_LOAD end, in pages' },
  ],
} as const);

/** struct page_desc, 24 bytes: one per page set in the second bitmap, in page-frame order. */
export const PAGE_DESC = defineStruct({
  name: 'page_desc',
  size: 24,
  order: 'native',
  spec: 'makedumpfile diskdump_mod.h (struct page_desc), makedumpfile.c write_kdump_pages_cyclic()',
  fields: [
    { name: 'offset', type: 'i64', doc: "file offset of the page's data (all zero pages share one)" },
    { name: 'size', type: 'u32', doc: 'bytes stored: block_size when not compressed' },
    { name: 'flags', type: 'u32', doc: '0, or the one compression flag used' },
    { name: 'page_flags', type: 'u64', doc: '0' },
  ],
} as const);
