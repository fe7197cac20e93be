// What a run is made of: the machine, the kernels, the timeline steps and the crash. Plain data with
// no model code behind it, so the command line can read the defaults without loading the model.

import type { DumpFormatName } from '../dump/formats.ts';
import type { PersonalityName } from '../firmware/rtas/personality.ts';
import type { UdevTiming } from '../kernel-model/kdump-udev.ts';
import type { KernelName } from '../kernel-model/kernel.ts';
import type { LogLevel } from './event-log.ts';
import type { MemoryStep } from './hotplug-timeline.ts';
import type { Corruption } from './structures.ts';

export type { MemoryStep };

export interface RunOptions {
  platform: 'pseries' | 'powernv';
  firmware: PersonalityName;
  memory: number;
  lmbSize: number;
  cpus: number;
  threadsPerCore: number;
  endian: 'le' | 'be';
  /** Release of the first kernel (6.9 to 6.15), or legacy (6.9) or resilient (the newest). */
  kernel: KernelName;
  /** Release and byte order of the fadump (capture) kernel; default: the first kernel's. */
  captureKernel?: KernelName;
  captureEndian?: 'le' | 'be';
  crashCpu: number;
  seed: number;
  /** Boot memory spread over this many regions (unassigned LMBs make the holes). */
  bootMemRegions: number;
  notePids: boolean;
  cmdline: string;
  /**
   * Written to /sys/kernel/fadump/bootargs_append in the first kernel after boot (6.10+, with a
   * parameter area), for the fadump kernel's command line; ignored when `steps` are given.
   */
  bootargsAppend?: string;
  /** Crash/capture cycles; each after the first crashes the previous capture kernel. */
  cycles: number;
  /** Memory events before the first crash, each one bulk event: add, then remove, then offline. */
  hotplug?: HotplugPlan;
  /** Memory events in any order (overrides `hotplug`); the udev rule handles each before the next. */
  steps?: MemoryStep[];
  /** The kdump udev rule re-registers fadump on memory online/offline unless hotplug_ready is 1. */
  udev?: boolean;
  udevTiming?: UdevTiming;
  /** Crash while the udev rule handles the K-th memory online/offline event (1-based). */
  crashAtEvent?: number;
  /** Crash at this simulated time (ns since power-on), whatever the steps and udev are doing. */
  crashAtTime?: bigint;
  /** panic (sysrq crash, the default) or nmi (a system reset on every CPU; crashCpu enters fadump first). */
  crashKind?: 'panic' | 'nmi';
  /**
   * How the kdump service saves the dump: `elf`, the unfiltered /proc/vmcore (the default), or
   * `kdump`, makedumpfile's compressed format, at dump level `level` (default 31 for kdump, 0 for elf).
   */
  dump?: { format: DumpFormatName; level?: number };
  /** What the fadump kernel does after saving the vmcore; default release, then register. */
  afterCapture?: AfterCapture[];
  /** Level of DIR/events.jsonl (default info; debug adds every firmware call). */
  logLevel?: LogLevel;
  /** Fields overwritten after firmware took the first dump, before the fadump kernel boots. */
  corrupt?: Corruption[];
  /** Title of DIR/report.html (default: the platform and kernels). */
  title?: string;
  /** What the scenario shows, for the report. */
  description?: string;
}

/** What the fadump kernel does once the vmcore is saved (the kdump service: release, then register). */
export type AfterCapture = 'release' | 'register' | 'unregister';

export interface HotplugPlan {
  add?: number;
  addDrc?: number[];
  remove?: number;
  removeDrc?: number[];
  offline?: number;
  /** Unassigned LMB slots above assigned memory for adds (default: enough for `add` and `addDrc`). */
  spareLmbs?: number;
}

/** makedumpfile's dump level for a format when none is given: what distributions' kdump service uses (-d 31) for kdump, nothing left out for ELF. */
export function dumpLevelOf(o: Pick<RunOptions, 'dump'>): number {
  return o.dump?.level ?? (o.dump?.format === 'kdump' ? 31 : 0);
}

export const DEFAULT_RUN: RunOptions = {
  platform: 'pseries',
  firmware: 'powervm',
  memory: 8 * 2 ** 30,
  lmbSize: 256 * 2 ** 20,
  cpus: 8,
  threadsPerCore: 1,
  endian: 'le',
  kernel: 'resilient',
  crashCpu: 3,
  seed: 1,
  bootMemRegions: 1,
  notePids: false,
  cmdline: 'root=/dev/sda2 ro fadump=on',
  cycles: 1,
};
