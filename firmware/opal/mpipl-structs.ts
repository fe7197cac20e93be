// skiboot's memory-preserving IPL (MPIPL) structures, all big-endian (include/opal-dump.h,
// hdata/spira.h; spec/firmware.md §5.4–5.5), and where skiboot keeps them once relocated.

import { defineStruct } from '../../emulator/struct.ts';

/** skiboot relocates itself here (include/mem-map.h SKIBOOT_BASE). */
export const SKIBOOT_BASE = 0x3000_0000;
/** SKIBOOT_SIZE: the end of skiboot's image area, from SKIBOOT_BASE. */
export const SKIBOOT_SIZE = 0x01c1_0000;
export const PROC_DUMP_AREA_ADDR = SKIBOOT_BASE + 0x10300;
export const MDST_ADDR = SKIBOOT_BASE + 0x10c00;
export const MDST_BYTES = 0x400;
export const MDDT_ADDR = SKIBOOT_BASE + 0x11000;
export const MDDT_BYTES = 0x400;
export const MDRT_ADDR = SKIBOOT_BASE + 0x01c0_0000;
export const MDRT_BYTES = 0x8000;
export const METADATA_ADDR = SKIBOOT_BASE + 0x01c0_8000;
export const METADATA_BYTES = 0x8000;
/** Firmware addresses in these tables carry the HRMOR bit (bit 63). */
export const HRMOR_BIT = 1n << 63n;

export const DUMP_REGION = { Console: 0x01, HbrtLog: 0x02, OpalMemory: 0x03, Kernel: 0x80 } as const;
export const DUMP_TYPE_PRESERVE = 0x00;

/** MDST and MDDT entry: one range to preserve (source) or where to put it (destination). */
export const MDST_ENTRY = defineStruct({
  name: 'mdst_table',
  size: 16,
  order: 'be',
  spec: 'spec/firmware.md §5.5; skiboot include/opal-dump.h',
  fields: [
    { name: 'addr', type: 'u64', doc: 'address with the HRMOR bit (bit 63) set' },
    { name: 'data_region', type: 'u8', doc: '0x01–0x3F OPAL, 0x80–0xFF kernel' },
    { name: 'dump_type', type: 'u8', doc: '0x00 preserve during IPL, 0xF5 FSP system dump' },
    { name: 'reserved', type: 'u16', doc: '', reserved: true },
    { name: 'size', type: 'u32', doc: 'bytes (32 bits: larger ranges are truncated)' },
  ],
} as const);

/** MDRT entry, skiboot's layout (differs from HDAT): one range the dump step preserved. */
export const MDRT_ENTRY = defineStruct({
  name: 'mdrt_table',
  size: 32,
  order: 'be',
  spec: 'spec/firmware.md §5.5',
  fields: [
    { name: 'src_addr', type: 'u64', doc: 'original address (HRMOR bit set)' },
    { name: 'dest_addr', type: 'u64', doc: 'where it was copied (HRMOR bit set)' },
    { name: 'data_region', type: 'u8', doc: 'region id of the MDST entry' },
    { name: 'dump_type', type: 'u8', doc: 'dump type of the MDST entry' },
    { name: 'reserved', type: 'u16', doc: '', reserved: true },
    { name: 'size', type: 'u32', doc: 'bytes preserved' },
    { name: 'padding', type: 'u64', doc: '', reserved: true },
  ],
} as const);

/** skiboot's own record of what to hand over after the dump boot (packed, 20 bytes). */
export const PRESERVED_METADATA = defineStruct({
  name: 'mpipl_metadata',
  size: 20,
  order: 'be',
  spec: 'spec/firmware.md §5.5 (skiboot-internal)',
  fields: [
    { name: 'crashing_pir', type: 'u32', doc: 'PIR of the thread that triggered MPIPL' },
    { name: 'kernel_tag', type: 'u64', doc: 'value registered for tag KERNEL' },
    { name: 'boot_mem_size', type: 'u64', doc: 'value registered for tag BOOT_MEM' },
  ],
} as const);

/** Capacity of MDST/MDDT, derived from their size as skiboot does. */
export const MDST_CAPACITY = MDST_BYTES / MDST_ENTRY.size;
export const MDDT_CAPACITY = MDDT_BYTES / MDST_ENTRY.size;
