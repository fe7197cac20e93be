// The OPAL (PowerNV) backend of Linux fadump, arch/powerpc/platforms/powernv/opal-fadump.c, 6.10+:
// registration through tags and one MPIPL add-range per boot-memory region, the trigger through
// OPAL_CEC_REBOOT2(MPIPL), and on the dump boot the kernel metadata and CPU state found through the
// tags. Linux opal-fadump.c, skiboot core/opal-dump.c and doc/mpipl.rst

import { u64FromCells } from '../emulator/device-tree.ts';
import { defineStruct } from '../emulator/struct.ts';
import { MpiplOp, MpiplTag } from '../firmware/opal/mpipl.ts';
import {
  HDAT_CORE_INACTIVE,
  HDAT_REG,
  HDAT_REG_ENTRY,
  HDAT_SPR,
  HDAT_THREAD_HEADER,
  OPAL_MPIPL_FADUMP,
  OPAL_MPIPL_REGION,
} from '../firmware/opal/mpipl-structs.ts';
import { type OpalEntry, OpalStatus, OpalToken } from '../firmware/opal/opal.ts';
import { RebootType } from '../firmware/opal/skiboot-firmware.ts';
import { NOTE_BUF_BYTES, PT_REGS, type PtRegs } from './elf.ts';
import type { CrashState, Fadump } from './fadump.ts';
import type { FadumpBackend, FirmwareScan } from './fadump-backend.ts';
import { hashx, pageAlign, u64 } from './format.ts';
import type { Kernel } from './kernel.ts';
import { Errno, KERN_ERR, KERN_INFO, KERN_WARNING } from './kernel-consts.ts';
import { CPU_NOTES_MAX, ELFCOREHDR_ADDR } from './kernel-layout.ts';
import { PAGE_SIZE } from './symbols.ts';

/** OPAL_FADUMP_MIN_BOOT_MEM: kernel and initrd are loaded at 512 MiB (256 MiB each). */
export const OPAL_FADUMP_MIN_BOOT_MEM = 0x3000_0000;
export const FADUMP_MAX_MEM_REGS = 128;
/** max_copy_size: OPAL's MDST size field is 32 bits, so ALIGN_DOWN(U32_MAX, PAGE_SIZE). */
export const OPAL_MAX_COPY_SIZE = Math.floor(0xffff_ffff / PAGE_SIZE) * PAGE_SIZE;

const P = 'opal fadump';

/** HDAT_FADUMP_CPU_DATA_VER: the CPU state data format the kernel reads. */
const HDAT_FADUMP_CPU_DATA_VER = 1;
/** FADUMP_CPU_UNKNOWN: the crashing CPU when no kernel crash path recorded one. */
const FADUMP_CPU_UNKNOWN = 0xffff_ffff;

/** struct opal_fadump_mem_struct: the kernel metadata registered through tag KERNEL (packed, BE). */
export const OPAL_FADUMP_MEM_STRUCT = defineStruct({
  name: 'opal_fadump_mem_struct',
  size: 16 + 24 * FADUMP_MAX_MEM_REGS,
  order: 'be',
  spec: 'Linux arch/powerpc/platforms/powernv/opal-fadump.h',
  fields: [
    { name: 'version', type: 'u8', doc: 'OPAL_FADUMP_VERSION (1)' },
    { name: 'reserved', type: 'bytes', size: 3, doc: '', reserved: true },
    { name: 'region_cnt', type: 'u16', doc: 'boot-memory regions' },
    { name: 'registered_regions', type: 'u16', doc: 'regions OPAL accepted' },
    { name: 'fadumphdr_addr', type: 'u64', doc: 'address of the crash info header' },
    { name: 'rgn', type: 'u64', count: 3 * FADUMP_MAX_MEM_REGS, doc: 'regions: (src, dest, size) × 128' },
  ],
} as const);

/** ASSUMPTION: where the kernel receives QUERY_TAG answers (a u64 in kernel data). */
const TAG_ANSWER_ADDR = 0x0810_3000;
/** ASSUMPTION: the reboot message buffer. */
const MSG_ADDR = 0x0810_3100;

export class OpalFadump implements FadumpBackend {
  readonly paramAreaSupported = false;
  readonly prefix = P;
  readonly minBootMem = OPAL_FADUMP_MIN_BOOT_MEM;
  readonly maxBootMemRegions = FADUMP_MAX_MEM_REGS;
  readonly maxCopySize = OPAL_MAX_COPY_SIZE;
  kernelMetadata = 0;
  cpuMetadata = 0;

  constructor(
    private k: Kernel,
    private f: Fadump,
    private opal: OpalEntry,
  ) {}

  /** The kernel metadata takes the last page(s) of the reservation. */
  metadataSize(): number {
    return pageAlign(OPAL_FADUMP_MEM_STRUCT.size, PAGE_SIZE);
  }

  private call(token: number, ...args: (number | bigint)[]): number {
    this.k.opalCalls++;
    return this.opal.call(token, args.map(BigInt), this.k.machine.cpus[this.k.currentCpu]!.pir);
  }

  private queryTag(tag: number): bigint | undefined {
    const rc = this.call(OpalToken.MpiplQueryTag, tag, TAG_ANSWER_ADDR);
    return rc === OpalStatus.Success ? this.k.mem.readU64(TAG_ANSWER_ADDR, 'be') : undefined;
  }

  /**
   * opal_fadump_dt_scan: support from /ibm,opal/dump (compatible, fw-load-area below the minimum
   * boot memory); on an mpipl-boot, the dump described by the kernel metadata tag.
   */
  scan(): FirmwareScan | undefined {
    const dump = this.k.dt.find('/ibm,opal/dump');
    const found: FirmwareScan = { cpuStateSize: 0, hpteSize: 0 };
    if (!dump) return undefined;
    if (dump.getString('compatible') !== 'ibm,opal-dump') {
      this.k.printk(KERN_ERR, P, 'Support missing for this f/w version!');
      return undefined;
    }
    const load = dump.getCells('fw-load-area') ?? [];
    for (let i = 0; i + 3 < load.length; i += 4) {
      const base = u64FromCells(load, i);
      const end = base + u64FromCells(load, i + 2);
      if (end > OPAL_FADUMP_MIN_BOOT_MEM) {
        this.k.printk(KERN_ERR, P, `F/W load area: ${hashx(base)}-${hashx(end)}`);
        this.k.printk(KERN_ERR, P, 'F/W version not supported!');
        return undefined;
      }
    }
    if (!dump.get('mpipl-boot')) return found;
    const rcMeta = this.call(OpalToken.MpiplQueryTag, MpiplTag.Kernel, TAG_ANSWER_ADDR);
    const meta = rcMeta === OpalStatus.Success ? this.k.mem.readU64(TAG_ANSWER_ADDR, 'be') : undefined;
    if (meta === undefined || meta === 0n) {
      this.k.printk(KERN_ERR, P, `Failed to get Kernel metadata (${rcMeta})`);
      return found;
    }
    const addr = Number(meta);
    if (!this.k.mem.accessible(addr, OPAL_FADUMP_MEM_STRUCT.size)) return found;
    const md = OPAL_FADUMP_MEM_STRUCT.decode(this.k.mem.read(addr, OPAL_FADUMP_MEM_STRUCT.size));
    if (md.version !== 1) {
      this.k.printk(KERN_ERR, P, `Supported kernel metadata version: 1, found: ${md.version}!`);
      this.k.printk(
        KERN_ERR,
        P,
        'WARNING: Kernel metadata format mismatch identified! Core file maybe corrupted..',
      );
    }
    if (md.registered_regions === 0) return found;
    this.cpuMetadata = Number(this.queryTag(MpiplTag.Cpu) ?? 0n);
    this.kernelMetadata = addr;
    this.k.printk(KERN_INFO, P, 'Firmware-assisted dump is active.');
    // opal_fadump_get_config
    const n = Math.min(md.region_cnt, FADUMP_MAX_MEM_REGS);
    const bootMemRegions: { base: number; size: number }[] = [];
    for (let i = 0; i < n; i++) {
      const [src, , size] = md.rgn.slice(3 * i, 3 * i + 3).map(Number) as [number, number, number];
      bootMemRegions.push({ base: src, size });
    }
    const dest = n > 0 ? Number(md.rgn[1]) : 0;
    if (md.region_cnt > md.registered_regions) {
      const warn = (msg: string) => this.k.printk(KERN_WARNING, P, msg);
      warn('Not all memory regions were saved!!!');
      warn('  Unsaved memory regions:');
      for (let i = md.registered_regions; i < n; i++) {
        const [src, , size] = md.rgn.slice(3 * i, 3 * i + 3);
        warn(`\t[${String(i).padStart(3, '0')}] base: 0x${src!.toString(16)}, size: 0x${size!.toString(16)}`);
      }
      warn(
        'If the unsaved regions only contain pages that are filtered out (eg. free/user pages), the vmcore should still be usable.',
      );
      warn('WARNING: If the unsaved regions contain kernel pages, the vmcore will be corrupted.');
    }
    found.active = {
      bootMemRegions,
      bootMemDestAddr: dest,
      reserveStart: dest,
      fadumphdrAddr: Number(md.fadumphdr_addr),
    };
    return found;
  }

  /** opal_fadump_init_mem_struct: regions copied back to back from the reservation start. */
  initMemStruct(): void {
    const f = this.f;
    this.kernelMetadata = f.reserveStart + f.reserveSize - this.metadataSize();
    f.bootMemDestAddr = f.reserveStart;
    f.fadumphdrAddr = f.reserveStart + f.bootMemSize;
    this.writeMetadata(0);
  }

  private writeMetadata(registered: number): void {
    const f = this.f;
    const rgn = new Array<bigint>(3 * FADUMP_MAX_MEM_REGS).fill(0n);
    let dest = f.bootMemDestAddr;
    f.bootMemRegions.forEach((r, i) => {
      rgn[3 * i] = u64(r.base);
      rgn[3 * i + 1] = u64(dest);
      rgn[3 * i + 2] = u64(r.size);
      dest += r.size;
    });
    this.k.mem.write(
      this.kernelMetadata,
      OPAL_FADUMP_MEM_STRUCT.encode({
        version: 1,
        region_cnt: f.bootMemRegions.length,
        registered_regions: registered,
        fadumphdr_addr: u64(f.fadumphdrAddr),
        rgn,
      }),
    );
  }

  /**
   * opal_fadump_setup_metadata (from fadump_reserve_mem before the reservation, and after a dump is
   * released): the metadata in the last page(s) of the reserved area, emptied, then tags KERNEL
   * (its address) and BOOT_MEM (boot memory top), the second tried even when the first fails.
   * 0 or -EPERM.
   */
  setupMetadata(): number {
    const f = this.f;
    this.kernelMetadata = f.reserveStart + f.reserveSize - this.metadataSize();
    this.k.printk(KERN_INFO, P, `Kernel metadata addr: ${this.kernelMetadata.toString(16)}`);
    this.k.mem.write(
      this.kernelMetadata,
      OPAL_FADUMP_MEM_STRUCT.encode({ ...OPAL_FADUMP_MEM_STRUCT.zero(), version: 1 }),
    );
    let rc = 0;
    if (this.call(OpalToken.MpiplRegisterTag, MpiplTag.Kernel, this.kernelMetadata) !== 0) {
      this.k.printk(KERN_ERR, P, 'Failed to set kernel metadata tag!');
      rc = -Errno.EPERM;
    }
    if (this.call(OpalToken.MpiplRegisterTag, MpiplTag.BootMem, f.bootMemTop) !== 0) {
      this.k.printk(KERN_ERR, P, 'Failed to set boot memory tag!');
      rc = -Errno.EPERM;
    }
    return rc;
  }

  /** opal_fadump_register: one OPAL_MPIPL_UPDATE(ADD_RANGE) per boot-memory region. Returns the OPAL status. */
  /**
   * register_fadump on OPAL: the kernel metadata and crash info header, the KERNEL and BOOT_MEM
   * tags, then one add-range call per boot-memory region. 0 or a negative errno.
   */
  register(): number {
    const f = this.f;
    this.initMemStruct();
    if (!f.headerWritable()) return -Errno.EINVAL;
    f.initHeader();
    const rc = this.registerRanges();
    if (rc === OpalStatus.Success) {
      f.setRegistered(true);
      return 0;
    }
    if (rc === OpalStatus.Hardware) f.supported = f.enabled = false;
    // Every failure is -EIO, OPAL_PARAMETER included.
    return -Errno.EIO;
  }

  /** opal_fadump_register: the add-range calls; an OPAL status. */
  private registerRanges(): number {
    const f = this.f;
    let dest = f.bootMemDestAddr;
    let registered = 0;
    // With no region to add, the Parameter Error branch.
    let rc: number = OpalStatus.Parameter;
    for (const r of f.bootMemRegions) {
      rc = this.call(OpalToken.MpiplUpdate, MpiplOp.AddRange, r.base, dest, r.size);
      if (rc !== 0) break;
      registered++;
      dest += r.size;
    }
    this.writeMetadata(registered);
    switch (rc) {
      case OpalStatus.Success:
        this.k.printk(KERN_INFO, P, 'Registration is successful!');
        return 0;
      case OpalStatus.Resource:
        this.k.printk(
          KERN_WARNING,
          P,
          `${f.bootMemRegions.length - registered} regions could not be registered for MPIPL as MAX limit is reached!`,
        );
        return 0;
      case OpalStatus.Parameter:
        this.k.printk(KERN_ERR, P, `Failed to register. Parameter Error(${rc}).`);
        break;
      case OpalStatus.Hardware:
        this.k.printk(KERN_ERR, P, 'Support not available.');
        break;
      default:
        this.k.printk(KERN_ERR, P, `Failed to register. Unknown Error(${rc}).`);
    }
    if (registered > 0) this.call(OpalToken.MpiplUpdate, MpiplOp.RemoveAll, 0, 0, 0);
    return rc;
  }

  unregister(): boolean {
    const rc = this.call(OpalToken.MpiplUpdate, MpiplOp.RemoveAll, 0, 0, 0);
    if (rc !== 0) this.k.printk(KERN_ERR, P, `Failed to un-register - unexpected Error(${rc}).`);
    return rc === OpalStatus.Success;
  }

  /** Invalidate (FREE_PRESERVED_MEMORY) and clean up the kernel tag. */
  invalidate(): boolean {
    const rc = this.call(OpalToken.MpiplUpdate, MpiplOp.FreePreservedMemory, 0, 0, 0);
    if (rc !== 0) this.k.printk(KERN_ERR, P, `Failed to invalidate - unexpected Error(${rc}).`);
    // opal_fadump_cleanup, which fadump_cleanup calls whatever the invalidation returned: the
    // kernel tag is reset.
    this.call(OpalToken.MpiplRegisterTag, MpiplTag.Kernel, 0);
    return rc === 0;
  }

  /** OPAL's trigger records the PIR: "logical CPU number is not provided with architected register state data". */
  crashingCpuId(cpu: number): number {
    return this.k.machine.cpus[cpu]!.pir;
  }

  /** OPAL has no sections to check: the CPU notes are the whole platform part. */
  process(fdh: CrashState): string | undefined {
    return this.buildCpuNotes(fdh, ELFCOREHDR_ADDR);
  }

  legacyChecks(): string | undefined {
    return undefined;
  }

  buildCpuNotes(fdh: CrashState, elfcorehdrAt: number): string | undefined {
    return this.notesFromHdat(fdh.crashing_cpu, fdh.regs, elfcorehdrAt);
  }

  /** opal_fadump_trigger: the crashing CPU becomes its PIR, then the MPIPL reboot. */
  trigger(message: string): void {
    this.k.mem.write(MSG_ADDR, new TextEncoder().encode(`${message}\0`));
    const rc = this.call(OpalToken.CecReboot2, RebootType.Mpipl, MSG_ADDR);
    if (rc === OpalStatus.Unsupported)
      this.k.printk(KERN_ERR, P, `Reboot type ${RebootType.Mpipl} not supported.`);
    else if (rc === OpalStatus.Hardware) this.k.printk(KERN_ERR, P, 'No backend support for MPIPL!');
  }

  /**
   * opal_fadump_build_cpu_notes: thread records (HDAT) found through the CPU tag; the crashing
   * thread (by PIR) from the crash info header. Returns the refusal, if any: with no note at all and
   * the crashing CPU unknown, -ENODEV (Linux says nothing more).
   */
  private notesFromHdat(
    crashingPir: number,
    regsBytes: Uint8Array,
    elfcorehdrAt: number,
  ): string | undefined {
    const { notes, invalid } = this.threadRegisters(crashingPir, regsBytes);
    if (notes.length === 0)
      return invalid
        ? 'CPU state data is invalid. Ignoring!'
        : 'no CPU state data and the crashing CPU unknown (-ENODEV)';
    const notesSize = pageAlign(notes.length * NOTE_BUF_BYTES, PAGE_SIZE);
    if (notesSize > CPU_NOTES_MAX) return `Failed to allocate ${notesSize} bytes for CPU notes buffer`;
    this.f.writeCpuNotes(notes, crashingPir, notesSize, elfcorehdrAt);
    return undefined;
  }

  /**
   * Registers of every active thread from the HDAT records found through the CPU tag, by PIR; the
   * crashing thread's from the crash info header, matched before inactive cores are skipped. With
   * no thread found, the crashing thread alone, unless it is unknown (FADUMP_CPU_UNKNOWN): then none.
   * `log` false: the same records read again without the kernel's messages (the OPAL core).
   */
  threadRegisters(
    crashingPir: number,
    regsBytes: Uint8Array,
    log = true,
  ): { notes: { cpu: number; regs: PtRegs }[]; invalid: boolean } {
    const k = this.k;
    const mem = k.mem;
    const say = (level: number, msg: string) => log && k.printk(level, P, msg);
    const crashRegs = PT_REGS.decode(regsBytes, k.order);
    const notes: { cpu: number; regs: PtRegs }[] = [];
    const meta = this.cpuMetadata;
    const headSize = OPAL_MPIPL_FADUMP.size + OPAL_MPIPL_REGION.size;
    let invalid = false;
    // is_opal_fadump_cpu_data_valid: nothing to say without CPU metadata (the CPU tag was 0).
    if (meta !== 0 && mem.accessible(meta, headSize)) {
      const head = OPAL_MPIPL_FADUMP.decode(mem.read(meta, OPAL_MPIPL_FADUMP.size));
      const region = OPAL_MPIPL_REGION.decode(
        mem.read(meta + OPAL_MPIPL_FADUMP.size, OPAL_MPIPL_REGION.size),
      );
      if (head.cpu_data_version !== HDAT_FADUMP_CPU_DATA_VER) {
        say(
          KERN_WARNING,
          `Supported CPU state data version: ${HDAT_FADUMP_CPU_DATA_VER}, found: ${head.cpu_data_version}!`,
        );
        say(KERN_WARNING, 'WARNING: F/W using newer CPU state data format!!');
      }
      const entrySize = head.cpu_data_size;
      const dest = Number(region.dest);
      const size = Number(region.size);
      // (Its test of the destination is against __va(dest), never 0: a destination of 0 passes.)
      invalid = entrySize === 0 || entrySize > size;
      if (invalid) say(KERN_ERR, 'CPU state data is invalid. Ignoring!');
      else if (mem.accessible(dest, size)) {
        const first = HDAT_THREAD_HEADER.decode(mem.read(dest, HDAT_THREAD_HEADER.size));
        // opal_fadump_read_regs: entries start `offset` bytes after the offset field itself; the
        // first thread's offset, count and entry size serve every thread.
        const entriesAt = HDAT_THREAD_HEADER.offsetOf('offset') + first.offset;
        for (let t = 0; t < Math.floor(size / entrySize); t++) {
          const at = dest + t * entrySize;
          const hdr = HDAT_THREAD_HEADER.decode(mem.read(at, HDAT_THREAD_HEADER.size));
          if (hdr.pir === crashingPir) {
            notes.push({ cpu: hdr.pir, regs: crashRegs });
            continue;
          }
          if (hdr.core_state === HDAT_CORE_INACTIVE) continue;
          const regs = PT_REGS.zero();
          const rec = regs as unknown as Record<string, bigint | bigint[]>;
          for (let e = 0; e < first.ecnt; e++) {
            const eat = at + entriesAt + e * first.esize;
            if (eat + HDAT_REG_ENTRY.size > at + entrySize) break;
            const r = HDAT_REG_ENTRY.decode(mem.read(eat, HDAT_REG_ENTRY.size));
            // A GPR past 31 is dropped; every other type is looked up as an SPR, unknown ones dropped.
            if (r.reg_type === HDAT_REG.Gpr) {
              if (r.reg_num < 32) (rec.gpr as bigint[])[r.reg_num] = r.reg_val;
            } else {
              const name = HDAT_SPR_TO_PT_REGS[r.reg_num];
              if (name) rec[name] = r.reg_val;
            }
          }
          notes.push({ cpu: hdr.pir, regs });
        }
      }
    }
    if (notes.length === 0 && crashingPir !== FADUMP_CPU_UNKNOWN) {
      say(KERN_WARNING, "WARNING: appending only crashing CPU's register data");
      notes.push({ cpu: crashingPir, regs: crashRegs });
    }
    return { notes, invalid };
  }

  /** OPAL's own preserved regions, from the OPAL tag's metadata block: (src, dest, size). */
  opalRegions(): { src: number; dest: number; size: number }[] {
    const meta = this.queryTag(MpiplTag.Opal);
    if (meta === undefined || meta === 0n) return [];
    const at = Number(meta);
    const mem = this.k.mem;
    if (!mem.accessible(at, OPAL_MPIPL_FADUMP.size)) return [];
    const count = OPAL_MPIPL_FADUMP.decode(mem.read(at, OPAL_MPIPL_FADUMP.size)).region_cnt;
    const out: { src: number; dest: number; size: number }[] = [];
    for (let i = 0; i < Math.min(count, 64); i++) {
      const r = OPAL_MPIPL_REGION.decode(
        mem.read(at + OPAL_MPIPL_FADUMP.size + i * OPAL_MPIPL_REGION.size, OPAL_MPIPL_REGION.size),
      );
      out.push({ src: Number(r.src), dest: Number(r.dest), size: Number(r.size) });
    }
    return out;
  }
}

/** HDAT SPR numbers to pt_regs fields (opal_fadump_set_regval_regnum, opal-fadump.c). */
const HDAT_SPR_TO_PT_REGS: Record<number, keyof PtRegs> = {
  [HDAT_SPR.CTR]: 'ctr',
  [HDAT_SPR.LR]: 'link',
  [HDAT_SPR.XER]: 'xer',
  [HDAT_SPR.DAR]: 'dar',
  [HDAT_SPR.DSISR]: 'dsisr',
  [HDAT_SPR.NIP]: 'nip',
  [HDAT_SPR.MSR]: 'msr',
  [HDAT_SPR.CR]: 'ccr',
};
