// The additional-parameters area (Linux 6.10+, arch/powerpc/kernel/fadump.c): a COMMAND_LINE_SIZE
// buffer the first kernel registers with firmware as a section preserved in place, filled through
// /sys/kernel/fadump/bootargs_append, and appended by the fadump kernel to its own command line
// (fadump_setup_param_area, bootargs_append_show/_store, fadump_append_bootargs).

import type { Fadump } from './fadump.ts';
import { Errno, KERN_ERR, KERN_INFO, KERN_WARNING } from './kernel-consts.ts';

const F = 'fadump';

/** COMMAND_LINE_SIZE on powerpc (arch/powerpc/include/uapi/asm/setup.h). */
export const COMMAND_LINE_SIZE = 2048;
/** The hash MMU's range for the area before 6.15: 672 MiB and 64 MiB on, which firmware leaves alone. */
const HASH_RANGE_START = 0x2a00_0000;
const HASH_RANGE_SIZE = 0x400_0000;
/** 768 MiB: the RMA a hash-MMU LPAR needs for the area (0x30000000, MIN_RMA from 6.15). */
export const MIN_RMA = 0x3000_0000;

/**
 * Whether the kernel runs with the radix MMU: the POWER9+ default, unless `disable_radix` (bare,
 * or a true kstrtobool value) asks for the hash MMU (arch/powerpc/mm/init_64.c parse_disable_radix).
 */
// ASSUMPTION: the MMU choice decides only fadump's MMU-dependent steps (the parameter area's place,
// the CMA pageblock); the memory map the dump tools read (vmemmap_list, mmu_vmemmap_psize, cpu_spec's
// MMU features) stays the hash MMU's either way.
export function radixEnabled(f: Fadump): boolean {
  const v = f.k.cmdlineParam('disable_radix');
  if (v === undefined) return true;
  return v === '' ? false : !/^(y|Y|1|on)/.test(v);
}

/**
 * fadump_setup_param_area: with the radix MMU anywhere in the upper half of memory; with the hash
 * MMU only when the RMA reaches 768 MiB, in the 64 MiB from 672 MiB that firmware and the
 * bootloader leave alone (from 6.15 between 768 MiB and the RMA's end or boot_mem_top).
 * memblock_phys_alloc_range, COMMAND_LINE_SIZE-aligned, then zeroed.
 */
export function setupParamArea(f: Fadump): void {
  if (!f.paramAreaSupported || f.dumpActive) return;
  const k = f.k;
  let start: number;
  let end: number;
  if (radixEnabled(f)) {
    end = k.memblock.endOfDram();
    start = Math.floor(end / 2);
  } else {
    // 0x30000000 before 6.15, MIN_RMA (now also 768 MiB) after: the same test.
    if (k.rmaSize() < MIN_RMA) return;
    if (k.behaviour.hashParamRange === 'below-min-rma') {
      start = HASH_RANGE_START;
      end = start + HASH_RANGE_SIZE;
    } else {
      start = MIN_RMA;
      // boot_mem_top is 0 when fadump is off; memblock then reads an end of 0 as "anywhere
      // accessible" (MEMBLOCK_ALLOC_ACCESSIBLE), which with the hash MMU is the RMA.
      end = Math.min(k.rmaSize(), f.bootMemTop || k.rmaSize());
    }
  }
  f.paramArea = end > start ? k.memblock.allocRange(COMMAND_LINE_SIZE, COMMAND_LINE_SIZE, start, end) : 0;
  if (!f.paramArea) {
    k.printk(KERN_WARNING, F, 'WARNING: Could not setup area to pass additional parameters!');
    return;
  }
  // Before 6.13 the sysfs file is created here, once the area is set up.
  if (f.k.behaviour.paramAreaSetup === 'setup_fadump') f.bootargsAppendFile = true;
  k.mem.write(f.paramArea, new Uint8Array(COMMAND_LINE_SIZE));
}

/** The area as a C string: its bytes up to the first NUL. */
export function readParamArea(f: Fadump): string {
  const bytes = f.k.mem.peek(f.paramArea, COMMAND_LINE_SIZE);
  const end = bytes.indexOf(0);
  return new TextDecoder('latin1').decode(bytes.subarray(0, end < 0 ? bytes.length : end));
}

/**
 * bootargs_append_store: -EPERM unless fadump is enabled and no dump is active; -EINVAL for
 * COMMAND_LINE_SIZE bytes or more; -ENOSPC (with an error) when the first kernel's command line
 * and the parameters would not fit one command line; else the bytes, NUL-padded, with one trailing
 * newline dropped.
 */
export function writeBootargsAppend(f: Fadump, value: string): number {
  const k = f.k;
  if (!f.enabled || f.dumpActive) return -Errno.EPERM;
  const bytes = new TextEncoder().encode(value);
  if (bytes.length >= COMMAND_LINE_SIZE) return -Errno.EINVAL;
  if (new TextEncoder().encode(k.cmdline).length + bytes.length >= COMMAND_LINE_SIZE) {
    k.printk(KERN_ERR, F, 'Appending parameters exceeds cmdline size!');
    return -Errno.ENOSPC;
  }
  const area = new Uint8Array(COMMAND_LINE_SIZE);
  area.set(bytes);
  if (bytes.length > 0 && area[bytes.length - 1] === 0x0a) area[bytes.length - 1] = 0;
  k.mem.write(f.paramArea, area);
  return 0;
}

/**
 * fadump_append_bootargs (fadump kernel, early boot): the parameters the crashed kernel kept in the
 * area go on the end of this kernel's command line, after a space, truncated to one command line.
 */
export function appendBootargs(f: Fadump): void {
  const k = f.k;
  if (!f.dumpActive || !f.paramAreaSupported || !f.paramArea) return;
  // Memory above boot_mem_top is kept for the dump anyway (fadump_reserve_crash_area); which side
  // of it the kernel reserves the area on changed in 6.13.
  const below = f.paramArea < f.bootMemTop;
  if (below === (k.behaviour.paramAreaReserve === 'below-boot-mem-top'))
    k.memblock.reserve(f.paramArea, COMMAND_LINE_SIZE);
  if (!k.mem.accessible(f.paramArea, COMMAND_LINE_SIZE)) return;
  const args = readParamArea(f);
  const utf8 = new TextEncoder();
  const len = utf8.encode(k.cmdline).length;
  if (len + utf8.encode(args).length >= COMMAND_LINE_SIZE - 1)
    k.printk(KERN_WARNING, F, 'WARNING: Appending parameters exceeds cmdline size. Truncating!');
  // snprintf(boot_command_line + len, COMMAND_LINE_SIZE - len, " %s", args).
  const appended = utf8.encode(` ${args}`).subarray(0, Math.max(0, COMMAND_LINE_SIZE - len - 1));
  k.cmdline += new TextDecoder('latin1').decode(appended);
  k.printk(KERN_INFO, F, `Updated cmdline: ${k.cmdline}`);
}
