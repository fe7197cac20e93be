// The firmware-assisted dump structures RTAS reads and writes, all big-endian (PAPR appendix
// "Firmware Assisted Dump Data Format", LoPAR ibm,configure-kernel-dump; LoPAR ibm,configure-kernel-dump).

import { asciiU64, defineStruct } from '../../emulator/struct.ts';

/** Dump memory structure header, 40 bytes (PAPR table "Dump memory structure"). */
export const DUMP_HEADER = defineStruct({
  name: 'rtas_fadump_section_header',
  size: 40,
  order: 'be',
  spec: 'LoPAR ibm,configure-kernel-dump (dump memory structure header); Linux arch/powerpc/platforms/pseries/rtas-fadump.h',
  fields: [
    { name: 'dump_format_version', type: 'u32', doc: 'must be 0x00000001' },
    { name: 'dump_num_sections', type: 'u16', doc: 'number of kernel dump sections' },
    {
      name: 'dump_status_flag',
      type: 'u16',
      doc: '0x8000 performed, 0x4000 triggered by previous boot, 0x2000 error',
    },
    { name: 'offset_first_dump_section', type: 'u32', doc: 'offset of the first section (Linux: 0x28)' },
    { name: 'dd_block_size', type: 'u32', doc: 'dump-disk block size, 0 = no disk dump' },
    { name: 'dd_block_offset', type: 'u64', doc: 'starting block on the dump disk' },
    { name: 'dd_num_blocks', type: 'u64', doc: 'usable blocks on the dump disk' },
    { name: 'dd_offset_disk_path', type: 'u32', doc: 'offset of the dump-disk path string, 0 = none' },
    { name: 'max_time_auto', type: 'u32', doc: 'ms after an NMI before automatic dump-reboot, 0 = disabled' },
  ],
} as const);

/** One dump section, 40 bytes. */
export const DUMP_SECTION = defineStruct({
  name: 'rtas_fadump_section',
  size: 40,
  order: 'be',
  spec: 'LoPAR ibm,configure-kernel-dump (dump section); Linux arch/powerpc/platforms/pseries/rtas-fadump.h',
  fields: [
    { name: 'request_flag', type: 'u32', doc: '0x00000001 = firmware copies source to destination' },
    {
      name: 'source_data_type',
      type: 'u16',
      doc: '0x0001 CPU state, 0x0002 HPTE, 0x0011 real mode region, 0x0100 OS-defined',
    },
    {
      name: 'error_flags',
      type: 'u16',
      doc: 'set by firmware: 0x8000 type, 0x4000 source, 0x2000 length, 0x1000 destination, 0x0800 too small',
    },
    { name: 'source_address', type: 'u64', doc: 'logical address, or offset for platform data' },
    { name: 'source_len', type: 'u64', doc: 'bytes requested' },
    { name: 'bytes_dumped', type: 'u64', doc: 'bytes dumped, set by firmware' },
    { name: 'destination_address', type: 'u64', doc: 'logical destination address' },
  ],
} as const);

export const SECTION_TYPE = {
  CpuState: 0x0001,
  Hpte: 0x0002,
  RealModeRegion: 0x0011,
  OsIdentString: 0x0012,
  ParamArea: 0x0100,
} as const;

export const SECTION_ERROR = {
  InvalidType: 0x8000,
  InvalidSource: 0x4000,
  LengthExceedsSource: 0x2000,
  InvalidDestination: 0x1000,
  DestinationTooSmall: 0x0800,
} as const;

export const DUMP_STATUS = {
  Performed: 0x8000,
  TriggeredByPreviousBoot: 0x4000,
  Error: 0x2000,
} as const;

export const REQUEST_FLAG_COPY = 0x00000001;
export const DUMP_FORMAT_VERSION = 1;
/** PAPR: at most 10 sections; the whole version-1 structure fits in 512 bytes. */
export const MAX_SECTIONS = 10;
export const MAX_STRUCTURE_BYTES = 512;

/** Register save area header as PAPR lays it out: NumCpus at 0x1C after 12 bytes of padding. */
export const REGSAVE_HEADER_PAPR = defineStruct({
  name: 'regsave_header (PAPR)',
  size: 32,
  order: 'be',
  spec: 'LoPAR appendix Firmware Assisted Dump Data Format (register save area)',
  fields: [
    { name: 'magic', type: 'u64', doc: '"REGSAVE\\0"' },
    { name: 'version', type: 'u32', doc: '0' },
    { name: 'num_cpus_offset', type: 'u32', doc: 'offset of NumCpus (0x1C); readers must follow it' },
    { name: 'padding', type: 'bytes', size: 12, doc: 'must be 0', reserved: true },
    { name: 'num_cpus', type: 'u32', doc: 'number of CPUs saved' },
  ],
} as const);

/** Register save area header as QEMU 10.2 writes it: NumCpus at 0x10, entries from 0x14. */
export const REGSAVE_HEADER_QEMU = defineStruct({
  name: 'regsave_header (QEMU)',
  size: 20,
  order: 'be',
  spec: 'QEMU include/hw/ppc/spapr_fadump.h, hw/ppc/spapr_fadump.c (the register save area as QEMU 10.2 writes it)',
  fields: [
    { name: 'magic', type: 'u64', doc: '"REGSAVE\\0"' },
    { name: 'version', type: 'u32', doc: '0' },
    { name: 'num_cpus_offset', type: 'u32', doc: '0x10 (PAPR says 0x1C)' },
    { name: 'num_cpus', type: 'u32', doc: 'number of vCPUs' },
  ],
} as const);

export const REG_ENTRY = defineStruct({
  name: 'rtas_fadump_reg_entry',
  size: 16,
  order: 'be',
  spec: 'LoPAR appendix Firmware Assisted Dump Data Format (register save area)',
  fields: [
    { name: 'reg_id', type: 'u64', doc: 'ASCII identifier, MSB-first, NUL-padded' },
    { name: 'reg_value', type: 'u64', doc: 'value; CPUSTRT/CPUEND: logical CPU id in the low 32 bits' },
  ],
} as const);

export const REGSAVE_MAGIC = asciiU64('REGSAVE');
export const CPUSTRT = asciiU64('CPUSTRT');
export const CPUEND = asciiU64('CPUEND');

/** One section of a dump structure to register: what to copy, how much, and where to. */
export interface SectionRequest {
  type: number;
  source: bigint;
  length: bigint;
  destination: bigint;
}

/**
 * The bytes a kernel registers: the header (format version 1 unless given) and one requested-copy
 * section per entry, error flags and bytes dumped zero (struct rtas_fadump_mem_struct).
 */
export function encodeDumpStructure(
  sections: readonly SectionRequest[],
  version = DUMP_FORMAT_VERSION,
): Uint8Array {
  const out = new Uint8Array(DUMP_HEADER.size + sections.length * DUMP_SECTION.size);
  DUMP_HEADER.encodeInto(out, 0, {
    dump_format_version: version,
    dump_num_sections: sections.length,
    dump_status_flag: 0,
    offset_first_dump_section: DUMP_HEADER.size,
    dd_block_size: 0,
    dd_block_offset: 0n,
    dd_num_blocks: 0n,
    dd_offset_disk_path: 0,
    max_time_auto: 0,
  });
  sections.forEach((s, i) =>
    DUMP_SECTION.encodeInto(out, DUMP_HEADER.size + i * DUMP_SECTION.size, {
      request_flag: REQUEST_FLAG_COPY,
      source_data_type: s.type,
      error_flags: 0,
      source_address: s.source,
      source_len: s.length,
      bytes_dumped: 0n,
      destination_address: s.destination,
    }),
  );
  return out;
}
