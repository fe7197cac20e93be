// Linux firmware-assisted dump, both generations: the generic part, arch/powerpc/kernel/fadump.c.
// `Fadump` is the state Linux keeps in `fw_dump`, and the entry points the rest of the kernel calls.
// The work is in one file per job: the reservation (fadump-reserve.ts); registration, the crash
// info header and crash_fadump (fadump-register.ts); the fadump kernel's validation, elfcorehdr and
// CPU notes (fadump-capture.ts); release and sysfs (fadump-release.ts). The platform backends are
// rtas-fadump.ts (pSeries) and opal-fadump.ts (PowerNV).

import type { Registers } from '../emulator/cpu-thread.ts';
import type { Range } from '../emulator/memory-blocks.ts';
import { sizeOf } from '../emulator/ranges.ts';
import type { StructValue } from '../emulator/struct.ts';
import type { DUMP_SECTION } from '../firmware/rtas/fadump-structs.ts';
import { CRASH_INFO_HEADER, CRASH_INFO_HEADER_OLD } from './crash-info-header.ts';
import type { PtRegs } from './elf.ts';
import { buildElfcorehdr } from './elfcorehdr.ts';
import type { FadumpBackend, FirmwareScan } from './fadump-backend.ts';
import { processDump, writeCpuNotes } from './fadump-capture.ts';
import { appendBootargs, setupParamArea } from './fadump-param.ts';
import { crash, headerWritable, initHeader } from './fadump-register.ts';
import { invalidateReleaseMem, sysfsRead, sysfsWrite } from './fadump-release.ts';
import { areaSize, elfcorehdrBudget, memBoundary, reserveCrashArea, reserveMem } from './fadump-reserve.ts';
import { injectedFaults } from './faults.ts';
import type { Kernel } from './kernel.ts';
import { Errno, KERN_INFO } from './kernel-consts.ts';
import type { OpalFadump } from './opal-fadump.ts';
import type { RtasFadump } from './rtas-fadump.ts';

const F = 'fadump';

export type { CrashState } from './fadump-register.ts';

export type Section = StructValue<typeof DUMP_SECTION.fields>;

export type CaptureOutcome =
  | { status: 'captured' }
  | { status: 'refused'; reason: string }
  | { status: 'none' };

export interface CpuNoteInfo {
  cpu: number;
  pid: number;
  regs: bigint[];
}

export class Fadump {
  supported = false;
  enabled = false;
  nocma = false;
  dumpActive = false;
  registered = false;
  cpuStateSize = 0;
  hpteSize = 0;
  bootMemSize = 0;
  bootMemRegions: Range[] = [];
  bootMemTop = 0;
  bootMemDestAddr = 0;
  reserveStart = 0;
  reserveSize = 0;
  fadumphdrAddr = 0;
  cpuStateDest = 0;
  /** memblock.memory.cnt when the reservation was sized (the legacy elfcorehdr budget). */
  earlyMemblockCount = 0;
  /** The RTAS backend passes additional parameters (fw_dump.param_area_supported; not OPAL). */
  paramAreaSupported = false;
  /** fw_dump.param_area: the additional-parameters area (fadump-param.ts), 0 when there is none. */
  paramArea = 0;
  /** Whether /sys/kernel/fadump/bootargs_append was created. */
  bootargsAppendFile = false;
  /** Whether /sys/kernel/fadump was created (setup_fadump, when fadump is supported). */
  sysfsDir = false;
  /** Whether /sys/kernel/fadump/release_mem was created (a dump was waiting at boot). */
  releaseMemFile = false;
  /** Sections of the dump firmware took (capture kernel), from /rtas/ibm,kernel-dump. */
  activeSections: Section[] = [];
  activeHeaderStatus = 0;
  /** Set when /proc/vmcore is available (capture kernel after a successful process). */
  elfcorehdrAddr: number | undefined;
  elfcorehdrSize = 0;
  outcome: CaptureOutcome = { status: 'none' };
  /** Size of the elfcorehdr the legacy first kernel wrote at its last registration. */
  legacyElfcorehdrBytes = 0;
  /** Largest number of elfcorehdr bytes a legacy registration wrote past the reserved area. */
  elfcorehdrOverflowBytes = 0;
  notes: CpuNoteInfo[] = [];

  /** The OPAL backend on PowerNV; undefined on pSeries (RTAS). */
  opal: OpalFadump | undefined;
  /** The RTAS backend on pSeries; undefined on PowerNV. */
  rtas: RtasFadump | undefined;
  /** The platform's backend (rtas or opal), as Linux's fw_dump.ops. */
  backend: FadumpBackend | undefined;

  constructor(readonly k: Kernel) {}

  get bootMemMin(): number {
    return this.backend?.minBootMem ?? 0;
  }

  get maxBootMemRegions(): number {
    return this.backend?.maxBootMemRegions ?? 1;
  }

  /** Largest region firmware copies in one entry: OPAL sizes are 32 bits. */
  get maxCopySize(): number {
    return this.backend?.maxCopySize ?? Number.MAX_SAFE_INTEGER;
  }

  get le(): boolean {
    return this.k.order === 'le';
  }

  // ---- early boot ------------------------------------------------------------------------------

  /**
   * early_init_dt_scan_fw_dump + fadump_reserve_mem, with the platform's backend the kernel found in
   * the device tree (none when the firmware offers no fadump).
   */
  earlyInit(platform: { rtas: RtasFadump } | { opal: OpalFadump } | undefined): void {
    this.earlyMemblockCount = this.k.memblock.memory.length;
    this.rtas = platform && 'rtas' in platform ? platform.rtas : undefined;
    this.opal = platform && 'opal' in platform ? platform.opal : undefined;
    this.backend = this.rtas ?? this.opal;
    const found = this.backend?.scan();
    this.supported = found !== undefined;
    this.paramAreaSupported = this.supported && this.backend!.paramAreaSupported;
    if (found) this.adopt(found);
    // The parameters go on the command line before early parameters are parsed.
    if (this.k.behaviour.appendBootargs) appendBootargs(this);
    // parse_early_param: mem= (so the appended parameters may carry it), then fadump=.
    this.k.parseMemoryLimit();
    const arg = this.k.cmdlineParam('fadump');
    this.enabled = arg === 'on' || arg === 'nocma';
    this.nocma = arg === 'nocma';
    this.reserve();
    this.k.enforceMemoryLimit();
    // From 6.13 early_init_devtree sets the area up once the MMU is known, fadump on or not.
    if (this.k.behaviour.paramAreaSetup === 'early_init_devtree') setupParamArea(this);
  }

  /** fadump_reserve_mem. */
  private reserve(): void {
    if (!this.enabled) return;
    if (!this.supported) {
      this.k.printk(KERN_INFO, F, 'Firmware-Assisted Dump is not supported on this hardware');
      this.enabled = false;
      return;
    }
    if (this.dumpActive) {
      memBoundary(this);
      this.k.printk(KERN_INFO, F, 'Firmware-assisted dump is active.');
      reserveCrashArea(this);
      this.reserveSize = this.areaSize();
      return;
    }
    reserveMem(this);
  }

  /** What the backend's scan found, kept in fw_dump: the section sizes and a waiting dump's layout. */
  private adopt(found: FirmwareScan): void {
    this.cpuStateSize = found.cpuStateSize;
    this.hpteSize = found.hpteSize;
    const d = found.active;
    if (!d) return;
    this.dumpActive = true;
    this.bootMemRegions = d.bootMemRegions;
    this.bootMemSize = sizeOf(d.bootMemRegions);
    // fadump_get_config: boot memory with its holes ends where the last region does.
    const last = d.bootMemRegions.at(-1);
    this.bootMemTop = last ? last.base + last.size : 0;
    this.bootMemDestAddr = d.bootMemDestAddr;
    this.reserveStart = d.reserveStart;
    this.fadumphdrAddr = d.fadumphdrAddr;
    this.cpuStateDest = d.cpuStateDest ?? 0;
    this.activeSections = d.sections ?? [];
    this.activeHeaderStatus = d.headerStatus ?? 0;
    this.paramArea = d.paramArea ?? 0;
  }

  /** Whether the first kernel builds the elfcorehdr, at registration (before Linux 6.10). */
  get legacy(): boolean {
    return this.k.behaviour.elfcorehdrBuiltBy === 'first-kernel';
  }

  get headerSize(): number {
    return this.k.behaviour.header === 'old' ? CRASH_INFO_HEADER_OLD.size : CRASH_INFO_HEADER.size;
  }

  /** get_fadump_area_size (fadump-reserve.ts). */
  areaSize(): number {
    return areaSize(this);
  }

  /** Bytes the legacy first kernel sets aside for its elfcorehdr (fadump-reserve.ts). */
  elfcorehdrBudget(): number {
    return elfcorehdrBudget(this);
  }

  // ---- registration (first kernel) -------------------------------------------------------------

  /** setup_fadump: process a waiting dump, or register for a future one. */
  setup(): void {
    if (!this.supported) return;
    // fadump_init_files: /sys/kernel/fadump (kept if registration later finds no support),
    // release_mem with a dump waiting, bootargs_append (from 6.13) with an area.
    this.sysfsDir = true;
    this.releaseMemFile = this.dumpActive;
    if (this.k.behaviour.paramAreaSetup === 'early_init_devtree' && this.paramArea)
      this.bootargsAppendFile = true;
    // setup_fadump returns early unless fadump=on: a waiting dump then stays untouched.
    if (!this.enabled) return;
    if (this.dumpActive) {
      processDump(this);
      return;
    }
    if (this.reserveSize > 0) {
      if (this.k.behaviour.paramAreaSetup === 'setup_fadump') setupParamArea(this);
      this.register();
    }
  }

  /** is_fadump_memory_area: the range holds boot memory or the reserved area (not removable). */
  isFadumpMemoryArea(base: number, size: number): boolean {
    if (!this.registered || size === 0) return false;
    const raEnd = this.reserveStart + this.reserveSize;
    return (base + size > this.reserveStart && base <= raEnd) || base <= this.bootMemTop;
  }

  /** fadump_relocate: where a boot-memory address lives after firmware copied it. */
  relocate(paddr: number): number {
    let dest = this.bootMemDestAddr;
    for (const r of this.bootMemRegions) {
      if (paddr >= r.base && paddr < r.base + r.size) return dest + (paddr - r.base);
      dest += r.size;
    }
    return paddr;
  }

  /** register_fadump + rtas_fadump_register. Returns 0 or a negative errno. */
  register(): number {
    if (!this.enabled || this.reserveSize === 0) return -Errno.ENODEV;
    return this.backend!.register();
  }

  /** unregister_fadump through the platform backend. */
  unregister(): number {
    if (!this.backend!.unregister()) return -Errno.EIO;
    this.setRegistered(false);
    return 0;
  }

  /** fw_dump.dump_registered, with an event for logs and the report's timeline. */
  setRegistered(on: boolean): void {
    this.registered = on;
    this.k.machine.events.emit('kernel', on ? 'fadump-registered' : 'fadump-unregistered', {
      boot: this.k.machine.bootCount,
    });
  }

  /** Whether the crash info header can be written where the reservation puts it (fadump-register.ts). */
  headerWritable(): boolean {
    return headerWritable(this);
  }

  /** init_fadump_header (fadump-register.ts). */
  initHeader(): void {
    initHeader(this);
  }

  // ---- crash (first kernel) --------------------------------------------------------------------

  /** crash_fadump (fadump-register.ts). */
  crash(cpu: number, regs: Registers, message: string): void {
    crash(this, cpu, regs, message);
  }

  // ---- capture kernel --------------------------------------------------------------------------

  /** The CPU notes and phdr[0] (fadump_update_elfcore_header; fadump-capture.ts). */
  writeCpuNotes(
    notes: { cpu: number; regs: PtRegs }[],
    crashing: number,
    notesSize: number,
    elfcorehdrAt: number,
  ): void {
    writeCpuNotes(this, notes, crashing, notesSize, elfcorehdrAt);
  }

  /** The ELF core header for this kernel's release and memory (kernel-model/elfcorehdr.ts). */
  elfcorehdr(vmcoreinfoAddr: bigint, vmcoreinfoSize: bigint): Uint8Array {
    const offByOne = injectedFaults.has('boot-mem-off-by-one') && this.bootMemRegions.length > 1;
    return buildElfcorehdr({
      order: this.k.order,
      style: this.legacy ? 'first-kernel' : 'fadump-kernel',
      vmcoreinfo: { addr: vmcoreinfoAddr, size: vmcoreinfoSize },
      bootMemRegions: offByOne ? this.bootMemRegions.slice(0, -1) : this.bootMemRegions,
      bootMemDestAddr: this.bootMemDestAddr,
      bootMemTop: this.bootMemTop,
      reservedArea: { base: this.reserveStart, size: this.areaSize() },
      memory: this.k.memblock.memory,
    });
  }

  // ---- release and sysfs (fadump-release.ts) ---------------------------------------------------

  /** fadump_invalidate_release_mem. */
  invalidateReleaseMem(): void {
    invalidateReleaseMem(this);
  }

  sysfsRead(name: string): string | undefined {
    return sysfsRead(this, name);
  }

  /** Writes a /sys/kernel/fadump file; returns 0 or a negative errno. */
  sysfsWrite(name: string, value: string): number {
    return sysfsWrite(this, name, value);
  }
}
