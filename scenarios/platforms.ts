// One adapter per platform: what the runner needs of pSeries (RTAS, DLPAR) and PowerNV (OPAL,
// MPIPL) firmware, so the runner never asks which platform it is on.

import type { Machine } from '../emulator/machine.ts';
import { ConfigError } from '../emulator/memory-blocks.ts';
import { SkibootFirmware } from '../firmware/opal/skiboot-firmware.ts';
import type { FirmwarePersonality } from '../firmware/rtas/personality.ts';
import { PseriesFirmware } from '../firmware/rtas/pseries-firmware.ts';
import { Kernel, type KernelConfig } from '../kernel-model/kernel.ts';
import { type CrashTruth, NOT_IN_SAVE_AREAS } from './verify.ts';

export interface Platform {
  /**
   * Firmware boots the partition for `kernel`, with what its prom_init asks through
   * ibm,client-architecture-support (the minimum RMA); returns the device tree's address.
   */
  boot(cmdline: string, kernel: Kernel): number;
  kernel(cfg: KernelConfig): Kernel;
  /** Whether the last crash made firmware take a dump (a memory-preserving reboot is pending). */
  dumpTaken(): boolean;
  /** Finishes the dump before the next boot (PowerNV: the SBE/hostboot step and the reset). */
  completeDump(): void;
  calls(): number;
  /** Firmware-owned memory the dump boot legitimately rewrites: not compared by verification. */
  reserved(): { name: string; base: number; size: number }[];
  /** How the kernel numbers CPUs in its notes: logical ids (pSeries) or PIRs (PowerNV). */
  noteIds: CrashTruth['noteIds'];
  /** pt_regs words the firmware does not save for the CPUs other than the crashing one. */
  notSavedForOthers: CrashTruth['notSavedForOthers'];
  /** DLPAR: firmware assigns `count` LMBs (or those DRC indexes); their DRC indexes. */
  dlparAssign(count: number, drc?: readonly number[]): number[];
  /** DLPAR: firmware unassigns the LMBs the kernel released. */
  dlparUnassign(drcIndexes: readonly number[]): void;
  /** Firmware's own copy of the dump structure while a dump waits (pSeries), for `corrupt`. */
  injectableStructure(): Uint8Array | undefined;
  /** The pSeries firmware, for RunHooks only (tests that reach into firmware state). */
  readonly hookFirmware: PseriesFirmware | undefined;
}

export function platformOf(
  platform: 'pseries' | 'powernv',
  machine: Machine,
  personality: FirmwarePersonality,
): Platform {
  if (platform === 'powernv') {
    const fw = new SkibootFirmware(machine);
    let dumpBooting = false;
    const noDlpar = (): never => {
      throw new ConfigError('powernv has no DLPAR: use --offline, not --hot-add or --hot-remove');
    };
    return {
      boot: (cmdline) => {
        dumpBooting = false;
        return fw.boot(cmdline);
      },
      kernel: (cfg) => new Kernel(machine, undefined, cfg, fw.opal),
      dumpTaken: () => fw.pendingReboot === 'mpipl' || dumpBooting,
      completeDump: () => {
        dumpBooting = fw.rebootIfPending();
      },
      calls: () => fw.opal.callCount,
      reserved: () => fw.reservedRegions(),
      noteIds: 'pir',
      notSavedForOthers: NOT_IN_SAVE_AREAS,
      dlparAssign: noDlpar,
      dlparUnassign: noDlpar,
      injectableStructure: () => undefined,
      hookFirmware: undefined,
    };
  }
  const fw = new PseriesFirmware(machine, personality);
  return {
    boot: (cmdline, k) => fw.boot(cmdline, { minRma: k.behaviour.casMinRma }),
    kernel: (cfg) => new Kernel(machine, fw.rtas, cfg),
    dumpTaken: () => fw.resetPending,
    completeDump: () => {},
    calls: () => fw.rtas.callCount,
    reserved: () => [],
    noteIds: 'logical',
    // QEMU's staleCtrLrXerCfar: CTR, LR and XER come from the generic SPR array, saved as 0.
    notSavedForOthers: personality.quirks.has('staleCtrLrXerCfar')
      ? [...NOT_IN_SAVE_AREAS, 'ctr', 'link', 'xer']
      : NOT_IN_SAVE_AREAS,
    dlparAssign: (count, drc) => fw.dlparAssign(count, drc),
    dlparUnassign: (drcIndexes) => fw.dlparUnassign(drcIndexes),
    injectableStructure: () => fw.kernelDump.injectableStructure(),
    hookFirmware: fw,
  };
}
