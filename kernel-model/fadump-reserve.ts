// fadump's reservation (Linux arch/powerpc/kernel/fadump.c): how much boot memory to preserve
// (fadump_calculate_reserve_size), which regions hold it (fadump_get_boot_mem_regions), how large
// the reserved area is (get_fadump_area_size) and where it goes (fadump_locate_reserve_mem), the CMA
// loan of its boot-memory part (fadump_cma_init), and in the fadump kernel the memory above boot
// memory kept for the dump (fadump_reserve_crash_area).

import { u64FromCells } from '../emulator/device-tree.ts';
import type { Range } from '../emulator/memory-blocks.ts';
import { parseCrashkernel } from './crashkernel.ts';
import { ELF64_EHDR, ELF64_PHDR } from './elf.ts';
import type { Fadump } from './fadump.ts';
import { radixEnabled } from './fadump-param.ts';
import { hash016, hashx, MiB, memparse, pageAlign } from './format.ts';
import { KERN_ERR, KERN_INFO, KERN_WARNING } from './kernel-consts.ts';
import { PAGE_SIZE } from './vmlinux.ts';

const F = 'fadump';
/** MAX_BOOT_MEM_RATIO: crashkernel= is capped at a quarter of RAM. */
const MAX_BOOT_MEM_RATIO = 4;

/** fadump_calculate_reserve_size. */
function calculateReserveSize(f: Fadump): number {
  const phys = f.k.memblock.physMemSize();
  const old = f.k.cmdlineParam('fadump_reserve_mem');
  const oldSize = old !== undefined ? memparse(old).value : undefined;
  if (old !== undefined) {
    f.k.printk(
      KERN_WARNING,
      F,
      "'fadump_reserve_mem=' parameter is deprecated in favor of 'crashkernel=' parameter.",
    );
  }
  // parse_crashkernel: the base is ignored (fadump reserves at its own place), as are ,high and ,low.
  const ck = parseCrashkernel(f.k, phys);
  let size = ck.rc === 0 ? ck.size : 0;
  if (size > 0) {
    if (old !== undefined) f.k.printk(KERN_INFO, F, "Using 'crashkernel=' parameter for memory reservation.");
    const max = Math.floor(phys / MAX_BOOT_MEM_RATIO);
    if (size > max) {
      size = max;
      f.k.printk(KERN_INFO, F, `Adjusted boot memory size to ${Math.floor(size / MiB)}MB`);
    }
    return size;
  }
  if (oldSize) return oldSize;
  size = Math.floor(phys / 20);
  size -= size % 0x1000_0000;
  // Truncated to memory_limit, "We don't want to over reserve the memory".
  if (f.k.memoryLimit && size > f.k.memoryLimit) size = f.k.memoryLimit;
  return Math.max(size, f.bootMemMin);
}

/** fadump_get_boot_mem_regions: boot memory from address 0 over real RAM, skipping holes. */
function bootMemoryRegions(f: Fadump): boolean {
  f.bootMemRegions = [];
  let remaining = f.bootMemSize;
  let holes = 0;
  let lastEnd = 0;
  for (const r of f.k.memblock.memory) {
    holes += r.base - lastEnd;
    const take = Math.min(r.size, remaining);
    // Each range is split into pieces firmware can copy in one entry.
    for (let off = 0; off < take; off += f.maxCopySize) {
      if (f.bootMemRegions.length >= f.maxBootMemRegions) return false;
      f.bootMemRegions.push({ base: r.base + off, size: Math.min(f.maxCopySize, take - off) });
    }
    remaining -= take;
    lastEnd = r.base + r.size;
    if (remaining === 0) break;
  }
  f.bootMemTop = pageAlign(f.bootMemSize + holes, PAGE_SIZE);
  return remaining === 0;
}

/**
 * get_fadump_area_size: CPU + HPTE page-aligned, the boot memory copy, the crash info header.
 * Before 6.10 also room for the elfcorehdr, sized from the memblock count at early boot (one
 * placeholder note, the vmcoreinfo note, one load per range and one spare), page-aligned.
 */
export function areaSize(f: Fadump): number {
  const base =
    pageAlign(f.cpuStateSize + f.hpteSize, PAGE_SIZE) +
    f.bootMemSize +
    f.headerSize +
    (f.backend?.metadataSize() ?? 0);
  if (!f.legacy) return base;
  return pageAlign(base + f.elfcorehdrBudget(), PAGE_SIZE);
}

/** Bytes the legacy first kernel set aside for its elfcorehdr. */
export function elfcorehdrBudget(f: Fadump): number {
  return ELF64_EHDR.size + ELF64_PHDR.size + ELF64_PHDR.size * (f.earlyMemblockCount + 2);
}

/** fadump_reserve_mem (first kernel). */
export function reserveMem(f: Fadump): void {
  const k = f.k;
  f.bootMemSize = pageAlign(calculateReserveSize(f), PAGE_SIZE);
  if (f.bootMemSize < f.bootMemMin) {
    k.printk(
      KERN_ERR,
      F,
      `Can't enable fadump with boot memory size (${hashx(f.bootMemSize)}) less than ${hashx(f.bootMemMin)}`,
    );
    disable(f);
    return;
  }
  if (!bootMemoryRegions(f)) {
    k.printk(KERN_ERR, F, 'Too many holes in boot memory area to enable fadump');
    disable(f);
    return;
  }
  const boundary = memBoundary(f);
  const size = f.areaSize();
  const base = locate(f, f.bootMemTop, size);
  if (base === undefined || base + size > boundary) {
    k.printk(KERN_ERR, F, 'Failed to find memory chunk for reservation!');
    disable(f);
    return;
  }
  f.reserveStart = base;
  f.reserveSize = size;
  // OPAL's kernel metadata and tags, before anything is reserved: a failure reserves nothing.
  if (f.backend?.setupMetadata && f.backend.setupMetadata() < 0) {
    disable(f);
    return;
  }
  k.memblock.reserve(base, size);
  k.printk(
    KERN_INFO,
    F,
    `Reserved ${Math.floor(size / MiB)}MB of memory at ${hash016(base)} (System RAM: ${Math.floor(k.memblock.physMemSize() / MiB)}MB)`,
  );
  if (!f.nocma) cmaInit(f);
}

/**
 * fadump_reserve_mem's memory boundary: memory_limit, or the end of memory. Before 6.10 a limit
 * below the end of memory is first raised by the area's size (at most to the end of memory), in the
 * fadump kernel as well, so that the running kernel keeps the memory it was given.
 */
export function memBoundary(f: Fadump): number {
  const k = f.k;
  const end = k.memblock.endOfDram();
  if (k.behaviour.memoryLimitForFadump === 'raised' && k.memoryLimit && k.memoryLimit < end) {
    const size = f.areaSize();
    k.memoryLimit = Math.min(k.memoryLimit + size, end);
    k.printk(
      KERN_INFO,
      '',
      `Adjusted memory_limit for firmware-assisted dump, now ${hash016(k.memoryLimit)}`,
    );
  }
  return k.memoryLimit || end;
}

function disable(f: Fadump): void {
  f.enabled = false;
  f.reserveSize = 0;
}

/** fadump_locate_reserve_mem: first fit in free memory at or above `from`, page-aligned. */
function locate(f: Fadump, from: number, size: number): number | undefined {
  // Firmware's reserved-ranges are skipped too.
  const firmware = firmwareReserved(f);
  for (const r of f.k.memblock.freeRanges()) {
    let start = pageAlign(Math.max(r.base, from), PAGE_SIZE);
    for (;;) {
      const clash = firmware.find((fr) => start < fr.base + fr.size && fr.base < start + size);
      if (!clash) break;
      start = pageAlign(clash.base + clash.size, PAGE_SIZE);
    }
    if (start + size <= r.base + r.size) return start;
  }
  return undefined;
}

/** The DT root reserved-ranges: pairs of 2-cell address and 2-cell size (skiboot's own memory). */
export function firmwareReserved(f: Fadump): Range[] {
  const cells = f.k.dt.getCells('reserved-ranges') ?? [];
  const out: Range[] = [];
  for (let i = 0; i + 3 < cells.length; i += 4) {
    out.push({ base: u64FromCells(cells, i), size: u64FromCells(cells, i + 2) });
  }
  return out;
}

/**
 * fadump_cma_init: the boot-memory-sized part of the reservation is lent to CMA until a crash.
 * Before 6.13 it runs at the end of fadump_reserve_mem, where CMA_MIN_ALIGNMENT_BYTES is still a
 * page (pageblock_order is 0), and lends the whole of it; from 6.13 it runs in setup_arch after
 * initmem_init and aligns the area inward to the pageblock.
 */
function cmaInit(f: Fadump): void {
  if (f.k.behaviour.cma === 'whole') {
    f.k.printk(
      KERN_INFO,
      F,
      `Initialized ${hashx(f.bootMemSize)} bytes cma area at ${Math.floor(f.reserveStart / MiB)}MB from ${hashx(f.reserveSize)} bytes of memory reserved for firmware-assisted dump`,
    );
    return;
  }
  // ASSUMPTION: the pageblock with 64K pages is 16 MiB with the hash MMU (16M huge pages) and
  // 2 MiB with radix (its PMD size).
  const align = radixEnabled(f) ? 2 * MiB : 16 * MiB;
  const start = pageAlign(f.reserveStart, align);
  const end = Math.floor((f.reserveStart + f.bootMemSize) / align) * align;
  if (end <= start) {
    f.k.printk(KERN_WARNING, F, 'fadump_cma_init: Too less memory to give to CMA');
    return;
  }
  f.k.printk(
    KERN_INFO,
    F,
    `Initialized [${hashx(start)}, ${Math.floor((end - start) / MiB)}MB] cma area from [${hashx(f.reserveStart)}, ${Math.floor(f.bootMemSize / MiB)}MB] bytes of memory reserved for firmware-assisted dump`,
  );
}

/** fadump_reserve_crash_area (capture kernel): keep everything above boot memory untouched. */
export function reserveCrashArea(f: Fadump): void {
  for (const r of f.k.memblock.memory) {
    const start = Math.max(r.base, f.bootMemTop);
    const end = r.base + r.size;
    // Only a range ending below boot_mem_top is skipped: one ending at it reserves 0 MB there.
    if (end < f.bootMemTop) continue;
    f.k.memblock.reserve(start, end - start);
    f.k.printk(
      KERN_INFO,
      F,
      `Reserving ${Math.floor((end - start) / MiB)}MB of memory at ${hash016(start)} for preserving crash data`,
    );
  }
}
