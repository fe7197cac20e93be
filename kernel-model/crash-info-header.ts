// struct fadump_crash_info_header, the "fadump header" the first kernel keeps in the reserved area
// right after the boot-memory copy, in the kernel's own byte order. Two layouts: before Linux 6.10
// ("FADMPINF", with the elfcorehdr address) and from 6.10 ("FADMPSIG", version 1, vmcoreinfo
// address and the pt_regs/cpumask sizes). Linux fadump-internal.h

import { asciiU64, defineStruct } from '../emulator/struct.ts';

/** NR_CPUS of a typical distribution ppc64le kernel; sizeof(struct cpumask) = NR_CPUS / 8. */
export const NR_CPUS = 2048;
export const CPUMASK_BYTES = NR_CPUS / 8;
export const PT_REGS_BYTES = 384;

export const FADUMP_CRASH_INFO_MAGIC = asciiU64('FADMPSIG');
export const FADUMP_CRASH_INFO_MAGIC_OLD = asciiU64('FADMPINF');
export const FADUMP_HEADER_VERSION = 1;
export const FADUMP_CPU_UNKNOWN = 0xffffffff;

/** Linux 6.10 and later: 680 bytes with NR_CPUS=2048. */
export const CRASH_INFO_HEADER = defineStruct({
  name: 'fadump_crash_info_header',
  size: 0x1a8 + CPUMASK_BYTES,
  order: 'native',
  spec: 'Linux arch/powerpc/include/asm/fadump-internal.h (v6.10 and later)',
  fields: [
    { name: 'magic_number', type: 'u64', doc: '"FADMPSIG" packed MSB-first, stored in kernel byte order' },
    { name: 'version', type: 'u32', doc: 'FADUMP_HEADER_VERSION (1)' },
    { name: 'crashing_cpu', type: 'u32', doc: 'logical CPU that crashed; 0xFFFFFFFF until a crash' },
    { name: 'vmcoreinfo_raddr', type: 'u64', doc: 'relocated physical address of the vmcoreinfo note' },
    { name: 'vmcoreinfo_size', type: 'u64', doc: 'VMCOREINFO_NOTE_SIZE' },
    { name: 'pt_regs_sz', type: 'u32', doc: 'sizeof(struct pt_regs) of the first kernel (384)' },
    { name: 'cpu_mask_sz', type: 'u32', doc: 'sizeof(struct cpumask) of the first kernel' },
    { name: 'regs', type: 'bytes', size: PT_REGS_BYTES, doc: 'crashing CPU registers (struct pt_regs)' },
    {
      name: 'cpu_mask',
      type: 'bytes',
      size: CPUMASK_BYTES,
      doc: 'possible CPUs at registration, online CPUs at crash',
    },
  ],
} as const);

/** Before Linux 6.10: 664 bytes with NR_CPUS=2048. */
export const CRASH_INFO_HEADER_OLD = defineStruct({
  name: 'fadump_crash_info_header (old)',
  size: 0x198 + CPUMASK_BYTES,
  order: 'native',
  spec: 'Linux arch/powerpc/include/asm/fadump-internal.h (v6.9 and earlier)',
  fields: [
    { name: 'magic_number', type: 'u64', doc: '"FADMPINF"' },
    {
      name: 'elfcorehdr_addr',
      type: 'u64',
      doc: 'physical address of the ELF core header the first kernel built',
    },
    { name: 'crashing_cpu', type: 'u32', doc: 'logical CPU that crashed; 0xFFFFFFFF until a crash' },
    { name: 'pad', type: 'u32', doc: 'padding', reserved: true },
    { name: 'regs', type: 'bytes', size: PT_REGS_BYTES, doc: 'crashing CPU registers (struct pt_regs)' },
    { name: 'cpu_mask', type: 'bytes', size: CPUMASK_BYTES, doc: 'online CPUs at crash' },
  ],
} as const);

/** Byte index and bit of `cpu` in a cpumask: an array of unsigned longs in kernel byte order. */
function cpumaskBit(cpu: number, le: boolean): [number, number] {
  const bit = cpu % 64;
  const byteInWord = le ? Math.floor(bit / 8) : 7 - Math.floor(bit / 8);
  return [Math.floor(cpu / 64) * 8 + byteInWord, 1 << (bit % 8)];
}

export function cpumaskHas(mask: Uint8Array, cpu: number, le: boolean): boolean {
  const [i, b] = cpumaskBit(cpu, le);
  return ((mask[i] ?? 0) & b) !== 0;
}

export function cpumaskOf(cpus: Iterable<number>, le: boolean): Uint8Array {
  const mask = new Uint8Array(CPUMASK_BYTES);
  for (const cpu of cpus) {
    const [i, b] = cpumaskBit(cpu, le);
    mask[i]! |= b;
  }
  return mask;
}
