// The OPAL core (arch/powerpc/platforms/powernv/opal-core.c, /sys/firmware/opal/mpipl/core): an ELF
// core of OPAL's own memory as it was at the crash — the regions OPAL preserved for itself, read
// from their copies — with one PRSTATUS note per active thread, for debugging firmware.

import { CRASH_INFO_HEADER } from './crash-info-header.ts';
import type { DumpImage } from './dump-image.ts';
import { prstatusNote } from './elf.ts';
import type { Kernel } from './kernel.ts';
import { concat } from './proc-vmcore.ts';

/** The OPAL core of a dump the capture kernel holds, or undefined when there is none. */
export function buildOpalCore(k: Kernel): DumpImage | undefined {
  const f = k.fadump;
  const o = f.opal;
  if (!o || !f.dumpActive || f.outcome.status !== 'captured') return undefined;
  const regions = o.opalRegions();
  if (regions.length === 0) return undefined;
  const fdh = CRASH_INFO_HEADER.decode(k.mem.read(f.fadumphdrAddr, CRASH_INFO_HEADER.size), k.order);
  const threads = o.threadRegisters(fdh.crashing_cpu, fdh.regs, false).notes;
  const notes = threads.map((t) => prstatusNote(t.regs, k.config.notePids ? t.cpu + 1 : 0, k.order));
  // OPAL runs in real mode: its addresses are physical, and its virtual addresses the same.
  return {
    order: k.order,
    notes: concat(notes),
    segments: regions.map((r) => ({
      paddr: r.src,
      vaddr: BigInt(r.src),
      size: r.size,
      source: k.mem,
      sourceAddr: r.dest,
    })),
  };
}
