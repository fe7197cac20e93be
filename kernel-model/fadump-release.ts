// Releasing a dump and /sys/kernel/fadump (Linux arch/powerpc/kernel/fadump.c):
// fadump_invalidate_release_mem, and the sysfs files enabled, registered, mem_reserved,
// hotplug_ready and release_mem.

import type { Range } from '../emulator/memory-blocks.ts';
import type { Fadump } from './fadump.ts';
import { firmwareReserved } from './fadump-reserve.ts';
import { hashx } from './format.ts';
import { Errno, KERN_INFO } from './kernel-consts.ts';

const F = 'fadump';

/** fadump_invalidate_release_mem: invalidate the dump, release the memory, allow re-registration. */
export function invalidateReleaseMem(f: Fadump): void {
  const k = f.k;
  if (!f.dumpActive) return;
  if (!f.backend!.invalidate()) return;
  f.dumpActive = false;
  f.elfcorehdrAddr = undefined;
  f.activeSections = [];
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
      if (p.size <= 0) continue;
      k.printk(KERN_INFO, F, `freeing reserved memory (${hashx(p.base)} - ${hashx(p.base + p.size)})`);
      k.memmap.release(p.base, p.size);
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
  f.enabled = k.cmdlineParam('fadump') === 'on' || k.cmdlineParam('fadump') === 'nocma';
}

export function sysfsRead(f: Fadump, name: string): string | undefined {
  switch (name) {
    case 'enabled':
      return `${f.enabled ? 1 : 0}\n`;
    case 'registered':
      return `${f.registered ? 1 : 0}\n`;
    case 'mem_reserved':
      return `${f.reserveSize}\n`;
    case 'hotplug_ready':
      return f.k.generation.hotplugReady ? '1\n' : undefined;
    default:
      return undefined;
  }
}

/** Writes a /sys/kernel/fadump file; returns 0 or a negative errno. */
export function sysfsWrite(f: Fadump, name: string, value: string): number {
  const v = value.trim();
  switch (name) {
    case 'registered':
      if (!f.enabled || f.dumpActive) return -Errno.EPERM;
      if (v === '0') return f.registered ? f.unregister() : 0;
      if (v === '1') {
        if (f.registered) {
          const rc = f.unregister();
          if (rc) return rc;
        }
        return f.register();
      }
      return -Errno.EINVAL;
    case 'release_mem':
      if (!f.dumpActive) return -Errno.EPERM;
      if (v !== '1') return -Errno.EINVAL;
      f.k.machine.events.emit('kernel', 'dump-released', {});
      f.invalidateReleaseMem();
      return 0;
    default:
      return -Errno.ENOENT;
  }
}
