// Releasing a dump and /sys/kernel/fadump (Linux arch/powerpc/kernel/fadump.c):
// fadump_invalidate_release_mem, and the sysfs files enabled, registered, mem_reserved,
// hotplug_ready and release_mem.

import type { Range } from '../emulator/memory-blocks.ts';
import type { Fadump } from './fadump.ts';
import { readParamArea, writeBootargsAppend } from './fadump-param.ts';
import { firmwareReserved } from './fadump-reserve.ts';
import { hashx, kstrtoint } from './format.ts';
import { Errno, KERN_INFO, KERN_WARNING } from './kernel-consts.ts';
import { PAGE_SIZE } from './symbols.ts';

const F = 'fadump';

/** fadump_invalidate_release_mem: invalidate the dump, release the memory, allow re-registration. */
export function invalidateReleaseMem(f: Fadump): void {
  const k = f.k;
  if (!f.dumpActive) return;
  // fadump_cleanup: the invalidation's status is not looked at; the memory is released either way,
  // and only a successful invalidation ends the active dump (rtas_fadump_invalidate).
  f.elfcorehdrAddr = undefined;
  if (f.backend!.invalidate()) {
    f.dumpActive = false;
    f.activeSections = [];
  }
  const raStart = f.reserveStart;
  const raEnd = raStart + f.reserveSize;
  const firmware = firmwareReserved(f);
  const release = (from: number, to: number) => {
    // Firmware's reserved-ranges stay reserved.
    let pieces: Range[] = [{ base: from, size: to - from }];
    for (const fr of firmware) {
      pieces = pieces.flatMap((p) => {
        const end = p.base + p.size;
        const fEnd = fr.base + fr.size;
        if (fEnd <= p.base || fr.base >= end) return [p];
        return [
          { base: p.base, size: Math.max(0, fr.base - p.base) },
          { base: fEnd, size: Math.max(0, end - fEnd) },
        ];
      });
    }
    for (const p of pieces) {
      // fadump_release_reserved_area works in page frames: PHYS_PFN rounds both ends down.
      const from = Math.floor(p.base / PAGE_SIZE) * PAGE_SIZE;
      const to = Math.floor((p.base + p.size) / PAGE_SIZE) * PAGE_SIZE;
      if (to <= from) continue;
      k.printk(KERN_INFO, F, `freeing reserved memory (${hashx(from)} - ${hashx(to)})`);
      k.memmap.release(from, to - from);
    }
  };
  for (const m of k.memblock.memory) {
    const start = Math.max(m.base, f.bootMemTop);
    const end = m.base + m.size;
    if (start >= end) continue;
    if (raStart < end && raEnd > start) {
      release(start, Math.max(start, raStart));
      release(Math.min(end, raEnd), end);
    } else release(start, end);
  }
  k.memblock.reserved.splice(0, k.memblock.reserved.length);
  k.memblock.reserve(raStart, f.reserveSize);
  // Metadata for the next registration (OPAL).
  if (f.backend!.setupMetadata && f.backend!.setupMetadata() < 0)
    k.printk(KERN_WARNING, F, 'Failed to setup kernel metadata!');
  f.enabled = k.cmdlineParam('fadump') === 'on' || k.cmdlineParam('fadump') === 'nocma';
}

/**
 * The files of /sys/kernel/fadump (fadump_init_files, from setup_fadump): none when fadump is not
 * supported; release_mem only when a dump was active at boot; hotplug_ready from 6.10;
 * bootargs_append only with a parameter area.
 */
export function sysfsFiles(f: Fadump): string[] {
  if (!f.sysfsDir) return [];
  const files = ['enabled', 'registered', 'mem_reserved'];
  if (f.k.behaviour.hotplugReady) files.push('hotplug_ready');
  if (f.releaseMemFile) files.push('release_mem');
  if (f.bootargsAppendFile) files.push('bootargs_append');
  return files;
}

/**
 * The links kept for old tools (compat_only_sysfs_link_entry_to_kobj): /sys/kernel/fadump_enabled,
 * fadump_registered and, with release_mem, fadump_release_mem.
 */
export const LEGACY_LINKS: Readonly<Record<string, string>> = {
  fadump_enabled: 'enabled',
  fadump_registered: 'registered',
  fadump_release_mem: 'release_mem',
};

export function sysfsRead(f: Fadump, name: string): string | undefined {
  if (!sysfsFiles(f).includes(name)) return undefined;
  switch (name) {
    case 'enabled':
      return `${f.enabled ? 1 : 0}\n`;
    case 'registered':
      return `${f.registered ? 1 : 0}\n`;
    case 'mem_reserved':
      return `${f.reserveSize}\n`;
    case 'hotplug_ready':
      return '1\n';
    case 'bootargs_append':
      return `${readParamArea(f)}\n`;
    default:
      // release_mem is write-only (0200).
      return undefined;
  }
}

/** Writes a /sys/kernel/fadump file; returns 0 or a negative errno. */
export function sysfsWrite(f: Fadump, name: string, value: string): number {
  if (!sysfsFiles(f).includes(name)) return -Errno.ENOENT;
  switch (name) {
    case 'registered': {
      // registered_store: the permission check comes before the value is parsed.
      if (!f.enabled || f.dumpActive) return -Errno.EPERM;
      const v = kstrtoint(value);
      if (v === undefined) return -Errno.EINVAL;
      // The status of an unregistration is not looked at: writing 0 succeeds even when firmware
      // refuses, and 1 goes on to register.
      if (v === 0) {
        if (f.registered) f.unregister();
        return 0;
      }
      if (v === 1) {
        if (f.registered) f.unregister();
        return f.register();
      }
      return -Errno.EINVAL;
    }
    case 'release_mem': {
      if (!f.dumpActive) return -Errno.EPERM;
      if (kstrtoint(value) !== 1) return -Errno.EINVAL;
      f.k.machine.events.emit('kernel', 'dump-released', {});
      f.invalidateReleaseMem();
      return 0;
    }
    case 'bootargs_append':
      return writeBootargsAppend(f, value);
    default:
      // enabled, mem_reserved, hotplug_ready: read-only (0444).
      return -Errno.EACCES;
  }
}
