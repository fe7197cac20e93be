// PowerNV firmware (skiboot) as far as fadump needs it: the OPAL call table with the MPIPL calls
// (registered only when MPIPL is supported, as skiboot does when /ibm,opal/dump exists) and
// OPAL_CEC_REBOOT2 with its reboot types. spec/firmware.md §5.

import type { Machine } from '../../emulator/machine.ts';
import { Mpipl } from './mpipl.ts';
import { armProcDumpArea, mpiplBoot, sbeHostbootDump } from './mpipl-dump.ts';
import { Opal, OpalStatus, OpalToken } from './opal.ts';

/** OPAL_CEC_REBOOT2 reboot types (opal-api.h). */
export const RebootType = { Normal: 0, PlatformError: 1, FullIpl: 2, Mpipl: 3, Fast: 4 } as const;

export type PendingReboot = 'none' | 'normal' | 'full-ipl' | 'platform-error' | 'fast' | 'mpipl';

export class SkibootFirmware {
  readonly opal: Opal;
  readonly mpipl: Mpipl;
  /** What the partition does once the current call returns. */
  pendingReboot: PendingReboot = 'none';

  constructor(
    readonly machine: Machine,
    readonly mpiplSupported = true,
  ) {
    this.opal = new Opal(machine.events);
    this.mpipl = new Mpipl(machine);
    this.opal.register({
      token: OpalToken.CecReboot2,
      name: 'OPAL_CEC_REBOOT2',
      nargs: 2,
      handler: ([type], pir) => this.cecReboot2(type!, pir),
    });
    if (!mpiplSupported) return;
    this.opal.register({
      token: OpalToken.MpiplUpdate,
      name: 'OPAL_MPIPL_UPDATE',
      nargs: 4,
      handler: ([op, src, dest, size]) => this.mpipl.update(op!, src!, dest!, size!),
    });
    this.opal.register({
      token: OpalToken.MpiplRegisterTag,
      name: 'OPAL_MPIPL_REGISTER_TAG',
      nargs: 2,
      handler: ([tag, value]) => this.mpipl.registerTag(tag!, value!),
    });
    this.opal.register({
      token: OpalToken.MpiplQueryTag,
      name: 'OPAL_MPIPL_QUERY_TAG',
      nargs: 2,
      handler: ([tag, ptr]) => this.mpipl.queryTag(tag!, ptr!),
    });
    this.mpipl.initTables();
    armProcDumpArea(machine, this.mpipl);
  }

  /**
   * Carries out a pending MPIPL: the SBE/hostboot dump step, a reset that keeps memory, and
   * skiboot's dump-boot work. Returns whether this boot is a dump (mpipl-boot) boot.
   */
  rebootIfPending(): boolean {
    if (this.pendingReboot !== 'mpipl') return false;
    sbeHostbootDump(this.machine, this.mpipl);
    this.machine.resetKeepingMemory('MPIPL');
    mpiplBoot(this.machine, this.mpipl);
    this.pendingReboot = 'none';
    return true;
  }

  /**
   * OPAL_CEC_REBOOT2(type, message). MPIPL (3) starts the memory-preserving dump when supported
   * (OPAL_UNSUPPORTED otherwise); normal (0), platform error (1), full IPL (2) and fast (4) reboot
   * without preserving; any other type is OPAL_UNSUPPORTED. The guest does not see the return of a
   * reboot that happens.
   */
  private cecReboot2(type: bigint, callerPir: number): number {
    switch (type) {
      case BigInt(RebootType.Mpipl):
        if (!this.mpiplSupported) return OpalStatus.Unsupported;
        // The BMC/QEMU terminate path saves the crashing PIR into the preserved metadata.
        this.mpipl.writeMetadata({ ...this.mpipl.metadata(), crashing_pir: callerPir });
        this.pendingReboot = 'mpipl';
        return OpalStatus.Success;
      case BigInt(RebootType.Normal):
        this.pendingReboot = 'normal';
        return OpalStatus.Success;
      case BigInt(RebootType.PlatformError):
        this.pendingReboot = 'platform-error';
        return OpalStatus.Success;
      case BigInt(RebootType.FullIpl):
        this.pendingReboot = 'full-ipl';
        return OpalStatus.Success;
      case BigInt(RebootType.Fast):
        // ASSUMPTION: fast reboot is available (skiboot can disable it; the model never does).
        this.pendingReboot = 'fast';
        return OpalStatus.Success;
      default:
        return OpalStatus.Unsupported;
    }
  }
}
