// A partition through its crash cycles, one phase per method: the first kernel's boot, its timeline
// of memory events, the crash (with the ground truth taken as it happens), the fadump kernel's boot
// with the dump image it offers, and what the kdump service does afterwards. The runner (run.ts)
// hands each phase's result to the dump writer, the verifier and the summary; only bytes in
// simulated memory and the device tree cross from one kernel to the next.

import { cloneRegisters, type Registers } from '../emulator/cpu-thread.ts';
import { FDT_HEADER } from '../emulator/dtb.ts';
import type { Machine } from '../emulator/machine.ts';
import type { Range } from '../emulator/memory-blocks.ts';
import type { MemorySnapshot } from '../emulator/physical-memory.ts';
import { subtract, without } from '../emulator/ranges.ts';
import type { FirmwarePersonality } from '../firmware/rtas/personality.ts';
import type { DumpImage } from '../kernel-model/dump-image.ts';
import type { Kernel, KernelConfig } from '../kernel-model/kernel.ts';
import { KERN_WARNING } from '../kernel-model/kernel-consts.ts';
import { buildOpalCore } from '../kernel-model/opal-core.ts';
import { procVmcore, VmcoreInitError } from '../kernel-model/proc-vmcore.ts';
import { SYMBOLS } from '../kernel-model/symbols.ts';
import { readVmcoreinfo } from '../kernel-model/vmcoreinfo.ts';
import { applyHotplug, type Timeline } from './hotplug-timeline.ts';
import { type MemoryMap, memoryMap } from './memory-map.ts';
import { type Platform, platformOf } from './platforms.ts';
import type { AfterCapture, RunOptions } from './run-options.ts';
import { annotateStructures, locateStructures } from './structures.ts';
import type { CrashTruth } from './verify.ts';

/** What the crash left: when, the crashing CPU's registers, and what a correct dump would hold. */
export interface Crash {
  at: bigint;
  regs: Registers;
  /** Every CPU's registers where it stopped. */
  cpus: CrashTruth['cpus'];
  /** Memory assigned at the crash, less the reserved area: what the vmcore should hold. */
  expected: Range[];
  /**
   * Of `expected`, what is not dumped by design: below boot_mem_top outside the boot-memory regions,
   * and memory the crashed kernel did not have (`beyondLimit`).
   */
  notDumpedByDesign: Range[];
  /** Of `expected`, memory above the crashed kernel's mem= limit. */
  beyondLimit: Range[];
  /** Why firmware took no dump: fadump was not registered at the crash, and why not. */
  notTaken?: string;
  /** Crash-time memory and VMCOREINFO, when firmware took a dump. */
  taken?: { memory: MemorySnapshot; vmcoreinfo: Record<string, string> | null };
}

/** What the fadump kernel offers after booting over a dump. */
export type Capture =
  | { status: 'captured'; image: DumpImage; opalcore: DumpImage | undefined }
  | { status: 'refused'; reason: string }
  | { status: 'none' };

export const VMCORE_NOT_INITIALIZED = 'Kdump: vmcore not initialized';

export class Partition {
  readonly platform: Platform;
  /** The kernel running now: the first kernel, then each fadump kernel. */
  kernel!: Kernel;
  /** The memory map at each phase, for the report. */
  readonly maps: MemoryMap[] = [];
  /** The device tree blob each boot received, in boot order (DIR/bootN.dtb). */
  readonly dtbs: Uint8Array[] = [];
  private stopped: CrashTruth['cpus'] = [];
  private snapshot: MemorySnapshot | undefined;
  private lastTimeline: Timeline | undefined;

  constructor(
    readonly machine: Machine,
    personality: FirmwarePersonality,
    private readonly o: RunOptions,
  ) {
    this.platform = platformOf(o.platform, machine, personality);
    machine.events.on((e) => {
      // Every CPU's registers where it stopped: at the panic (or system reset), before the crashing
      // one goes on into firmware.
      if (e.source === 'kernel' && (e.kind === 'panic' || e.kind === 'nmi'))
        this.stopped = machine.cpus.map((c) => ({ cpu: c.id, pir: c.pir, regs: cloneRegisters(c.regs) }));
      // Crash-time memory: when the crashing kernel hands over to firmware with a dump armed.
      const rtas = e.source === 'rtas' && e.kind === 'os-term' && e.detail.dumpRegistered;
      const opal =
        e.kind === 'opal-call' && e.detail.name === 'OPAL_CEC_REBOOT2' && this.platform.dumpTaken();
      if (rtas || opal) this.snapshot = machine.memory.snapshot();
    });
  }

  /** Boots the first kernel, which reserves memory and registers fadump. */
  bootFirst(config: KernelConfig): Kernel {
    this.kernel = this.platform.kernel(config);
    this.kernel.boot(this.bootFirmware(this.kernel));
    this.map(
      'registered',
      this.kernel.fadump.registered
        ? 'the first kernel booted, reserved memory for fadump and registered it with firmware'
        : 'the first kernel booted; fadump is not registered',
    );
    return this.kernel;
  }

  /** The first kernel's timeline up to the crash point. */
  timeline(): Timeline {
    this.lastTimeline = applyHotplug(this.o, this.platform, this.kernel);
    return this.lastTimeline;
  }

  /** The running kernel panics, or takes a system reset, on `cpu`; firmware takes the dump if armed. */
  crash(kind: 'panic' | 'nmi', cpu: number, phase: string): Crash {
    const k = this.kernel;
    const f = k.fadump;
    const cut = { base: f.reserveStart, size: f.registered ? f.areaSize() : 0 };
    const expected = this.machine.blocks.assignedRanges().flatMap((r) => subtract(r, cut));
    const beyondLimit = notTheKernels(expected, k);
    const notDumpedByDesign = [...belowBootMemTop(expected, k), ...beyondLimit];
    this.map(
      phase,
      f.registered
        ? 'at the crash: firmware will copy boot memory into the reserved area'
        : 'at the crash: fadump is not registered, so there will be no dump',
    );
    const at = this.machine.clock.now();
    const unarmed = f.registered ? undefined : whyNotArmed(k, this.lastTimeline?.midReRegistration ?? false);
    this.lastTimeline = undefined;
    this.snapshot = undefined;
    const regs = kind === 'nmi' ? k.systemReset(cpu) : k.panic(cpu, 'sysrq triggered crash');
    this.platform.completeDump();
    const crash: Crash = { at, regs, cpus: this.stopped, expected, notDumpedByDesign, beyondLimit };
    if (unarmed) crash.notTaken = unarmed;
    if (this.snapshot && this.platform.dumpTaken()) {
      const keys = readVmcoreinfo(this.snapshot, k.order, SYMBOLS.vmcoreinfo_note);
      crash.taken = { memory: this.snapshot, vmcoreinfo: keys ? Object.fromEntries(keys) : null };
    }
    return crash;
  }

  /** Boots a fadump kernel over the dump: the image /proc/vmcore offers, or why there is none. */
  bootCapture(config: KernelConfig, phase: string): Capture {
    this.kernel = this.platform.kernel(config);
    const k = this.kernel;
    k.boot(this.bootFirmware(k));
    const f = k.fadump;
    this.map(
      phase,
      f.outcome.status === 'captured'
        ? 'the fadump kernel booted in boot memory; the old contents are in the reserved area, /proc/vmcore describes them'
        : 'the fadump kernel booted and refused the dump',
    );
    if (f.outcome.status === 'refused') return { status: 'refused', reason: f.outcome.reason };
    if (f.outcome.status !== 'captured' || f.elfcorehdrAddr === undefined) return { status: 'none' };
    const image = initVmcore(k, f.elfcorehdrAddr);
    if (!image) return { status: 'refused', reason: VMCORE_NOT_INITIALIZED };
    return { status: 'captured', image, opalcore: buildOpalCore(k) };
  }

  /** What the kdump service does once the vmcore is saved (by default release, then register). */
  afterCapture(acts: readonly AfterCapture[], saved: boolean, phase: string): void {
    const f = this.kernel.fadump;
    for (const act of acts) {
      if (act === 'release') f.sysfsWrite('release_mem', '1');
      else f.sysfsWrite('registered', act === 'register' ? '1' : '0');
    }
    this.map(
      phase,
      `${saved ? 'the vmcore is saved' : 'no vmcore'}; then ${acts.length ? acts.join(', ') : 'nothing'}: fadump is ${f.registered ? '' : 'not '}registered${acts.includes('release') ? ', the dump memory released' : ''}`,
    );
  }

  /** Firmware boots the partition; the blob it left in memory for the kernel is kept. */
  private bootFirmware(k: Kernel): number {
    const at = this.platform.boot(this.o.cmdline, k);
    const { totalsize } = FDT_HEADER.decode(this.machine.memory.peek(at, FDT_HEADER.size));
    this.dtbs.push(this.machine.memory.peek(at, totalsize));
    return at;
  }

  /** The memory map of this moment, with the structures as they are now (first entries only). */
  private map(phase: string, note: string): void {
    const m = memoryMap(this.machine, this.kernel, phase, note, this.platform.reserved());
    const mem = this.machine.memory;
    m.structures = annotateStructures(
      locateStructures(this.kernel, mem, this.o, this.platform.injectableStructure()),
      mem,
      4,
      0,
    );
    this.maps.push(m);
  }
}

/**
 * vmcore_init in the fadump kernel: /proc/vmcore from the elfcorehdr, or, when its headers or notes
 * cannot be read from old memory, the kernel's warning and no /proc/vmcore.
 * ASSUMPTION: a read of old memory that is not there fails parse_crash_elf_headers ("Kdump: vmcore not initialized").
 */
function initVmcore(k: Kernel, elfcorehdr: number): DumpImage | undefined {
  try {
    return procVmcore(k.machine.memory, elfcorehdr, k.order);
  } catch (e) {
    if (!(e instanceof VmcoreInitError)) throw e;
    k.printk(KERN_WARNING, '', VMCORE_NOT_INITIALIZED);
    k.machine.events.emit('kernel', 'dump-refused', { reason: `vmcore_init: ${e.message}` });
    return undefined;
  }
}

/**
 * Why the crashing kernel had no dump armed, in its own words where it said why: no fadump=on, no
 * firmware support, a reservation or registration that failed (the last thing the fadump code
 * complained of), or an unregistration (by the kdump udev rule mid re-registration, or by a write
 * to /sys/kernel/fadump/registered).
 */
function whyNotArmed(k: Kernel, midReRegistration: boolean): string {
  const f = k.fadump;
  const arg = k.cmdlineParam('fadump');
  if (arg !== 'on' && arg !== 'nocma')
    return `fadump=on is not on the kernel command line (${k.cmdline || 'empty'}): nothing was reserved for a dump`;
  if (!f.supported) return 'Firmware-Assisted Dump is not supported on this hardware';
  const said = k.complaints.filter((l) => /^(fadump|rtas fadump|opal fadump): /.test(l)).at(-1);
  if (!f.enabled || f.reserveSize === 0) return said ?? 'fadump reserved no memory';
  if (midReRegistration)
    return 'fadump was unregistered: the crash came while the kdump udev rule re-registered it after a memory event';
  const unregistered = k.machine.events.events.some(
    (e) => e.kind === 'fadump-unregistered' && e.detail.boot === k.machine.bootCount,
  );
  if (unregistered)
    return 'fadump was unregistered (echo 0 > /sys/kernel/fadump/registered) and not registered again';
  return said ?? 'fadump was not registered';
}

/** Of `ranges`, what lies below boot_mem_top outside the boot-memory regions (added into holes). */
/**
 * Partition memory the crashed kernel did not have (above its mem= limit, memblock_enforce_memory_limit):
 * no kernel used it, and a dump need not hold it.
 */
function notTheKernels(ranges: readonly Range[], k: Kernel): Range[] {
  return without(ranges, k.memblock.memory);
}

function belowBootMemTop(ranges: readonly Range[], k: Kernel): Range[] {
  const f = k.fadump;
  if (!f.registered || f.bootMemTop === 0) return [];
  let low = ranges.flatMap((r) =>
    subtract(r, { base: f.bootMemTop, size: Number.MAX_SAFE_INTEGER - f.bootMemTop }),
  );
  for (const b of f.bootMemRegions) low = low.flatMap((r) => subtract(r, b));
  return low;
}
