// A Linux kernel booting on the partition: it learns the machine from the flattened device tree
// firmware left in memory, loads its image (text, printk ring, vmcoreinfo) at the same low
// addresses every boot, keeps its console in the printk ring, calls RTAS through an argument buffer
// in memory, and runs fadump (fadump.ts). Both the first and the capture kernel are this model.

import type { CpuThread, Registers } from '../emulator/cpu-thread.ts';
import { zeroRegisters } from '../emulator/cpu-thread.ts';
import { type DtNode, u64FromCells } from '../emulator/device-tree.ts';
import { decodeDtb, FDT_HEADER } from '../emulator/dtb.ts';
import type { Machine } from '../emulator/machine.ts';
import type { ByteOrder } from '../emulator/struct.ts';
import type { OpalEntry } from '../firmware/opal/opal.ts';
import type { RtasEntry } from '../firmware/rtas/rtas.ts';
import { RtasStatus } from '../firmware/rtas/rtas.ts';
import { Fadump } from './fadump.ts';
import { LEGACY_LINKS } from './fadump-release.ts';
import { MiB, memparse, pageAlign } from './format.ts';
import { Errno, KERN_EMERG, KERN_ERR, KERN_INFO, KERN_WARNING } from './kernel-consts.ts';
import { RTAS_ARGS_ADDR, RTAS_MSG_ADDR, STACK_SIZE, STACKS_ADDR } from './kernel-layout.ts';
import { Memblock } from './memblock.ts';
import { Memmap } from './memmap.ts';
import { OpalFadump } from './opal-fadump.ts';
import { formatDmesgLine, PrintkRing } from './printk-ring.ts';
import {
  behaviourOf,
  type KernelBehaviour,
  type KernelName,
  osrelease,
  type Release,
  releaseOf,
} from './releases.ts';
import { RtasFadump } from './rtas-fadump.ts';
import { KERNEL_VBASE, linuxBanner, loadKernelImage, PAGE_SIZE } from './vmlinux.ts';

export type { KernelName, Release } from './releases.ts';

export interface KernelConfig {
  order: ByteOrder;
  /** The release, or an alias of one (legacy, resilient). */
  kernel: KernelName;
  /** fadump-sim option: pr_pid = CPU + 1 and the crashing CPU's note first, so gdb shows threads. */
  notePids: boolean;
}

type Cells6 = [number, number, number, number, number, number];

/** ASSUMPTION: memory block size on PowerNV (radix) is 256 MiB. */
export const POWERNV_MEMORY_BLOCK = 256 * 2 ** 20;

export interface Lmb {
  drc: number;
  base: number;
  present: boolean;
  online: boolean;
}

export interface Uevent {
  t: bigint;
  action: 'add' | 'remove' | 'online' | 'offline';
  /** Memory block number (/sys/devices/system/memory/memoryN). */
  block: number;
}

/** The system reset interrupt vector, as pt_regs.trap records it. */
export const SYSTEM_RESET_TRAP = 0x100n;

const MSR_KERNEL = 0x8000000000009032n;
const MSR_LE = 1n;

export class Kernel {
  readonly memblock = new Memblock();
  /** Console lines of this boot, as `dmesg` prints them. */
  readonly console: string[] = [];
  /** What this kernel printed at KERN_WARNING or worse, without timestamps: the outcome's warnings. */
  readonly complaints: string[] = [];
  readonly fadump: Fadump;
  dt!: DtNode;
  cmdline = '';
  /** Size of the memory range at address 0 in the device tree (first_memblock_size). */
  firstMemblockSize = 0;
  /** memory_limit: from `mem=`, 0 for none; after boot, the limit memblock was cut to. */
  memoryLimit = 0;
  private ring!: PrintkRing;
  private bootNs = 0n;
  rtasCalls = 0;
  opalCalls = 0;
  /** The CPU the kernel is running on (the boot CPU, or the one that panicked). */
  currentCpu = 0;
  halted = false;
  /** LMBs from ibm,dynamic-memory-v2 (drmem) by DRC index, with their state in this kernel. */
  readonly lmbs = new Map<number, Lmb>();
  lmbSize = 0;
  /** struct pages, mem_section and the vmemmap in memory, as this kernel keeps them (memmap.ts). */
  memmap!: Memmap;
  /** uevents of the memory subsystem, in order (the udev model consumes them). */
  readonly uevents: Uevent[] = [];

  constructor(
    readonly machine: Machine,
    private rtas: RtasEntry | undefined,
    readonly config: KernelConfig,
    readonly opal?: OpalEntry,
  ) {
    this.fadump = new Fadump(this);
  }

  get mem() {
    return this.machine.memory;
  }

  get order(): ByteOrder {
    return this.config.order;
  }

  get release(): Release {
    return releaseOf(this.config.kernel);
  }

  /** What this kernel's release does in fadump (kernel-model/releases.ts). */
  get behaviour(): KernelBehaviour {
    return behaviourOf(this.release);
  }

  /** Boots from the device tree blob at fdtAddr (what firmware passes in r3). */
  boot(fdtAddr: number): void {
    this.bootNs = this.machine.clock.now();
    const head = FDT_HEADER.decode(this.mem.read(fdtAddr, FDT_HEADER.size));
    this.dt = decodeDtb(this.mem.read(fdtAddr, head.totalsize)).root;
    this.cmdline = this.dt.find('/chosen')?.getString('bootargs') ?? '';
    this.scanMemory();
    loadKernelImage(this.mem, {
      order: this.order,
      memoryEnd: this.memblock.endOfDram(),
      osrelease: this.osrelease,
    });
    this.ring = new PrintkRing(this.mem, this.order);
    this.printk(KERN_INFO, '', this.banner());
    // early_init_devtree (fadump's scan and reservation) runs before start_kernel prints the
    // command line, which by then has the fadump kernel's additional parameters.
    this.fadump.earlyInit(this.fadumpPlatform());
    this.printk(KERN_INFO, '', `Kernel command line: ${this.cmdline}`);
    this.memmap = new Memmap(this.mem, {
      order: this.order,
      seed: this.machine.config.seed,
      maxAddress: this.machine.blocks.blocks.length * this.machine.config.lmbSize,
      usedBelow: Math.max(this.fadump.bootMemTop, 512 * 2 ** 20),
    });
    this.memmap.boot(this.memblock.memory, this.memblock.reserved);
    this.printk(
      KERN_INFO,
      '',
      `Memory: ${Math.floor(this.memblock.physMemSize() / 1024)}K/${Math.floor(this.memblock.physMemSize() / 1024)}K available`,
    );
    this.machine.clock.advance(1_500_000_000n);
    this.fadump.setup();
  }

  get osrelease(): string {
    return osrelease(this.release);
  }

  banner(): string {
    return linuxBanner(this.osrelease, this.order);
  }

  /** memblock from /memory@0 and the assigned LMBs of ibm,dynamic-memory-v2 (Linux drmem). */
  private scanMemory(): void {
    for (const node of this.dt.children.filter((c) => c.name.startsWith('memory@'))) {
      const reg = node.getCells('reg') ?? [];
      for (let i = 0; i + 3 < reg.length; i += 4) {
        const base = u64FromCells(reg, i);
        const size = u64FromCells(reg, i + 2);
        // early_init_drmem_lmb / early_init_dt_scan_memory_ppc: the range at 0 is the first block.
        if (base === 0 && !this.firstMemblockSize) this.firstMemblockSize = size;
        this.memblock.add(base, size);
      }
    }
    const dr = this.dt.find('/ibm,dynamic-reconfiguration-memory');
    const lmb = dr?.getCells('ibm,lmb-size');
    const v2 = dr?.getCells('ibm,dynamic-memory-v2');
    if (!lmb || !v2) {
      // No DLPAR (PowerNV): memory blocks are cut from the memory nodes; there are no DRC indexes,
      // so the block number stands in for one.
      this.lmbSize = POWERNV_MEMORY_BLOCK;
      for (const r of this.memblock.memory) {
        for (
          let base = r.base;
          base + POWERNV_MEMORY_BLOCK <= r.base + r.size;
          base += POWERNV_MEMORY_BLOCK
        ) {
          const block = base / POWERNV_MEMORY_BLOCK;
          this.lmbs.set(block, { drc: block, base, present: true, online: true });
        }
      }
      return;
    }
    const lmbSize = u64FromCells(lmb, 0);
    this.lmbSize = lmbSize;
    for (let i = 0, at = 1; i < v2[0]!; i++, at += 6) {
      const [count, , , drc, , flags] = v2.slice(at, at + 6) as Cells6;
      const assigned = (flags & 0x8) !== 0 && (flags & 0x80) === 0;
      const base = u64FromCells(v2, at + 1);
      for (let j = 0; j < count; j++) {
        this.lmbs.set(drc + j, {
          drc: drc + j,
          base: base + j * lmbSize,
          present: assigned,
          online: assigned,
        });
      }
      if (assigned) this.memblock.add(base, count * lmbSize);
    }
  }

  /** Logical CPUs from /cpus (one per interrupt server). */
  cpuCount(): number {
    let n = 0;
    for (const c of this.dt.find('/cpus')?.children ?? [])
      n += c.getCells('ibm,ppc-interrupt-server#s')?.length ?? 1;
    return n;
  }

  /** Seconds.microseconds since this boot, for printk timestamps. */
  uptimeNs(): bigint {
    return this.machine.clock.now() - this.bootNs;
  }

  printk(level: number, prefix: string, text: string): void {
    const line = prefix ? `${prefix}: ${text}` : text;
    const record = this.ring.append(this.uptimeNs(), level, line);
    this.console.push(formatDmesgLine(record));
    if (level <= KERN_WARNING) this.complaints.push(line);
    this.machine.clock.advance(10_000n);
  }

  /**
   * ppc64_rma_size with the hash MMU (hash__setup_initial_memory_limit in an LPAR on POWER9 or
   * later): the first memory block, at most 1 TiB.
   */
  rmaSize(): number {
    return Math.min(this.firstMemblockSize, 2 ** 40);
  }

  /**
   * early_parse_mem, as parse_early_param runs it: the last `mem=` sets memory_limit, rounded up to
   * a page (memparse, PAGE_ALIGN); then early_init_devtree clamps first_memblock_size to it.
   */
  parseMemoryLimit(): void {
    for (const tok of this.cmdline.split(/\s+/))
      if (tok.startsWith('mem=')) this.memoryLimit = pageAlign(memparse(tok.slice(4)).value, PAGE_SIZE);
    if (this.memoryLimit) this.firstMemblockSize = Math.min(this.firstMemblockSize, this.memoryLimit);
  }

  /**
   * early_init_devtree after the reservations: memblock_enforce_memory_limit cuts memory and
   * reserved at the address where `limit` bytes of memory are reached; the LMBs above it are not
   * this kernel's. Before 6.10 the limit is memory_limit (or all memory) rounded up to a page; from
   * 6.10 a limit above memory is dropped and the limit rounded down to 16 MiB.
   */
  enforceMemoryLimit(): void {
    const phys = this.memblock.physMemSize();
    let limit: number;
    if (this.behaviour.memoryLimitAlign === 'page-up') limit = pageAlign(this.memoryLimit || phys, PAGE_SIZE);
    else {
      if (this.memoryLimit > phys) this.memoryLimit = 0;
      this.memoryLimit = Math.floor((this.memoryLimit || phys) / (16 * MiB)) * (16 * MiB);
      limit = this.memoryLimit;
    }
    // ASSUMPTION: a fadump kernel's own limit cuts its dump too: from 6.10 it builds the elfcorehdr
    // from its memblock (for_each_mem_range), so memory above the limit is not in /proc/vmcore.
    const maxAddr = this.memblock.enforceLimit(limit);
    if (maxAddr === undefined) return;
    // Assigned LMBs above the cut have no memory block here; unassigned ones may still be hot-added.
    for (const [drc, lmb] of this.lmbs) if (lmb.present && lmb.base >= maxAddr) this.lmbs.delete(drc);
  }

  cmdlineParam(name: string): string | undefined {
    for (const tok of this.cmdline.split(/\s+/)) {
      if (tok === name) return '';
      if (tok.startsWith(`${name}=`)) return tok.slice(name.length + 1);
    }
    return undefined;
  }

  rtasToken(name: string): number | undefined {
    return this.dt.find('/rtas')?.getCells(name)?.[0];
  }

  /**
   * rtas_call: writes struct rtas_args in memory, enters RTAS, reads the status; retries while
   * firmware answers busy (-2) or extended delay (990x), advancing the clock as rtas_busy_delay does.
   */
  rtasCall(token: number, args: readonly number[], nret = 1): number[] {
    const mem = this.mem;
    for (let attempt = 0; ; attempt++) {
      mem.writeU32(RTAS_ARGS_ADDR, token, 'be');
      mem.writeU32(RTAS_ARGS_ADDR + 4, args.length, 'be');
      mem.writeU32(RTAS_ARGS_ADDR + 8, nret, 'be');
      args.forEach((a, i) => mem.writeU32(RTAS_ARGS_ADDR + 12 + i * 4, a, 'be'));
      const retAt = RTAS_ARGS_ADDR + 12 + args.length * 4;
      for (let i = 0; i < nret; i++) mem.writeU32(retAt + i * 4, 0, 'be');
      this.rtasCalls++;
      if (!this.rtas) return [-1];
      this.rtas.enter(RTAS_ARGS_ADDR);
      const rets = Array.from({ length: nret }, (_, i) => mem.readU32(retAt + i * 4, 'be') | 0);
      const status = rets[0]!;
      // rtas_busy_delay: busy is retried after 1 ms, extended delay 990x after 10^x ms.
      const delayMs =
        status === RtasStatus.Busy
          ? 1
          : status >= RtasStatus.ExtendedDelay0 && status <= RtasStatus.ExtendedDelay5
            ? 10 ** (status - RtasStatus.ExtendedDelay0)
            : 0;
      if (delayMs === 0 || attempt >= 10_000) return rets;
      this.machine.clock.advance(BigInt(delayMs) * 1_000_000n);
    }
  }

  /** rtas_os_term(msg): terminate the partition; with fadump registered, firmware takes the dump. */
  osTerm(message: string): void {
    const token = this.rtasToken('ibm,os-term');
    if (token === undefined || !this.dt.find('/rtas')?.get('ibm,extended-os-term')) return;
    this.mem.write(RTAS_MSG_ADDR, new TextEncoder().encode(`${message}\0`));
    this.rtasCall(token, [RTAS_MSG_ADDR]);
  }

  /**
   * Kernel panic on `cpu`: every CPU gets the registers it has at that moment, the panic is
   * logged, and the panic notifier hands over to fadump (crash_fadump), which terminates through
   * firmware. Returns the crashing CPU's registers as crash_fadump saved them.
   */
  panic(cpu: number, message: string): Registers {
    const cpus = this.machine.cpus;
    const target = cpus[cpu];
    if (!target) throw new RangeError(`no CPU ${cpu}`);
    for (const c of cpus) c.regs = this.runningRegisters(c, c === target);
    this.currentCpu = cpu;
    this.machine.events.emit('kernel', 'panic', { cpu, message });
    this.printk(KERN_INFO, 'sysrq', 'Trigger a crash');
    this.printk(KERN_EMERG, '', `Kernel panic - not syncing: ${message}`);
    this.printk(
      KERN_WARNING,
      '',
      `CPU: ${cpu} PID: ${1000 + cpu} Comm: bash Not tainted ${this.osrelease} #1`,
    );
    const saved = structuredClone(target.regs);
    this.fadump.crash(cpu, saved, message);
    this.halted = true;
    return saved;
  }

  /**
   * A system reset (NMI) on every CPU, as from the HMC or `virsh inject-nmi`: each CPU takes the
   * 0x100 interrupt where it was running; system_reset_exception sends it through the crash-dump
   * code, and `cpu` is the one that wins crash_fadump's cmpxchg (Linux arch/powerpc/kernel/fadump.c). The saved
   * registers are the interrupted context, not panic()'s; nothing is printed before the dump.
   */
  systemReset(cpu: number): Registers {
    const cpus = this.machine.cpus;
    const target = cpus[cpu];
    if (!target) throw new RangeError(`no CPU ${cpu}`);
    for (const c of cpus) c.regs = { ...this.runningRegisters(c, false), trap: SYSTEM_RESET_TRAP };
    this.currentCpu = cpu;
    this.machine.events.emit('kernel', 'nmi', { cpu });
    const saved = structuredClone(target.regs);
    this.fadump.crash(cpu, saved, 'System Reset');
    this.halted = true;
    return saved;
  }

  /** The fadump backend early_init_dt_scan_fw_dump picks from the device tree: OPAL, RTAS or none. */
  private fadumpPlatform(): { rtas: RtasFadump } | { opal: OpalFadump } | undefined {
    if (this.dt.find('/ibm,opal') && this.opal) return { opal: new OpalFadump(this, this.fadump, this.opal) };
    if (this.dt.find('/rtas')?.get('ibm,configure-kernel-dump'))
      return { rtas: new RtasFadump(this, this.fadump) };
    return undefined;
  }

  /** Plausible, seed-determined register state of a CPU running kernel code. */
  private runningRegisters(c: CpuThread, crashing: boolean): Registers {
    const rng = this.machine.rng;
    const r = zeroRegisters();
    const text = (off: number) => KERNEL_VBASE + BigInt(off);
    r.gpr = r.gpr.map(() => rng.u64());
    r.gpr[1] =
      KERNEL_VBASE + BigInt(STACKS_ADDR + c.id * STACK_SIZE + STACK_SIZE - 0x200 - rng.int(0, 31) * 16);
    r.gpr[2] = text(0x0180_0000); // TOC
    r.gpr[13] = KERNEL_VBASE + BigInt(0x0300_0000 + c.id * 0x400); // paca
    r.nip = text(crashing ? 0x0012_3450 : 0x0001_0000 + rng.int(0, 0xffff) * 4);
    r.lr = text(0x0002_0000 + rng.int(0, 0xffff) * 4);
    r.ctr = text(0x0004_0000 + rng.int(0, 0xffff) * 4);
    r.msr = MSR_KERNEL | (this.order === 'le' ? MSR_LE : 0n);
    r.cr = BigInt(rng.int(0, 0x7fffffff));
    r.xer = BigInt(rng.int(0, 0xffff)) << 16n;
    r.dar = crashing ? 0n : rng.u64() & 0xfffffffffff0n;
    r.dsisr = BigInt(rng.int(0, 0xffff)) << 16n;
    r.trap = crashing ? 0x300n : 0x900n;
    r.softe = 1n;
    r.orig_gpr3 = r.gpr[3]!;
    for (const k of Object.keys(r.spr) as (keyof typeof r.spr)[]) r.spr[k] = rng.u64() & 0xffffffffn;
    r.spr.PVR = 0x0080_0200n;
    r.spr.CFAR = text(0x0005_0000 + rng.int(0, 0xffff) * 4);
    return r;
  }

  /** The crashing CPU's registers once it is inside rtas_os_term (what firmware saves for it). */
  enterFirmware(cpu: number): void {
    const c = this.machine.cpus[cpu]!;
    c.regs = {
      ...structuredClone(c.regs),
      nip: KERNEL_VBASE + 0x0006_7890n,
      lr: KERNEL_VBASE + 0x0006_7800n,
    };
  }

  private uevent(action: Uevent['action'], lmb: Lmb): void {
    // pseries memory blocks are one LMB each (pseries_memory_block_size).
    const block = lmb.base / this.lmbSize;
    this.uevents.push({ t: this.machine.clock.now(), action, block });
    this.machine.events.emit('kernel', 'uevent', { action, block });
  }

  /**
   * DLPAR memory add (pseries hotplug-memory): the hotplug event names the LMBs by DRC index; each
   * is added to memblock and onlined, with an add and an online uevent.
   */
  hotplugAdd(drcIndexes: readonly number[]): number {
    this.printk(KERN_INFO, 'pseries-hotplug-mem', `Attempting to hot-add ${drcIndexes.length} LMB(s)`);
    let added = 0;
    for (const drc of drcIndexes) {
      const lmb = this.lmbs.get(drc);
      if (!lmb || lmb.present) continue;
      this.memblock.add(lmb.base, this.lmbSize);
      this.memmap.add(lmb.base, this.lmbSize);
      this.memmap.online(lmb.base, this.lmbSize);
      lmb.present = true;
      lmb.online = true;
      this.uevent('add', lmb);
      this.uevent('online', lmb);
      added++;
    }
    return added;
  }

  /**
   * LMBs that may be removed or offlined: not fadump memory (is_fadump_memory_area) and no pages
   * that cannot migrate (kernel data, slab, page tables), highest first.
   */
  private removableLmbs(): Lmb[] {
    return [...this.lmbs.values()]
      .filter(
        (l) =>
          l.present &&
          !this.fadump.isFadumpMemoryArea(l.base, this.lmbSize) &&
          !this.memmap.unmovable(l.base, this.lmbSize) &&
          // The parameter area is memblock-reserved (PG_reserved): its block cannot go offline.
          !(this.fadump.paramArea >= l.base && this.fadump.paramArea < l.base + this.lmbSize),
      )
      .sort((a, b) => b.base - a.base);
  }

  /**
   * DLPAR memory remove by count: all or nothing, as dlpar_memory_remove_by_count. Returns the DRC
   * indexes released, for firmware to unassign, or undefined when too few LMBs are removable.
   */
  hotplugRemove(count: number, drcIndexes?: readonly number[]): number[] | undefined {
    this.printk(KERN_INFO, 'pseries-hotplug-mem', `Attempting to hot-remove ${count} LMB(s)`);
    const removable = this.removableLmbs();
    const wanted = drcIndexes && new Set(drcIndexes);
    const picked = wanted ? removable.filter((l) => wanted.has(l.drc)) : removable.slice(0, count);
    if (picked.length < count) {
      this.printk(
        KERN_ERR,
        'pseries-hotplug-mem',
        `Not enough LMBs available (${picked.length} of ${count}) to satisfy request`,
      );
      return undefined;
    }
    for (const lmb of picked) {
      if (lmb.online) this.uevent('offline', lmb);
      lmb.online = false;
      this.memmap.offline(lmb.base, this.lmbSize);
      this.memmap.remove(lmb.base, this.lmbSize);
      this.memblock.remove(lmb.base, this.lmbSize);
      lmb.present = false;
      this.uevent('remove', lmb);
    }
    return picked.map((l) => l.drc);
  }

  /** Onlines or offlines `count` memory blocks, highest removable first, through their sysfs state files. */
  setOnline(count: number, online: boolean): number {
    const picked = this.removableLmbs()
      .filter((l) => l.online !== online)
      .slice(0, count);
    for (const lmb of picked)
      this.sysfsWrite(
        `/sys/devices/system/memory/memory${lmb.base / this.lmbSize}/state`,
        online ? 'online' : 'offline',
      );
    return picked.length;
  }

  /** Reads a sysfs file: /sys/kernel/fadump/* or /sys/devices/system/memory/memoryN/state. */
  sysfsRead(path: string): string | undefined {
    const fadump = fadumpFile(path);
    if (fadump) return this.fadump.sysfsRead(fadump);
    const lmb = this.memoryBlock(path);
    return lmb ? `${lmb.online ? 'online' : 'offline'}\n` : undefined;
  }

  /** Writes a sysfs file; returns 0 or a negative errno. */
  sysfsWrite(path: string, value: string): number {
    const fadump = fadumpFile(path);
    if (fadump) return this.fadump.sysfsWrite(fadump, value);
    const lmb = this.memoryBlock(path);
    if (!lmb) return -Errno.ENOENT;
    const want = value.trim();
    if (want !== 'online' && want !== 'offline') return -Errno.EINVAL;
    const online = want === 'online';
    if (lmb.online === online) return 0;
    // Memory fadump relies on cannot go offline (is_fadump_memory_area).
    if (!online && this.fadump.isFadumpMemoryArea(lmb.base, this.lmbSize)) return -Errno.EBUSY;
    // offline_pages fails on pages it cannot migrate.
    if (!online && this.memmap.unmovable(lmb.base, this.lmbSize)) return -Errno.EBUSY;
    if (online) this.memmap.online(lmb.base, this.lmbSize);
    else this.memmap.offline(lmb.base, this.lmbSize);
    lmb.online = online;
    this.uevent(want, lmb);
    return 0;
  }

  private memoryBlock(path: string): Lmb | undefined {
    const m = /^\/sys\/devices\/system\/memory\/memory(\d+)\/state$/.exec(path);
    if (!m) return undefined;
    const base = Number(m[1]) * this.lmbSize;
    return [...this.lmbs.values()].find((l) => l.present && l.base === base);
  }

  onlineCpus(): number[] {
    return this.machine.cpus.filter((c) => c.online).map((c) => c.id);
  }
}

/**
 * The /sys/kernel/fadump file a path names: /sys/kernel/fadump/NAME, or one of the links kept for
 * old tools (/sys/kernel/fadump_enabled, fadump_registered, fadump_release_mem).
 */
function fadumpFile(path: string): string | undefined {
  const m = /^\/sys\/kernel\/fadump\/([a-z_]+)$/.exec(path);
  if (m) return m[1];
  const link = /^\/sys\/kernel\/(fadump_[a-z_]+)$/.exec(path);
  return link ? LEGACY_LINKS[link[1]!] : undefined;
}
