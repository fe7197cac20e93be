// Physical addresses of the kernel image's symbols: one table for the loader, the printk ring, the
// vmcoreinfo note and the dump tools' SYMBOL() keys. Kernel virtual = KERNEL_VBASE + physical.

import { GENERATIONS } from './generations.ts';

export const PAGE_SIZE = 0x10000;
export const KERNEL_VBASE = 0xc000000000000000n;
/** The release the default (newest) generation reports. */
export const OSRELEASE = GENERATIONS.resilient.release;

/** ASSUMPTION: the layout of our vmlinux (any layout below 128 MiB serves). */
export const SYMBOLS = {
  _stext: 0x0000_0000,
  init_uts_ns: 0x0190_0000,
  prb: 0x0190_1000,
  printk_rb_static: 0x0190_1100,
  clear_seq: 0x0190_1200,
  mem_map: 0x0190_1300,
  vmcoreinfo_note: 0x0191_0000,
  printk_descs: 0x01a0_0000,
  printk_infos: 0x01a4_0000,
  printk_data: 0x01b0_0000,
  /** The FLATMEM struct page array (never written: every page reads as a plain, unused page). */
  mem_map_array: 0x0400_0000,
} as const;

/** Every byte of the image lies below this. */
export const KERNEL_IMAGE_END = 0x0800_0000;

export function va(phys: number): bigint {
  // u64 arithmetic, as in C: a damaged address wraps rather than overflowing.
  return BigInt.asUintN(64, KERNEL_VBASE + BigInt(phys));
}
