// Linux firmware-assisted dump, both generations: the generic part, arch/powerpc/kernel/fadump.c.
// First kernel: size and place the reservation, write the crash info header, register through the
// platform backend, and on panic fill the header and hand over to firmware. Capture kernel: find
// the dump, validate, build the elfcorehdr, serve /proc/vmcore, release. The platform backends are
// rtas-fadump.ts (pSeries) and opal-fadump.ts (PowerNV). Layouts, sizes, messages: Linux arch/powerpc/kernel/fadump.c.

import type { Registers } from '../emulator/cpu-thread.ts';
import { u64FromCells } from '../emulator/device-tree.ts';
import type { Range } from '../emulator/memory-blocks.ts';
import type { ByteOrder, StructValue } from '../emulator/struct.ts';
import type { DUMP_SECTION } from '../firmware/rtas/fadump-structs.ts';
import {
  CPUMASK_BYTES,
  CRASH_INFO_HEADER,
  CRASH_INFO_HEADER_OLD,
  cpumaskOf,
  FADUMP_CPU_UNKNOWN,
  FADUMP_CRASH_INFO_MAGIC,
  FADUMP_CRASH_INFO_MAGIC_OLD,
  FADUMP_HEADER_VERSION,
  PT_REGS_BYTES,
} from './crash-info-header.ts';
import {
  ELF64_EHDR,
  ELF64_NHDR,
  ELF64_PHDR,
  PT_NOTE,
  PT_REGS,
  type PtRegs,
  prstatusNote,
  ptRegsFromRegisters,
} from './elf.ts';
import { buildElfcorehdr } from './elfcorehdr.ts';
import type { FadumpBackend } from './fadump-backend.ts';
import { injectedFaults } from './faults.ts';
import { hash016, hashx, MiB, memparse, pageAlign } from './format.ts';
import type { Kernel } from './kernel.ts';
import { Errno, KERN_ERR, KERN_INFO, KERN_WARNING } from './kernel-consts.ts';
import { CPU_NOTES_ADDR, ELFCOREHDR_ADDR, ELFCOREHDR_MAX } from './kernel-layout.ts';
import type { OpalFadump } from './opal-fadump.ts';
import type { RtasFadump } from './rtas-fadump.ts';
import { appendCrashTime, VMCOREINFO_NOTE_SIZE } from './vmcoreinfo.ts';
import { PAGE_SIZE, SYMBOLS } from './vmlinux.ts';

/** MAX_BOOT_MEM_RATIO: crashkernel= is capped at a quarter of RAM. */
const MAX_BOOT_MEM_RATIO = 4;
/** Simulated wall clock at power-on (CRASHTIME is real time in seconds). */
const EPOCH_SECONDS = 1_767_225_600n;

const F = 'fadump';

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

  constructor(private k: Kernel) {}

  private get bootMemMin(): number {
    return this.backend?.minBootMem ?? 0;
  }

  private get maxBootMemRegions(): number {
    return this.backend?.maxBootMemRegions ?? 1;
  }

  /** Largest region firmware copies in one entry: OPAL sizes are 32 bits. */
  private get maxCopySize(): number {
    return this.backend?.maxCopySize ?? Number.MAX_SAFE_INTEGER;
  }

  private get le(): boolean {
    return this.k.order === 'le';
  }

  // ---- early boot ------------------------------------------------------------------------------

  /**
   * early_init_dt_scan_fw_dump + fadump_reserve_mem, with the platform's backend the kernel found in
   * the device tree (none when the firmware offers no fadump).
   */
  earlyInit(platform: { rtas: RtasFadump } | { opal: OpalFadump } | undefined): void {
    this.earlyMemblockCount = this.k.memblock.memory.length;
    const arg = this.k.cmdlineParam('fadump');
    this.enabled = arg === 'on' || arg === 'nocma';
    this.nocma = arg === 'nocma';
    this.rtas = platform && 'rtas' in platform ? platform.rtas : undefined;
    this.opal = platform && 'opal' in platform ? platform.opal : undefined;
    this.backend = this.rtas ?? this.opal;
    this.supported = this.backend?.scan() ?? false;
    if (!this.enabled) return;
    if (!this.supported) {
      this.k.printk(KERN_INFO, F, 'Firmware-Assisted Dump is not supported on this hardware');
      this.enabled = false;
      return;
    }
    if (this.dumpActive) {
      this.k.printk(KERN_INFO, F, 'Firmware-assisted dump is active.');
      this.reserveCrashArea();
      this.reserveSize = this.areaSize();
      return;
    }
    this.reserve();
  }

  /** fadump_calculate_reserve_size. */
  private calculateReserveSize(): number {
    const phys = this.k.memblock.physMemSize();
    const old = this.k.cmdlineParam('fadump_reserve_mem');
    const oldSize = old !== undefined ? memparse(old) : undefined;
    if (old !== undefined) {
      this.k.printk(
        KERN_WARNING,
        F,
        "'fadump_reserve_mem=' parameter is deprecated in favor of 'crashkernel=' parameter.",
      );
    }
    const ck = this.k.cmdlineParam('crashkernel');
    let size = ck !== undefined ? (memparse(ck.split('@')[0]!) ?? 0) : 0;
    if (size > 0) {
      if (old !== undefined)
        this.k.printk(KERN_INFO, F, "Using 'crashkernel=' parameter for memory reservation.");
      const max = Math.floor(phys / MAX_BOOT_MEM_RATIO);
      if (size > max) {
        size = max;
        this.k.printk(KERN_INFO, F, `Adjusted boot memory size to ${Math.floor(size / MiB)}MB`);
      }
      return size;
    }
    if (oldSize) return oldSize;
    size = Math.floor(phys / 20);
    size -= size % 0x1000_0000;
    return Math.max(size, this.bootMemMin);
  }

  /** fadump_get_boot_mem_regions: boot memory from address 0 over real RAM, skipping holes. */
  private bootMemoryRegions(): boolean {
    this.bootMemRegions = [];
    let remaining = this.bootMemSize;
    let holes = 0;
    let lastEnd = 0;
    for (const r of this.k.memblock.memory) {
      holes += r.base - lastEnd;
      const take = Math.min(r.size, remaining);
      // Each range is split into pieces firmware can copy in one entry.
      for (let off = 0; off < take; off += this.maxCopySize) {
        if (this.bootMemRegions.length >= this.maxBootMemRegions) return false;
        this.bootMemRegions.push({ base: r.base + off, size: Math.min(this.maxCopySize, take - off) });
      }
      remaining -= take;
      lastEnd = r.base + r.size;
      if (remaining === 0) break;
    }
    this.bootMemTop = pageAlign(this.bootMemSize + holes, PAGE_SIZE);
    return remaining === 0;
  }

  /** Whether the first kernel builds the elfcorehdr, at registration (before Linux 6.10). */
  get legacy(): boolean {
    return this.k.generation.elfcorehdrBuiltBy === 'first-kernel';
  }

  private get headerSize(): number {
    return this.k.generation.header === 'old' ? CRASH_INFO_HEADER_OLD.size : CRASH_INFO_HEADER.size;
  }

  /**
   * get_fadump_area_size: CPU + HPTE page-aligned, the boot memory copy, the crash info header.
   * Before 6.10 also room for the elfcorehdr, sized from the memblock count at early boot (one
   * placeholder note, the vmcoreinfo note, one load per range and one spare), page-aligned.
   */
  areaSize(): number {
    const base =
      pageAlign(this.cpuStateSize + this.hpteSize, PAGE_SIZE) +
      this.bootMemSize +
      this.headerSize +
      (this.backend?.metadataSize() ?? 0);
    if (!this.legacy) return base;
    return pageAlign(base + this.elfcorehdrBudget(), PAGE_SIZE);
  }

  /** Bytes the legacy first kernel set aside for its elfcorehdr. */
  elfcorehdrBudget(): number {
    return ELF64_EHDR.size + ELF64_PHDR.size + ELF64_PHDR.size * (this.earlyMemblockCount + 2);
  }

  /**
   * Whether the crash info header can be written where the reservation puts it. After a damaged dump
   * the fadump kernel's reservation comes from that dump's data and may point outside memory.
   * ASSUMPTION: Linux would fault writing the header there; the model refuses to register instead.
   */
  headerWritable(): boolean {
    if (this.k.mem.accessible(this.fadumphdrAddr, this.headerSize)) return true;
    this.k.printk(
      KERN_ERR,
      F,
      `Crash info header at ${hashx(this.fadumphdrAddr)} is outside memory: not registering`,
    );
    return false;
  }

  /** fadump_reserve_mem (first kernel). */
  private reserve(): void {
    const k = this.k;
    this.bootMemSize = pageAlign(this.calculateReserveSize(), PAGE_SIZE);
    if (this.bootMemSize < this.bootMemMin) {
      k.printk(
        KERN_ERR,
        F,
        `Can't enable fadump with boot memory size (${hashx(this.bootMemSize)}) less than ${hashx(this.bootMemMin)}`,
      );
      this.disable();
      return;
    }
    if (!this.bootMemoryRegions()) {
      k.printk(KERN_ERR, F, 'Too many holes in boot memory area to enable fadump');
      this.disable();
      return;
    }
    const size = this.areaSize();
    const base = this.locate(this.bootMemTop, size);
    if (base === undefined) {
      k.printk(KERN_ERR, F, 'Failed to find memory chunk for reservation!');
      this.disable();
      return;
    }
    k.memblock.reserve(base, size);
    this.reserveStart = base;
    this.reserveSize = size;
    k.printk(
      KERN_INFO,
      F,
      `Reserved ${Math.floor(size / MiB)}MB of memory at ${hash016(base)} (System RAM: ${Math.floor(k.memblock.physMemSize() / MiB)}MB)`,
    );
    if (!this.nocma) this.cmaInit();
  }

  private disable(): void {
    this.enabled = false;
    this.reserveSize = 0;
  }

  /** fadump_locate_reserve_mem: first fit in free memory at or above `from`, page-aligned. */
  private locate(from: number, size: number): number | undefined {
    // Firmware's reserved-ranges are skipped too.
    const firmware = this.firmwareReserved();
    for (const r of this.k.memblock.freeRanges()) {
      let start = pageAlign(Math.max(r.base, from), PAGE_SIZE);
      for (;;) {
        const clash = firmware.find((fr) => start < fr.base + fr.size && fr.base < start + size);
        if (!clash) break;
        start = pageAlign(clash.base + clash.size, PAGE_SIZE);
      }
      if (start + size <= r.base + r.size) return start;
    }
    return undefined;
  }

  /** The DT root reserved-ranges: pairs of 2-cell address and 2-cell size (skiboot's own memory). */
  private firmwareReserved(): Range[] {
    const cells = this.k.dt.getCells('reserved-ranges') ?? [];
    const out: Range[] = [];
    for (let i = 0; i + 3 < cells.length; i += 4) {
      out.push({ base: u64FromCells(cells, i), size: u64FromCells(cells, i + 2) });
    }
    return out;
  }

  /** fadump_cma_init: the boot-memory-sized part of the reservation is lent to CMA until a crash. */
  private cmaInit(): void {
    const align = 16 * MiB; // ASSUMPTION: CMA_MIN_ALIGNMENT_BYTES with 64K pages and 16M pageblocks
    const start = pageAlign(this.reserveStart, align);
    const end = Math.floor((this.reserveStart + this.bootMemSize) / align) * align;
    if (end <= start) {
      this.k.printk(KERN_WARNING, F, 'fadump_cma_init: Too less memory to give to CMA');
      return;
    }
    this.k.printk(
      KERN_INFO,
      F,
      `Initialized [${hashx(start)}, ${Math.floor((end - start) / MiB)}MB] cma area from [${hashx(this.reserveStart)}, ${Math.floor(this.bootMemSize / MiB)}MB] bytes of memory reserved for firmware-assisted dump`,
    );
  }

  /** fadump_reserve_crash_area (capture kernel): keep everything above boot memory untouched. */
  private reserveCrashArea(): void {
    for (const r of this.k.memblock.memory) {
      const start = Math.max(r.base, this.bootMemTop);
      const end = r.base + r.size;
      if (start >= end) continue;
      this.k.memblock.reserve(start, end - start);
      this.k.printk(
        KERN_INFO,
        F,
        `Reserving ${Math.floor((end - start) / MiB)}MB of memory at ${hash016(start)} for preserving crash data`,
      );
    }
  }

  // ---- registration (first kernel) -------------------------------------------------------------

  /** setup_fadump: process a waiting dump, or register for a future one. */
  setup(): void {
    // setup_fadump returns early unless fadump=on: a waiting dump then stays untouched.
    if (!this.enabled) return;
    if (this.dumpActive) {
      this.process();
      return;
    }
    if (this.reserveSize > 0) this.register();
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

  /**
   * init_fadump_header: the crash info header at fadumphdr_addr, in kernel byte order. Before 6.10
   * the first kernel also builds the elfcorehdr right after it (fadump_create_elfcore_headers).
   */
  initHeader(): void {
    const order = this.k.order;
    const possible = cpumaskOf(
      Array.from({ length: this.k.cpuCount() }, (_, i) => i),
      this.le,
    );
    if (this.legacy) {
      const elfAt = this.fadumphdrAddr + CRASH_INFO_HEADER_OLD.size;
      this.k.mem.write(
        this.fadumphdrAddr,
        CRASH_INFO_HEADER_OLD.encode(
          {
            magic_number: FADUMP_CRASH_INFO_MAGIC_OLD,
            elfcorehdr_addr: BigInt(elfAt),
            crashing_cpu: FADUMP_CPU_UNKNOWN,
            regs: new Uint8Array(PT_REGS_BYTES),
            cpu_mask: possible,
          },
          order,
        ),
      );
      const hdr = this.elfcorehdr(
        BigInt(this.relocate(SYMBOLS.vmcoreinfo_note)),
        BigInt(VMCOREINFO_NOTE_SIZE),
      );
      this.legacyElfcorehdrBytes = hdr.length;
      // Linux writes the headers whatever their size: past the reserved area they corrupt memory.
      const overflow = elfAt + hdr.length - (this.reserveStart + this.reserveSize);
      if (overflow > 0) {
        this.elfcorehdrOverflowBytes = Math.max(this.elfcorehdrOverflowBytes, overflow);
        this.k.machine.events.emit('kernel', 'elfcorehdr-overflow', {
          bytes: overflow,
          at: elfAt + hdr.length - overflow,
        });
      }
      this.k.mem.write(elfAt, hdr);
      return;
    }
    this.k.mem.write(
      this.fadumphdrAddr,
      CRASH_INFO_HEADER.encode(
        {
          magic_number: FADUMP_CRASH_INFO_MAGIC,
          version: FADUMP_HEADER_VERSION,
          crashing_cpu: FADUMP_CPU_UNKNOWN,
          vmcoreinfo_raddr: BigInt(this.relocate(SYMBOLS.vmcoreinfo_note!)),
          vmcoreinfo_size: BigInt(VMCOREINFO_NOTE_SIZE),
          pt_regs_sz: PT_REGS_BYTES,
          cpu_mask_sz: CPUMASK_BYTES,
          regs: new Uint8Array(PT_REGS_BYTES),
          cpu_mask: possible,
        },
        order,
      ),
    );
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

  // ---- crash (first kernel) --------------------------------------------------------------------

  /** crash_fadump: fill the header and hand over to firmware through ibm,os-term. */
  crash(cpu: number, regs: Registers, message: string): void {
    const k = this.k;
    if (!this.registered || this.fadumphdrAddr === 0) return;
    const order = k.order;
    const table = (this.k.generation.header === 'old'
      ? CRASH_INFO_HEADER_OLD
      : CRASH_INFO_HEADER) as unknown as CrashStateTable;
    const fdh = table.decode(k.mem.read(this.fadumphdrAddr, table.size), order);
    if (fdh.crashing_cpu !== FADUMP_CPU_UNKNOWN) return;
    fdh.crashing_cpu = cpu;
    const seconds = EPOCH_SECONDS + k.machine.clock.now() / 1_000_000_000n;
    appendCrashTime(k.mem, order, seconds);
    fdh.regs = PT_REGS.encode(ptRegsFromRegisters(regs), order);
    fdh.cpu_mask = cpumaskOf(k.onlineCpus(), this.le);
    fdh.crashing_cpu = this.backend!.crashingCpuId(cpu);
    k.mem.write(this.fadumphdrAddr, table.encode(fdh, order));
    k.enterFirmware(cpu);
    this.backend!.trigger(message);
  }

  // ---- capture kernel --------------------------------------------------------------------------

  /** fadump_process (6.10+): validate, build the elfcorehdr, let the platform add CPU notes. */
  private process(): void {
    const k = this.k;
    const refuse = (reason: string) => {
      this.outcome = { status: 'refused', reason };
      k.machine.events.emit('kernel', 'dump-refused', { reason });
      this.invalidateReleaseMem();
    };
    if (this.legacy) {
      const problem = this.legacyProcess();
      if (problem) refuse(problem);
      return;
    }
    if (this.fadumphdrAddr === 0 || !k.mem.accessible(this.fadumphdrAddr, CRASH_INFO_HEADER.size)) {
      k.printk(KERN_ERR, F, 'Crash info header is empty.');
      refuse('Crash info header is empty.');
      return;
    }
    const bytes = k.mem.read(this.fadumphdrAddr, CRASH_INFO_HEADER.size);
    const problem = this.headerProblem(bytes);
    if (problem) {
      k.printk(KERN_ERR, F, problem);
      refuse(problem);
      return;
    }
    const fdh = CRASH_INFO_HEADER.decode(bytes, k.order);
    const count = 2 + this.bootMemRegions.length + k.memblock.memory.length;
    const size = pageAlign(ELF64_EHDR.size + ELF64_PHDR.size * count, PAGE_SIZE);
    if (size > ELFCOREHDR_MAX) {
      const msg = `Failed to allocate ${size} bytes for elfcorehdr`;
      k.printk(KERN_ERR, F, msg);
      refuse(msg);
      return;
    }
    const hdr = new Uint8Array(size);
    hdr.set(this.elfcorehdr(fdh.vmcoreinfo_raddr, fdh.vmcoreinfo_size));
    k.mem.write(ELFCOREHDR_ADDR, hdr);
    const platform = this.backend!.process(fdh);
    if (platform) {
      refuse(platform);
      return;
    }
    this.elfcorehdrAddr = ELFCOREHDR_ADDR;
    this.elfcorehdrSize = size;
    this.captured();
  }

  /** /proc/vmcore is there: the elfcorehdr at elfcorehdrAddr describes the crashed kernel's memory. */
  private captured(): void {
    this.outcome = { status: 'captured' };
    this.k.machine.events.emit('kernel', 'vmcore-ready', {
      elfcorehdr: this.elfcorehdrAddr,
      bytes: this.elfcorehdrSize,
      notes: this.notes.length,
    });
  }

  /** is_fadump_header_compatible, in the kernel's order of checks. */
  private headerProblem(bytes: Uint8Array): string | undefined {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
    const magic = dv.getBigUint64(0, this.le);
    if (magic === FADUMP_CRASH_INFO_MAGIC_OLD) return "Old magic number, can't process the dump.";
    if (magic !== FADUMP_CRASH_INFO_MAGIC) {
      const swapped = dv.getBigUint64(0, !this.le);
      return swapped === FADUMP_CRASH_INFO_MAGIC
        ? 'Endianness mismatch between the crashed and fadump kernels.'
        : 'Fadump header is corrupted.';
    }
    const fdh = CRASH_INFO_HEADER.decode(bytes, this.k.order);
    if (fdh.pt_regs_sz !== PT_REGS_BYTES || fdh.cpu_mask_sz !== CPUMASK_BYTES)
      return 'Fadump header size mismatch.';
    return undefined;
  }

  /** The ELF core header for this kernel's generation and memory (kernel-model/elfcorehdr.ts). */
  private elfcorehdr(vmcoreinfoAddr: bigint, vmcoreinfoSize: bigint): Uint8Array {
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

  /**
   * rtas_fadump_process before 6.10: the header status must not be exactly 0x2000, CPU and boot
   * memory sections error-free, boot memory complete and some CPU state dumped; then the old magic;
   * then CPU notes go into the elfcorehdr the first kernel built. Returns the refusal, if any.
   */
  private legacyProcess(): string | undefined {
    const k = this.k;
    const fail = (msg: string) => {
      k.printk(KERN_ERR, this.backend!.prefix, msg);
      return msg;
    };
    // The RTAS section checks; OPAL has no sections to check.
    const invalid = this.backend!.legacyChecks();
    if (invalid) return invalid;
    const bytes = k.mem.read(this.fadumphdrAddr, CRASH_INFO_HEADER_OLD.size);
    const fdh = CRASH_INFO_HEADER_OLD.decode(bytes, k.order);
    if (fdh.magic_number !== FADUMP_CRASH_INFO_MAGIC_OLD) return fail('Crash info header is not valid.');
    const elfAt = Number(fdh.elfcorehdr_addr);
    if (!k.mem.accessible(elfAt, ELF64_EHDR.size + 2 * ELF64_PHDR.size))
      return fail('Crash info header is not valid.');
    const problem = this.backend!.buildCpuNotes(fdh, elfAt);
    if (problem) return problem;
    this.elfcorehdrAddr = elfAt;
    const eh = ELF64_EHDR.decode(k.mem.read(elfAt, ELF64_EHDR.size), k.order);
    this.elfcorehdrSize = Number(eh.e_phoff) + eh.e_phnum * ELF64_PHDR.size;
    this.captured();
    return undefined;
  }

  /**
   * Writes NT_PRSTATUS notes and the final empty note into the CPU notes buffer and points phdr[0]
   * of the elfcorehdr at it (fadump_update_elfcore_header). `cpu` is the id the platform uses for
   * the crashing CPU (logical id on pSeries, PIR on OPAL).
   */
  writeCpuNotes(
    notes: { cpu: number; regs: PtRegs }[],
    crashing: number,
    notesSize: number,
    elfcorehdrAt: number,
  ): void {
    const k = this.k;
    const mem = k.mem;
    if (k.config.notePids) {
      notes.sort((a, b) => Number(b.cpu === crashing) - Number(a.cpu === crashing));
    }
    if (injectedFaults.has('note-cpu-dropped') && notes.length > 1) notes.pop();
    const parts: Uint8Array[] = [];
    this.notes = [];
    for (const n of notes) {
      const pid = k.config.notePids ? n.cpu + 1 : 0;
      if (injectedFaults.has('note-wrong-nip') && n.cpu === crashing) n.regs = { ...n.regs, nip: 0n };
      parts.push(prstatusNote(n.regs, pid, k.order));
      this.notes.push({ cpu: n.cpu, pid, regs: ptRegsWords(PT_REGS.encode(n.regs, k.order), this.le) });
    }
    parts.push(new Uint8Array(ELF64_NHDR.size));
    const buf = new Uint8Array(notesSize);
    let off = 0;
    for (const p of parts) {
      buf.set(p, off);
      off += p.length;
    }
    mem.write(CPU_NOTES_ADDR, buf);
    // fadump_update_elfcore_header: phdr[0] now points at the notes buffer.
    mem.write(
      elfcorehdrAt + ELF64_EHDR.size,
      ELF64_PHDR.encode(
        {
          p_type: PT_NOTE,
          p_flags: 0,
          p_offset: BigInt(CPU_NOTES_ADDR),
          p_vaddr: 0n,
          p_paddr: BigInt(CPU_NOTES_ADDR),
          p_filesz: BigInt(notesSize),
          p_memsz: BigInt(notesSize),
          p_align: 0n,
        },
        k.order,
      ),
    );
  }

  /** fadump_invalidate_release_mem: invalidate the dump, release the memory, allow re-registration. */
  invalidateReleaseMem(): void {
    const k = this.k;
    if (!this.dumpActive) return;
    if (!this.backend!.invalidate()) return;
    this.dumpActive = false;
    this.elfcorehdrAddr = undefined;
    this.activeSections = [];
    const raStart = this.reserveStart;
    const raEnd = raStart + this.reserveSize;
    const firmware = this.firmwareReserved();
    const release = (from: number, to: number) => {
      // Firmware's reserved-ranges stay reserved.
      let pieces: Range[] = [{ base: from, size: to - from }];
      for (const fr of firmware) {
        pieces = pieces.flatMap((p) => {
          const end = p.base + p.size;
          const fEnd = fr.base + fr.size;
          if (fEnd <= p.base || fr.base >= end) return [p];
          return [
            { base: p.base, size: Math.max(0, fr.base - p.base) },
            { base: fEnd, size: Math.max(0, end - fEnd) },
          ];
        });
      }
      for (const p of pieces) {
        if (p.size <= 0) continue;
        k.printk(KERN_INFO, F, `freeing reserved memory (${hashx(p.base)} - ${hashx(p.base + p.size)})`);
      }
    };
    for (const m of k.memblock.memory) {
      const start = Math.max(m.base, this.bootMemTop);
      const end = m.base + m.size;
      if (start >= end) continue;
      if (raStart < end && raEnd > start) {
        release(start, Math.max(start, raStart));
        release(Math.min(end, raEnd), end);
      } else release(start, end);
    }
    k.memblock.reserved.splice(0, k.memblock.reserved.length);
    k.memblock.reserve(raStart, this.reserveSize);
    this.enabled = k.cmdlineParam('fadump') === 'on' || k.cmdlineParam('fadump') === 'nocma';
  }

  // ---- sysfs -----------------------------------------------------------------------------------

  sysfsRead(name: string): string | undefined {
    switch (name) {
      case 'enabled':
        return `${this.enabled ? 1 : 0}\n`;
      case 'registered':
        return `${this.registered ? 1 : 0}\n`;
      case 'mem_reserved':
        return `${this.reserveSize}\n`;
      case 'hotplug_ready':
        return this.k.generation.hotplugReady ? '1\n' : undefined;
      default:
        return undefined;
    }
  }

  /** Writes a /sys/kernel/fadump file; returns 0 or a negative errno. */
  sysfsWrite(name: string, value: string): number {
    const v = value.trim();
    switch (name) {
      case 'registered':
        if (!this.enabled || this.dumpActive) return -Errno.EPERM;
        if (v === '0') return this.registered ? this.unregister() : 0;
        if (v === '1') {
          if (this.registered) {
            const rc = this.unregister();
            if (rc) return rc;
          }
          return this.register();
        }
        return -Errno.EINVAL;
      case 'release_mem':
        if (!this.dumpActive) return -Errno.EPERM;
        if (v !== '1') return -Errno.EINVAL;
        this.k.machine.events.emit('kernel', 'dump-released', {});
        this.invalidateReleaseMem();
        return 0;
      default:
        return -Errno.ENOENT;
    }
  }
}

/** What crash_fadump fills in and the CPU-notes code reads: common to both header layouts. */
export interface CrashState {
  crashing_cpu: number;
  regs: Uint8Array;
  cpu_mask: Uint8Array;
}

interface CrashStateTable {
  size: number;
  decode(bytes: Uint8Array, order: ByteOrder): CrashState;
  encode(value: CrashState, order: ByteOrder): Uint8Array;
}

function ptRegsWords(bytes: Uint8Array, le: boolean): bigint[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: 48 }, (_, i) => v.getBigUint64(i * 8, le));
}
