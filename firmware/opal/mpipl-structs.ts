// skiboot's memory-preserving IPL (MPIPL) structures, all big-endian (include/opal-dump.h,
// hdata/spira.h; skiboot core/opal-dump.c and doc/mpipl.rst), and where skiboot keeps them once relocated.

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
  spec: 'skiboot include/opal-dump.h',
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
  spec: 'skiboot include/opal-dump.h (struct mdrt_table)',
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
  spec: 'skiboot core/opal-dump.c (struct mpipl_metadata, skiboot-internal)',
  fields: [
    { name: 'crashing_pir', type: 'u32', doc: 'PIR of the thread that triggered MPIPL' },
    { name: 'kernel_tag', type: 'u64', doc: 'value registered for tag KERNEL' },
    { name: 'boot_mem_size', type: 'u64', doc: 'value registered for tag BOOT_MEM' },
  ],
} as const);

/** Capacity of MDST/MDDT, derived from their size as skiboot does. */
export const MDST_CAPACITY = MDST_BYTES / MDST_ENTRY.size;
export const MDDT_CAPACITY = MDDT_BYTES / MDST_ENTRY.size;

/** The processor dump area skiboot shares with SBE/hostboot (HDAT, 0x30 bytes used). */
export const PROC_DUMP_AREA = defineStruct({
  name: 'proc_dump_area',
  size: 0x30,
  order: 'be',
  spec: 'skiboot hdata/spira.h',
  fields: [
    { name: 'thread_size', type: 'u32', doc: 'bytes of one thread record' },
    { name: 'version', type: 'u8', doc: '1 = POWER9 format' },
    { name: 'reserved0', type: 'bytes', size: 11, doc: '', reserved: true },
    { name: 'alloc_addr', type: 'u64', doc: 'where the dump step may write thread records (HRMOR bit set)' },
    { name: 'reserved1', type: 'u32', doc: '', reserved: true },
    { name: 'alloc_size', type: 'u32', doc: 'bytes available there' },
    { name: 'dest_addr', type: 'u64', doc: 'where the records were written' },
    { name: 'reserved2', type: 'u32', doc: '', reserved: true },
    { name: 'act_size', type: 'u32', doc: 'bytes written' },
  ],
} as const);

/** HDAT architected register data: one header per thread, then its register entries. */
export const HDAT_THREAD_HEADER = defineStruct({
  name: 'hdat_fadump_thread_hdr',
  size: 24,
  order: 'be',
  spec: 'skiboot hdata/spira.h; Linux arch/powerpc/platforms/powernv/opal-fadump.h',
  fields: [
    { name: 'pir', type: 'u32', doc: 'processor identification register of the thread' },
    { name: 'core_state', type: 'u8', doc: '0x00–0x0F stop level; 0x0F = inactive core (Linux skips it)' },
    { name: 'reserved', type: 'bytes', size: 3, doc: '', reserved: true },
    { name: 'offset', type: 'u32', doc: 'entries start this far from this field (16 with this header)' },
    { name: 'ecnt', type: 'u32', doc: 'number of register entries' },
    { name: 'esize', type: 'u32', doc: 'allocated bytes per entry' },
    { name: 'eactsz', type: 'u32', doc: 'bytes used per entry' },
  ],
} as const);

export const HDAT_REG_ENTRY = defineStruct({
  name: 'hdat_fadump_reg_entry',
  size: 16,
  order: 'be',
  spec: 'skiboot hdata/spira.h; Linux arch/powerpc/platforms/powernv/opal-fadump.h (struct hdat_fadump_reg_entry)',
  fields: [
    { name: 'reg_type', type: 'u32', doc: '1 = GPR, 2 = SPR' },
    {
      name: 'reg_num',
      type: 'u32',
      doc: 'GPR number, architected SPR number, or 0x7D0 NIP / 0x7D1 MSR / 0x7D2 CR',
    },
    { name: 'reg_val', type: 'u64', doc: 'value' },
  ],
} as const);

/** OPAL's CPU and OPAL dump metadata (struct opal_mpipl_fadump), handed out by tags CPU and OPAL. */
export const OPAL_MPIPL_FADUMP = defineStruct({
  name: 'opal_mpipl_fadump',
  size: 24,
  order: 'be',
  spec: 'skiboot include/opal-api.h; Linux arch/powerpc/include/asm/opal-api.h',
  fields: [
    { name: 'version', type: 'u8', doc: 'MPIPL_FADUMP_VERSION (0x01)' },
    { name: 'reserved', type: 'bytes', size: 7, doc: '', reserved: true },
    { name: 'crashing_pir', type: 'u32', doc: 'PIR of the thread that triggered MPIPL' },
    { name: 'cpu_data_version', type: 'u32', doc: 'HDAT CPU data format (1)' },
    { name: 'cpu_data_size', type: 'u32', doc: 'bytes per thread record' },
    { name: 'region_cnt', type: 'u32', doc: 'regions that follow' },
  ],
} as const);

export const OPAL_MPIPL_REGION = defineStruct({
  name: 'opal_mpipl_region',
  size: 24,
  order: 'be',
  spec: 'skiboot include/opal-api.h; Linux arch/powerpc/include/asm/opal-api.h (struct opal_mpipl_region)',
  fields: [
    { name: 'src', type: 'u64', doc: 'original address' },
    { name: 'dest', type: 'u64', doc: 'where it was preserved' },
    { name: 'size', type: 'u64', doc: 'bytes' },
  ],
} as const);

export const HDAT_CORE_INACTIVE = 0x0f;
export const HDAT_REG = { Gpr: 1, Spr: 2 } as const;
/** Architected SPR numbers Linux reads, and HDAT's pseudo-registers. */
export const HDAT_SPR = {
  XER: 1,
  LR: 8,
  CTR: 9,
  DSISR: 18,
  DAR: 19,
  NIP: 0x7d0,
  MSR: 0x7d1,
  CR: 0x7d2,
} as const;
/** ASSUMPTION: where skiboot keeps its heap copies of the CPU and OPAL metadata blocks (16 MiB into its image). */
export const CPU_METADATA_ADDR = SKIBOOT_BASE + 0x0100_0000;
export const OPAL_METADATA_ADDR = SKIBOOT_BASE + 0x0100_1000;
