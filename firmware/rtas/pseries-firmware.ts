// pSeries partition firmware (PowerVM or QEMU/SLOF with RTAS): builds the device tree the kernel
// boots from, places the flattened blob in guest memory, and serves RTAS — fadump's
// ibm,configure-kernel-dump and ibm,os-term among the calls. LoPAR ibm,configure-kernel-dump; QEMU hw/ppc/spapr_fadump.c

import { cellsToBytes, type DtNode, u64Cells } from '../../emulator/device-tree.ts';
import { encodeDtb } from '../../emulator/dtb.ts';
import type { Machine } from '../../emulator/machine.ts';
import { rootNode, writeCpus } from '../common-tree.ts';
import { KernelDump } from './kernel-dump.ts';
import { type FirmwarePersonality, QEMU_CONFIGURE_KERNEL_DUMP_TOKEN } from './personality.ts';
import { regsaveSize } from './regsave.ts';
import { Rtas, RtasStatus } from './rtas.ts';

/** ASSUMPTION: firmware passes the device tree at 224 MiB, inside the RMA and inside boot memory. */
export const FDT_ADDR = 0x0e00_0000;
export const FDT_MAX = 0x0100_0000;
/** ASSUMPTION: the real mode area is the first 256 MiB (or the first LMB when larger). */
export const RMA_MIN = 0x1000_0000;
/** ASSUMPTION: ibm,os-term token (QEMU numbers its tokens from 0x2000). */
export const OS_TERM_TOKEN = 0x2016;

/** ibm,dynamic-memory-v2 flag bits (PAPR; Linux drmem.h). */
export const DRCONF_MEM_ASSIGNED = 0x8;

export class PseriesFirmware {
  readonly rtas: Rtas;
  readonly kernelDump: KernelDump;
  /** The RMA of the current boot: the LPAR's, or more when the kernel asked for more through CAS. */
  rmaSize: number;
  private readonly lparRma: number;
  /** Set when a dump was taken: the partition must reboot keeping memory. */
  resetPending = false;

  constructor(
    readonly machine: Machine,
    readonly personality: FirmwarePersonality,
  ) {
    this.lparRma = Math.max(RMA_MIN, machine.config.lmbSize);
    this.rmaSize = this.lparRma;
    this.rtas = new Rtas(machine.memory, machine.events);
    this.kernelDump = new KernelDump(machine, personality, () => this.rmaSize);
    this.rtas.register({
      token: QEMU_CONFIGURE_KERNEL_DUMP_TOKEN,
      name: 'ibm,configure-kernel-dump',
      nargs: 3,
      nret: 1,
      handler: (ctx) => this.kernelDump.call(ctx),
    });
    this.rtas.register({
      token: OS_TERM_TOKEN,
      name: 'ibm,os-term',
      nargs: 1,
      nret: 1,
      // QEMU's rtas_ibm_os_term reads its argument and stores its status without checking either.
      arityUnchecked: personality.quirks.has('osTermNoArityCheck'),
      handler: (ctx) => this.osTerm(ctx.args),
    });
  }

  /**
   * ibm,os-term(message): with a dump registered, processes it and reboots the partition keeping
   * memory (the guest never sees the return); otherwise logs the message and returns, as
   * ibm,extended-os-term promises.
   */
  private osTerm(args: readonly number[]): number[] {
    const message = this.readString(args[0] ?? 0, 511);
    this.machine.events.emit('rtas', 'os-term', { message, dumpRegistered: this.kernelDump.registered });
    if (!this.kernelDump.registered) return [RtasStatus.Success];
    this.kernelDump.process();
    this.machine.resetKeepingMemory('firmware-assisted dump');
    this.resetPending = true;
    return [RtasStatus.Success];
  }

  private readString(addr: number, max: number): string {
    const bytes: number[] = [];
    for (let i = 0; i < max; i++) {
      if (!this.machine.memory.accessible(addr + i, 1)) break;
      const b = this.machine.memory.read(addr + i, 1)[0]!;
      if (b === 0) break;
      bytes.push(b);
    }
    return String.fromCharCode(...bytes);
  }

  /**
   * DLPAR memory add, as the HMC asks firmware: assigns up to `count` unassigned LMBs, lowest
   * first, and returns their DRC indexes for the hotplug event the OS receives. The device tree of
   * every later boot lists them as assigned.
   */
  dlparAssign(count: number, drcIndexes?: readonly number[]): number[] {
    const free = this.machine.blocks.blocks.filter((b) => !b.assigned);
    const wanted = drcIndexes && new Set(drcIndexes);
    const picked = wanted ? free.filter((b) => wanted.has(b.drcIndex)) : free.slice(0, count);
    for (const b of picked) this.machine.blocks.setAssigned(b.index, true);
    this.machine.events.emit('rtas', 'dlpar-assign', { drcIndexes: picked.map((b) => b.drcIndex) });
    return picked.map((b) => b.drcIndex);
  }

  /** DLPAR memory remove after the OS released the LMBs: unassigns them; their contents are gone. */
  dlparUnassign(drcIndexes: readonly number[]): void {
    const gone = drcIndexes.map((drc) => this.machine.blocks.byDrcIndex(drc)).filter((b) => b?.assigned);
    for (const b of gone) this.machine.blocks.setAssigned(b!.index, false);
    for (const b of gone) this.machine.memory.zero(b!.base, this.machine.config.lmbSize);
    this.machine.events.emit('rtas', 'dlpar-unassign', { drcIndexes: [...drcIndexes] });
  }

  /** Size firmware advertises for the CPU state section (PAPR R1-7). */
  cpuStateSize(): number {
    const c = this.machine.config;
    const n = this.personality.quirks.has('cpuSizeCountsCores') ? c.cpus / c.threadsPerCore : c.cpus;
    return regsaveSize(this.personality, n);
  }

  /**
   * Boots the partition: builds the device tree, writes the blob to guest memory, returns its
   * address. `cas.minRma` is the minimum RMA the kernel's ibm,client-architecture-support vector
   * asks for (prom_init's MIN_RMA): the RMA grows to it, in whole LMBs.
   */
  boot(bootargs: string, cas: { minRma?: number } = {}): number {
    const lmb = this.machine.config.lmbSize;
    // ASSUMPTION: PowerVM satisfies the CAS minimum RMA by making the first memory range (the RMA)
    // that large, in whole LMBs, when the partition has the memory.
    this.rmaSize = Math.max(this.lparRma, Math.ceil((cas.minRma ?? 0) / lmb) * lmb);
    this.resetPending = false;
    this.machine.bootCount++;
    const dtb = encodeDtb(this.buildTree(bootargs), { bootCpuidPhys: this.machine.cpus[0]!.pir });
    if (dtb.length > FDT_MAX)
      throw new Error(`device tree of ${dtb.length} bytes exceeds its ${FDT_MAX}-byte window`);
    this.machine.memory.poke(FDT_ADDR, dtb);
    this.machine.events.emit('machine', 'boot', {
      boot: this.machine.bootCount,
      fdt: FDT_ADDR,
      bytes: dtb.length,
    });
    return FDT_ADDR;
  }

  buildTree(bootargs: string): DtNode {
    const m = this.machine;
    const root = rootNode('IBM,pSeries', this.personality.model, bootargs);
    writeCpus(root, m);

    const rma = m.blocks.assignedRanges()[0]!;
    const rmaSize = Math.min(this.rmaSize, rma.size);
    root
      .ensure('memory@0')
      .setString('device_type', 'memory')
      .setCells('reg', [0, 0, ...u64Cells(rmaSize)]);

    const dr = root.ensure('ibm,dynamic-reconfiguration-memory');
    dr.setCells('ibm,lmb-size', u64Cells(m.config.lmbSize));
    dr.set('ibm,dynamic-memory-v2', this.dynamicMemoryV2());
    dr.setCells('ibm,associativity-lookup-arrays', [1, 1, 0]);

    const rtas = root.ensure('rtas');
    this.rtas.writeTokens(rtas);
    rtas.setCells('rtas-size', [0x10000]);
    rtas.setCells('ibm,configure-kernel-dump-sizes', [
      0x0001,
      ...u64Cells(this.cpuStateSize()),
      0x0002,
      0,
      0,
    ]);
    rtas.set('ibm,configure-kernel-dump-version', this.versionProperty());
    rtas.setEmpty('ibm,extended-os-term');
    const dump = this.kernelDump.kernelDumpProperty();
    if (dump) rtas.set('ibm,kernel-dump', dump);
    return root;
  }

  /** Two 16-bit values, minimum and maximum version (1, 1); QEMU writes them in host order. */
  private versionProperty(): Uint8Array {
    const b = new Uint8Array(4);
    const v = new DataView(b.buffer);
    const le = this.personality.quirks.has('versionPropertyHostOrder');
    v.setUint16(0, 1, le);
    v.setUint16(2, 1, le);
    return b;
  }

  /** ibm,dynamic-memory-v2: a count, then sets of (count, base hi, base lo, first DRC index, aa index, flags). */
  private dynamicMemoryV2(): Uint8Array {
    const sets: number[][] = [];
    for (const b of this.machine.blocks.blocks) {
      const flags = b.assigned ? DRCONF_MEM_ASSIGNED : 0;
      const last = sets[sets.length - 1];
      if (last && last[5] === flags && last[3]! + last[0]! === b.drcIndex) last[0]!++;
      else sets.push([1, ...u64Cells(b.base), b.drcIndex, 0, flags]);
    }
    return cellsToBytes([sets.length, ...sets.flat()]);
  }
}
