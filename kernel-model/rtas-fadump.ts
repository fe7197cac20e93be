// The pSeries backend of the kernel's fadump (arch/powerpc/platforms/pseries/rtas-fadump.c): the
// RTAS dump structure the kernel registers through ibm,configure-kernel-dump, the dump firmware
// presents in /rtas/ibm,kernel-dump, the section checks and the CPU notes built from the register
// save area. The generic part (reservation, header, elfcorehdr, sysfs) is fadump.ts.

import { u64FromCells } from '../emulator/device-tree.ts';
import { sizeOf } from '../emulator/ranges.ts';
import { asciiU64 } from '../emulator/struct.ts';
import {
  DUMP_HEADER,
  DUMP_SECTION,
  encodeDumpStructure,
  REG_ENTRY,
  REGSAVE_MAGIC,
  SECTION_TYPE,
  type SectionRequest,
} from '../firmware/rtas/fadump-structs.ts';
import { RtasStatus } from '../firmware/rtas/rtas.ts';
import { cpumaskHas } from './crash-info-header.ts';
import { NOTE_BUF_BYTES, PT_REGS } from './elf.ts';
import type { CrashState, Fadump, Section } from './fadump.ts';
import type { ActiveDump, FadumpBackend, FirmwareScan } from './fadump-backend.ts';
import { COMMAND_LINE_SIZE } from './fadump-param.ts';
import { pageAlign, u64 } from './format.ts';
import type { Kernel } from './kernel.ts';
import { Errno, KERN_ERR, KERN_INFO, KERN_WARNING } from './kernel-consts.ts';
import { CPU_NOTES_MAX, ELFCOREHDR_ADDR, FDM_ADDR } from './kernel-layout.ts';
import { PAGE_SIZE } from './vmlinux.ts';

/** RTAS_FADUMP_MIN_BOOT_MEM: 256 MiB + 64 MiB (rtas-fadump.h). */
export const RTAS_FADUMP_MIN_BOOT_MEM = 0x1400_0000;
/** RTAS_FADUMP_MAX_BOOT_MEM_REGS: 10 sections − CPU − HPTE − parameter area. */
export const RTAS_FADUMP_MAX_BOOT_MEM_REGS = 7;
/** sizeof(struct rtas_fadump_mem_struct) in 6.10+: header + rgn[10]. */
const FDM_STRUCT_SIZE = DUMP_HEADER.size + 10 * DUMP_SECTION.size;
/** Where the capture kernel keeps its copy of /rtas/ibm,kernel-dump (fdm_active). */
const FDM_ACTIVE_ADDR = FDM_ADDR + 0x1000;
const FADUMP_REGISTER = 1;
const FADUMP_UNREGISTER = 2;
const FADUMP_INVALIDATE = 3;

const F = 'fadump';
const R = 'rtas fadump';

/** Register save area ids the kernel uses for CPUs other than the crashing one (rtas-fadump.c). */
const RTAS_REG_MAP: Record<string, string> = {
  NIA: 'nip',
  MSR: 'msr',
  CTR: 'ctr',
  LR: 'link',
  XER: 'xer',
  CR: 'ccr',
  DAR: 'dar',
  DSISR: 'dsisr',
};

/** "src addr: 0x%llx dest addr: 0x%llx" of rtas_fadump_process's warnings. */
const addrs = (s: Section) =>
  `src addr: 0x${s.source_address.toString(16)} dest addr: 0x${s.destination_address.toString(16)}`;

/** The named registers' ids, each compared whole as rtas_fadump_set_regval does. */
const NAMED_REGS = new Map(Object.entries(RTAS_REG_MAP).map(([id, name]) => [asciiU64(id), name]));
const GPR_MASK = 0xffffff0000000000n;
const GPR = asciiU64('GPR');

/**
 * rtas_fadump_gpr_index: an id "GPR" followed by two characters is the GPR those two name, read
 * as a NUL-terminated string by kstrtoint (so "GPR7" is GPR 7 and "GPR+5" GPR 5; the rest of the
 * id is not looked at); -1 otherwise, and for an index above 31.
 */
export function gprIndex(id: bigint): number {
  if ((id & GPR_MASK) !== GPR) return -1;
  const chars = [Number((id >> 32n) & 0xffn), Number((id >> 24n) & 0xffn)];
  const end = chars.indexOf(0);
  const text = String.fromCharCode(...(end < 0 ? chars : chars.slice(0, end))).replace(/\n$/, '');
  if (!/^[+-]?\d+$/.test(text)) return -1;
  const i = Number(text);
  return i > 31 ? -1 : i;
}

const CPUSTRT = asciiU64('CPUSTRT');
const CPUEND = asciiU64('CPUEND');

export class RtasFadump implements FadumpBackend {
  readonly paramAreaSupported = true;
  readonly prefix = R;
  readonly minBootMem = RTAS_FADUMP_MIN_BOOT_MEM;
  readonly maxBootMemRegions = RTAS_FADUMP_MAX_BOOT_MEM_REGS;
  readonly maxCopySize = Number.MAX_SAFE_INTEGER;

  constructor(
    private k: Kernel,
    private f: Fadump,
  ) {}

  private get le(): boolean {
    return this.k.order === 'le';
  }

  /**
   * The RTAS part of early_init_dt_scan_fw_dump: section sizes from
   * ibm,configure-kernel-dump-sizes, and a waiting dump from ibm,kernel-dump. fadump is supported
   * when the call is there.
   */
  scan(): FirmwareScan | undefined {
    const rtas = this.k.dt.find('/rtas');
    if (!rtas) return undefined;
    const found: FirmwareScan = { cpuStateSize: 0, hpteSize: 0 };
    const sizes = rtas.getCells('ibm,configure-kernel-dump-sizes') ?? [];
    for (let i = 0; i + 2 < sizes.length; i += 3) {
      const size = u64FromCells(sizes, i + 1);
      if (sizes[i] === SECTION_TYPE.CpuState) found.cpuStateSize = size;
      if (sizes[i] === SECTION_TYPE.Hpte) found.hpteSize = size;
    }
    const active = rtas.get('ibm,kernel-dump');
    if (active) {
      this.k.printk(KERN_INFO, R, 'Firmware-assisted dump is active.');
      found.active = this.getConfig(active);
    }
    return found;
  }

  /** rtas_fadump_get_config: the layout of the dump from the ibm,kernel-dump property. */
  private getConfig(prop: Uint8Array): ActiveDump {
    const active = new Uint8Array(Math.max(prop.length, FDM_STRUCT_SIZE));
    active.set(prop.subarray(0, Math.min(prop.length, FDM_STRUCT_SIZE)));
    this.k.mem.write(FDM_ACTIVE_ADDR, active.subarray(0, FDM_STRUCT_SIZE));
    const dump: Required<ActiveDump> = {
      paramArea: 0,
      bootMemRegions: [],
      bootMemDestAddr: 0,
      reserveStart: 0,
      fadumphdrAddr: 0,
      cpuStateDest: 0,
      sections: [],
      headerStatus: 0,
    };
    if (prop.length < DUMP_HEADER.size) return dump;
    const header = DUMP_HEADER.decode(prop);
    dump.headerStatus = header.dump_status_flag;
    const n = Math.min(
      header.dump_num_sections,
      10,
      Math.floor((prop.length - DUMP_HEADER.size) / DUMP_SECTION.size),
    );
    for (let i = 0; i < n; i++) {
      const s = DUMP_SECTION.decode(prop, 'be', DUMP_HEADER.size + i * DUMP_SECTION.size);
      dump.sections.push(s);
      const src = Number(s.source_address);
      switch (s.source_data_type) {
        case SECTION_TYPE.CpuState:
          dump.cpuStateDest = Number(s.destination_address);
          dump.reserveStart = dump.cpuStateDest;
          break;
        case SECTION_TYPE.Hpte:
          break;
        case SECTION_TYPE.RealModeRegion:
          if (src === 0) dump.bootMemDestAddr = Number(s.destination_address);
          dump.bootMemRegions.push({ base: src, size: Number(s.source_len) });
          break;
        case SECTION_TYPE.ParamArea:
          // Before 6.10 only the three fixed sections are read: a fourth is not looked at.
          if (this.k.behaviour.appendBootargs) dump.paramArea = Number(s.destination_address);
          break;
        default:
          this.k.printk(
            KERN_WARNING,
            R,
            `Section type ${s.source_data_type} unsupported on this kernel. Ignoring!`,
          );
      }
    }
    dump.fadumphdrAddr = dump.bootMemDestAddr + sizeOf(dump.bootMemRegions);
    return dump;
  }

  /** rtas_fadump_init_mem_struct: CPU state, HPTE, then one section per boot-memory region. */
  initMemStruct(): Uint8Array | undefined {
    const sections: SectionRequest[] = [];
    let dest = this.f.reserveStart - (this.f.reserveStart % PAGE_SIZE);
    const section = (type: number, src: number, len: number, to: number) =>
      sections.push({ type, source: u64(src), length: u64(len), destination: u64(to) });
    this.f.cpuStateDest = dest;
    section(SECTION_TYPE.CpuState, 0, this.f.cpuStateSize, dest);
    dest += this.f.cpuStateSize;
    section(SECTION_TYPE.Hpte, 0, this.f.hpteSize, dest);
    dest = pageAlign(dest + this.f.hpteSize, PAGE_SIZE);
    this.f.bootMemDestAddr = dest;
    // Before 6.10 one real-mode region from 0, boot_memory_size long, holes or not (firmware
    // refuses one that spans a hole).
    const regions =
      this.k.behaviour.bootMemoryRegions === 'one'
        ? [{ base: 0, size: this.f.bootMemSize }]
        : this.f.bootMemRegions;
    for (const r of regions) {
      section(SECTION_TYPE.RealModeRegion, r.base, r.size, dest);
      dest += r.size;
    }
    // The additional-parameters area, preserved where it is (source and destination the same).
    if (this.f.paramArea)
      section(SECTION_TYPE.ParamArea, this.f.paramArea, COMMAND_LINE_SIZE, this.f.paramArea);
    this.f.fadumphdrAddr = this.f.bootMemDestAddr + this.f.bootMemSize;
    return encodeDumpStructure(sections);
  }

  /** rtas_fadump_register: the structure in memory, then ibm,configure-kernel-dump(1). */
  register(): number {
    const k = this.k;
    const f = this.f;
    const fdm = this.initMemStruct();
    if (!fdm || !f.headerWritable()) return -Errno.EINVAL;
    f.initHeader();
    k.mem.write(FDM_ADDR, fdm);
    const token = k.rtasToken('ibm,configure-kernel-dump')!;
    const rc = k.rtasCall(token, [FADUMP_REGISTER, FDM_ADDR, fdm.length])[0]!;
    switch (rc) {
      case RtasStatus.Success:
        k.printk(KERN_INFO, R, 'Registration is successful!');
        f.setRegistered(true);
        return 0;
      case RtasStatus.HardwareError:
        k.printk(KERN_ERR, R, `Failed to register. Hardware Error(${rc}).`);
        return -Errno.EIO;
      case RtasStatus.ParameterError:
        // Why, as far as the kernel can tell: holes in boot memory (before 6.10, which registers it
        // as one region) or in the reserved area.
        if (k.behaviour.bootMemoryRegions === 'one' && f.bootMemRegions.length > 1)
          k.printk(KERN_ERR, R, "Can't have holes in boot memory area.");
        else if (!k.memblock.isContiguous(f.reserveStart, f.reserveSize))
          k.printk(KERN_ERR, R, "Can't have holes in reserved memory area.");
        k.printk(KERN_ERR, R, `Failed to register. Parameter Error(${rc}).`);
        return -Errno.EINVAL;
      case RtasStatus.DumpAlreadyRegistered:
        k.printk(KERN_ERR, R, 'Already registered!');
        f.registered = true;
        return -Errno.EEXIST;
      default:
        k.printk(KERN_ERR, R, `Failed to register. Unknown Error(${rc}).`);
        return -Errno.EIO;
    }
  }

  /** No metadata beyond the dump structure, which lives in kernel data. */
  metadataSize(): number {
    return 0;
  }

  /** rtas_fadump_unregister: ibm,configure-kernel-dump(2). */
  unregister(): boolean {
    const k = this.k;
    const token = k.rtasToken('ibm,configure-kernel-dump')!;
    const rc = k.rtasCall(token, [FADUMP_UNREGISTER, FDM_ADDR, FDM_STRUCT_SIZE])[0]!;
    if (rc !== 0) k.printk(KERN_ERR, R, `Failed to un-register - unexpected error(${rc}).`);
    return rc === RtasStatus.Success;
  }

  /** The header records the logical CPU id. */
  crashingCpuId(cpu: number): number {
    return cpu;
  }

  /** rtas_fadump_invalidate: ibm,configure-kernel-dump(3) on fdm_active. Whether it succeeded. */
  invalidate(): boolean {
    const k = this.k;
    const token = k.rtasToken('ibm,configure-kernel-dump')!;
    const rc = k.rtasCall(token, [FADUMP_INVALIDATE, FDM_ACTIVE_ADDR, FDM_STRUCT_SIZE])[0]!;
    if (rc !== 0) k.printk(KERN_ERR, R, `Failed to invalidate - unexpected error (${rc}).`);
    return rc === RtasStatus.Success;
  }

  /** rtas_fadump_trigger: rtas_os_term(msg); with a dump registered, firmware takes it. */
  trigger(message: string): void {
    this.k.osTerm(message);
  }

  /**
   * The section checks of rtas_fadump_process before 6.10: the header status must not be exactly
   * 0x2000, the CPU and boot-memory sections error-free and complete. The refusal, if any.
   */
  legacyChecks(): string | undefined {
    const f = this.f;
    const cpu = f.activeSections.find((s) => s.source_data_type === SECTION_TYPE.CpuState);
    const rmr = f.activeSections.find((s) => s.source_data_type === SECTION_TYPE.RealModeRegion);
    const fail = (msg: string) => {
      this.k.printk(KERN_ERR, R, msg);
      return msg;
    };
    if (f.activeHeaderStatus === 0x2000 || (cpu?.error_flags ?? 1) !== 0 || (rmr?.error_flags ?? 1) !== 0)
      return fail('Dump taken by platform is not valid');
    if (rmr!.bytes_dumped !== rmr!.source_len || cpu!.bytes_dumped === 0n)
      return fail('Dump taken by platform is incomplete');
    return undefined;
  }

  /**
   * rtas_fadump_process: every CPU/HPTE/boot-memory section must be error-free and complete; then
   * the CPU notes are built from the register save area. Returns the refusal reason, if any.
   */
  process(fdh: CrashState): string | undefined {
    const k = this.k;
    for (const [i, s] of this.f.activeSections.entries()) {
      const t = s.source_data_type;
      if (t === SECTION_TYPE.CpuState || t === SECTION_TYPE.Hpte || t === SECTION_TYPE.RealModeRegion) {
        // Both checks print; the first failure is the refusal.
        const msgs: string[] = [];
        if (s.error_flags !== 0) msgs.push(`Dump taken by platform is not valid (${i})`);
        if (s.bytes_dumped !== s.source_len) msgs.push(`Dump taken by platform is incomplete (${i})`);
        for (const m of msgs) k.printk(KERN_ERR, R, m);
        if (msgs.length) {
          k.printk(KERN_WARNING, R, `Region type: ${t} ${addrs(s)}`);
          return msgs[0];
        }
      } else if (t === SECTION_TYPE.ParamArea) {
        if (s.bytes_dumped !== s.source_len || s.error_flags !== 0) {
          k.printk(KERN_WARNING, R, 'Failed to process additional parameters! Proceeding anyway..');
          this.f.paramArea = 0;
        }
      } else {
        k.printk(KERN_WARNING, R, `Unknown region found: type: ${t} ${addrs(s)}`);
      }
    }
    return this.buildCpuNotes(fdh, ELFCOREHDR_ADDR);
  }

  /** rtas_fadump_build_cpu_notes: NT_PRSTATUS per CPU in the crash-time mask; patch phdr[0]. */
  buildCpuNotes(fdh: CrashState, elfcorehdrAt: number): string | undefined {
    const k = this.k;
    const mem = k.mem;
    const base = this.f.cpuStateDest;
    const cpuSection = this.f.activeSections.find((s) => s.source_data_type === SECTION_TYPE.CpuState);
    const limit = base + Number(cpuSection?.bytes_dumped ?? 0n);
    // The area read at once when all of it can be; else entry by entry, as far as they can be.
    const area =
      limit > base && mem.accessible(base, limit - base) ? mem.read(base, limit - base) : undefined;
    const readEntry = (at: number) => {
      if (at < base || at + REG_ENTRY.size > limit) return undefined;
      if (area) return REG_ENTRY.decode(area.subarray(at - base, at - base + REG_ENTRY.size));
      return mem.accessible(at, REG_ENTRY.size) ? REG_ENTRY.decode(mem.read(at, REG_ENTRY.size)) : undefined;
    };
    const magic = readEntry(base);
    if (!magic || magic.reg_id !== REGSAVE_MAGIC) {
      k.printk(KERN_ERR, R, 'Unable to read register save area.');
      return 'Unable to read register save area.';
    }
    const numOff = Number(readEntry(base + 8)?.reg_id ?? 0n) >>> 0;
    const numCpusAt = base + numOff;
    if (numCpusAt + 4 > limit) {
      k.printk(KERN_ERR, R, 'Unable to read CPU state data');
      return 'Unable to read CPU state data';
    }
    const numCpus = mem.readU32(numCpusAt, 'be');
    const notesSize = pageAlign(numCpus * NOTE_BUF_BYTES, PAGE_SIZE);
    if (notesSize > CPU_NOTES_MAX || numCpus === 0) {
      const msg = `Failed to allocate ${notesSize} bytes for CPU notes buffer`;
      k.printk(KERN_ERR, F, msg);
      return msg;
    }
    const regsPtRegs = PT_REGS.decode(fdh.regs, k.order);
    const notes: { cpu: number; regs: ReturnType<typeof PT_REGS.decode> }[] = [];
    let at = numCpusAt + 4;
    for (let i = 0; i < numCpus; i++) {
      const start = readEntry(at);
      if (!start || start.reg_id !== CPUSTRT) {
        k.printk(KERN_ERR, R, 'Unable to read CPU state data');
        return 'Unable to read CPU state data';
      }
      const cpu = Number(start.reg_value & 0xffffffffn);
      at += REG_ENTRY.size;
      const regs = PT_REGS.zero();
      const r = regs as unknown as Record<string, bigint | bigint[]>;
      for (let e = readEntry(at); e && e.reg_id !== CPUEND; e = readEntry(at)) {
        const gpr = gprIndex(e.reg_id);
        if (gpr >= 0) (r.gpr as bigint[])[gpr] = e.reg_value;
        const name = NAMED_REGS.get(e.reg_id);
        if (name) r[name] = e.reg_value;
        at += REG_ENTRY.size;
      }
      if (!readEntry(at)) {
        k.printk(KERN_ERR, R, 'Unable to read CPU state data');
        return 'Unable to read CPU state data';
      }
      at += REG_ENTRY.size;
      if (!cpumaskHas(fdh.cpu_mask, cpu, this.le)) continue;
      notes.push({ cpu, regs: cpu === fdh.crashing_cpu ? regsPtRegs : regs });
    }
    this.f.writeCpuNotes(notes, fdh.crashing_cpu, notesSize, elfcorehdrAt);
    return undefined;
  }
}
