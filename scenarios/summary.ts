// summary.json: what a run says, cycle by cycle — `crash` (what happened, from the crash-time
// snapshot) and `dump` (what the written files hold, read back from them), the verdict comparing
// them, the memory events and both kernels' consoles.

import type { DumpSide, Verification } from './verify.ts';

export type DumpStatus = 'captured' | 'refused' | 'not-triggered';

export interface CycleSummary {
  cycle: number;
  /** What happened, from the crash-time snapshot. */
  crash: {
    cpu: number;
    kind: 'panic' | 'nmi';
    /** Simulated time of the crash, ns (a decimal string). */
    at: string;
    nip: string;
    lr: string;
    r1: string;
    /** The interrupt the crashing CPU was in: 0x300 for the panic path, 0x100 for a system reset. */
    trap: string;
    /** Every CPU thread's registers at the crash. */
    cpus: { cpu: number; pir: number; nip: string; lr: string; r1: string; trap: string }[];
    /** Memory assigned at the crash, less the fadump reserved area: what a dump should hold. */
    ranges: { start: string; size: string }[];
  };
  /** What the written files hold, read back from them (empty when there is no dump). */
  dump: DumpSide & {
    status: DumpStatus;
    vmcore: string | null;
    reason?: string;
    bytes?: number;
    opalcore?: string;
  };
  hotplug: HotplugSummary;
  elfcorehdrOverflowBytes: number;
  /** What `corrupt` did to the dump before the fadump kernel booted (first cycle). */
  corrupted: string[];
  /** The dump compared with the crash; null when there is no dump. */
  verify: { [K in keyof Verification]: Verification[K] | null };
  console: { crashed: string[]; capture: string[] };
}

export interface HotplugSummary {
  added: number;
  removed: number;
  offlined: number;
  uevents: number;
  reRegistrations: number;
  rtasCalls: number;
  /** Simulated time fadump was unregistered while the udev rule re-registered. */
  unregisteredNs: number;
  /** Whether the crash came in the middle of handling an event (crashAtEvent). */
  crashedInEvent: boolean;
  /** Simulated time from the first memory event until udev had handled them all. */
  settleNs: number;
}

export const NO_HOTPLUG: HotplugSummary = {
  added: 0,
  removed: 0,
  offlined: 0,
  uevents: 0,
  reRegistrations: 0,
  rtasCalls: 0,
  unregisteredNs: 0,
  crashedInEvent: false,
  settleNs: 0,
};

export interface Summary {
  fadumpSim: 2;
  machine: {
    platform: string;
    firmware: string;
    memory: string;
    lmbSize: string;
    cpus: number;
    endian: string;
    kernel: string;
    captureKernel: string;
    captureEndian: string;
    seed: number;
    bootMemRegions: number;
  };
  crash: CycleSummary['crash'];
  dump: CycleSummary['dump'];
  verify: CycleSummary['verify'];
  rtasCalls: number;
  console: string[];
  cycles: CycleSummary[];
}

export const noDump = (status: DumpStatus, reason?: string): CycleSummary['dump'] => ({
  status,
  ...(reason !== undefined && { reason }),
  vmcore: null,
  format: 'elf',
  crash: null,
  cpus: [],
  loads: [],
  vmcoreinfo: null,
});
export const NO_VERIFY: CycleSummary['verify'] = {
  mismatchedBytes: null,
  missingBytes: null,
  extraBytes: null,
  notDumpedByDesignBytes: null,
  registerMismatches: null,
  registersNotSavedByDesign: null,
  missingCpus: null,
  extraCpus: null,
  vmcoreinfoMismatch: null,
};
