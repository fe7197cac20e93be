// PowerNV firmware (skiboot) as far as fadump needs it: the OPAL call table with the MPIPL calls
// (registered only when MPIPL is supported, as skiboot does when /ibm,opal/dump exists) and
// OPAL_CEC_REBOOT2 with its reboot types. skiboot core/opal-dump.c and doc/mpipl.rst

import { type DtNode, u64Cells } from '../../emulator/device-tree.ts';
import { encodeDtb } from '../../emulator/dtb.ts';
import type { Machine } from '../../emulator/machine.ts';
import { rootNode, writeCpus } from '../common-tree.ts';
import { Mpipl } from './mpipl.ts';
import { armProcDumpArea, mpiplBoot, sbeHostbootDump } from './mpipl-dump.ts';
import { SKIBOOT_BASE, SKIBOOT_SIZE } from './mpipl-structs.ts';
import { Opal, OpalStatus, OpalToken } from './opal.ts';

/** fw-load-area: the kernel and initramfs load windows firmware overwrites on any boot (QEMU's values). */
export const FW_LOAD_AREA: readonly [number, number][] = [
  [0x2000_0000, 0x0800_0000],
  [0x2800_0000, 0x0800_0000],
];
/** ASSUMPTION: skiboot leaves the device tree at 224 MiB for the kernel, as the pSeries model does. */
export const POWERNV_FDT_ADDR = 0x0e00_0000;

/** OPAL_CEC_REBOOT2 reboot types (opal-api.h). */
export const RebootType = { Normal: 0, PlatformError: 1, FullIpl: 2, Mpipl: 3, Fast: 4 } as const;

export type PendingReboot = 'none' | 'normal' | 'full-ipl' | 'platform-error' | 'fast' | 'mpipl';

export class SkibootFirmware {
  readonly opal: Opal;
  readonly mpipl: Mpipl;
  /** What the partition does once the current call returns. */
  pendingReboot: PendingReboot = 'none';
  /** The MPIPL reboot was carried out (rebootIfPending) and the next boot is the dump boot. */
  private dumpBootNext = false;
  /**
   * Fault injection: OPAL_MPIPL_UPDATE answers OPAL_HARDWARE, the "platform does not support fadump"
   * status skiboot's documentation lists but its code never returns (skiboot core/opal-dump.c and doc/mpipl.rst).
   */
  injectMpiplHardwareError = false;

  constructor(
    readonly machine: Machine,
    readonly mpiplSupported = true,
  ) {
    this.opal = new Opal(machine.events, machine.memory);
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
      handler: ([op, src, dest, size]) =>
        this.injectMpiplHardwareError ? OpalStatus.Hardware : this.mpipl.update(op!, src!, dest!, size!),
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

  /** Memory skiboot keeps for itself, as /reserved-memory nodes and the root reserved-ranges. */
  reservedRegions(): { name: string; base: number; size: number }[] {
    const out = [{ name: 'ibm,firmware-code', base: SKIBOOT_BASE, size: SKIBOOT_SIZE }];
    if (this.mpiplSupported) {
      const r = this.mpipl.opalRegion();
      out.push({ name: 'ibm,firmware-dump', base: r.dest, size: r.size });
      out.push({ name: 'ibm,firmware-arch-registers', base: r.dest + r.size, size: 512 * 1024 });
    }
    return out;
  }

  /**
   * The PowerNV device tree: memory per the assigned ranges, cores with their PIRs, skiboot's
   * reserved memory, and /ibm,opal/dump when MPIPL is supported — with mpipl-boot on a dump boot.
   */
  buildTree(bootargs: string, dumpBoot: boolean): DtNode {
    const m = this.machine;
    const root = rootNode('ibm,powernv', 'fadump-sim PowerNV', bootargs);
    writeCpus(root, m);
    for (const r of m.blocks.assignedRanges()) {
      root
        .ensure(`memory@${r.base.toString(16)}`)
        .setString('device_type', 'memory')
        .setCells('reg', [...u64Cells(r.base), ...u64Cells(r.size)]);
    }
    const reserved = this.reservedRegions();
    const rm = root.ensure('reserved-memory');
    rm.setCells('#address-cells', [2]).setCells('#size-cells', [2]).setEmpty('ranges');
    for (const r of reserved) {
      rm.ensure(`${r.name}@${r.base.toString(16)}`).setCells('reg', [
        ...u64Cells(r.base),
        ...u64Cells(r.size),
      ]);
    }
    root.set('reserved-names', new TextEncoder().encode(reserved.map((r) => `${r.name}\0`).join('')));
    root.setCells(
      'reserved-ranges',
      reserved.flatMap((r) => [...u64Cells(r.base), ...u64Cells(r.size)]),
    );
    const opal = root.ensure('ibm,opal');
    opal.set('compatible', new TextEncoder().encode('ibm,opal-v3\0ibm,opal-v2\0'));
    if (this.mpiplSupported) {
      const dump = opal.ensure('dump');
      dump.setString('compatible', 'ibm,opal-dump');
      dump.setCells(
        'fw-load-area',
        FW_LOAD_AREA.flatMap(([a, sz]) => [...u64Cells(a), ...u64Cells(sz)]),
      );
      if (dumpBoot) dump.setEmpty('mpipl-boot');
    }
    return root;
  }

  /** Boots: carries out a pending MPIPL, writes the device tree to memory, returns its address. */
  boot(bootargs: string): number {
    const dumpBoot = this.rebootIfPending();
    this.dumpBootNext = false;
    this.machine.bootCount++;
    const dtb = encodeDtb(this.buildTree(bootargs, dumpBoot), { bootCpuidPhys: this.machine.cpus[0]!.pir });
    this.machine.memory.poke(POWERNV_FDT_ADDR, dtb);
    this.machine.events.emit('machine', 'boot', {
      boot: this.machine.bootCount,
      fdt: POWERNV_FDT_ADDR,
      bytes: dtb.length,
      mpiplBoot: dumpBoot,
    });
    return POWERNV_FDT_ADDR;
  }

  /**
   * Carries out a pending MPIPL: the SBE/hostboot dump step, a reset that keeps memory, and
   * skiboot's dump-boot work. Returns whether this boot is a dump (mpipl-boot) boot.
   */
  rebootIfPending(): boolean {
    if (this.pendingReboot !== 'mpipl') return this.dumpBootNext;
    sbeHostbootDump(this.machine, this.mpipl);
    this.machine.resetKeepingMemory('MPIPL');
    mpiplBoot(this.machine, this.mpipl);
    this.pendingReboot = 'none';
    this.dumpBootNext = true;
    return true;
  }

  /**
   * OPAL_CEC_REBOOT2(type, message). MPIPL (3) terminates: the memory-preserving dump where the
   * platform has MPIPL, else a terminate that ends in a full IPL; it never returns to the OS. Normal
   * (0), platform error (1), full IPL (2) and fast (4) reboot without preserving; any other type is
   * OPAL_UNSUPPORTED. The guest does not see the return of a reboot that happens.
   */
  private cecReboot2(type: bigint, callerPir: number): number {
    switch (type) {
      case BigInt(RebootType.Mpipl):
        // ASSUMPTION: without MPIPL the terminate (eSEL, SBE S0, TI/xstop) ends in a full IPL.
        if (!this.mpiplSupported) {
          this.pendingReboot = 'full-ipl';
          return OpalStatus.Success;
        }
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
        return this.reject('unknown reboot type', type);
    }
  }

  /** OPAL_CEC_REBOOT2 refused: OPAL_UNSUPPORTED, with the reason and the type. */
  private reject(reason: string, type: bigint): number {
    this.machine.events.emit('machine', 'reject', {
      call: 'OPAL_CEC_REBOOT2',
      reason,
      value: `0x${type.toString(16)}`,
      status: OpalStatus.Unsupported,
    });
    return OpalStatus.Unsupported;
  }
}
