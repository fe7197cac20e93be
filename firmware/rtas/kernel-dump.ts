// ibm,configure-kernel-dump and the dump it takes at ibm,os-term (PAPR "Firmware Assisted Dump",
// LoPAR sec_rtas_configure_kernel_dump; QEMU hw/ppc/spapr_fadump.c; LoPAR ibm,configure-kernel-dump). Keeps
// a private big-endian copy of the registered structure, processes its sections when the OS
// terminates, and presents the updated copy as /rtas/ibm,kernel-dump until invalidated.

import type { Machine } from '../../emulator/machine.ts';
import { MachineCheck } from '../../emulator/physical-memory.ts';
import { toAddr } from '../../emulator/struct.ts';
import {
  DUMP_FORMAT_VERSION,
  DUMP_HEADER,
  DUMP_SECTION,
  DUMP_STATUS,
  MAX_SECTIONS,
  REQUEST_FLAG_COPY,
  SECTION_ERROR,
  SECTION_TYPE,
} from './fadump-structs.ts';
import type { FirmwarePersonality } from './personality.ts';
import { buildRegsave } from './regsave.ts';
import { type RtasCallContext, RtasStatus } from './rtas.ts';

export const KernelDumpCommand = { Register: 1, Unregister: 2, Invalidate: 3 } as const;

/** QEMU copies boot memory in 32 MiB chunks; the model does the same for both personalities. */
const COPY_CHUNK = 32 * 2 ** 20;

export interface SectionResult {
  type: number;
  errorFlags: number;
  bytesDumped: bigint;
}

export class KernelDump {
  registered = false;
  active = false;
  /** Header + sections as registered (and, after a dump, as updated by processing). */
  private stored: Uint8Array | undefined;
  /** Statuses to answer before doing the work: busy / extended-delay injection (PowerVM only). */
  readonly busyQueue: number[] = [];

  constructor(
    private machine: Machine,
    private personality: FirmwarePersonality,
    private rma: () => number,
  ) {}

  private quirk(name: Parameters<FirmwarePersonality['quirks']['has']>[0]): boolean {
    return this.personality.quirks.has(name);
  }

  private reject(reason: string, status: number, value?: number | bigint): number[] {
    this.machine.events.emit('rtas', 'reject', {
      call: 'ibm,configure-kernel-dump',
      reason,
      ...(value !== undefined && { value: `0x${value.toString(16)}` }),
      status,
    });
    return [status >>> 0];
  }

  /**
   * ibm,configure-kernel-dump(command, buffer, length) → status.
   * Statuses: 0 success; -1 hardware error (structure unreadable); -2 busy and 9900–9905 extended
   * delay (PowerVM, when injected); -3 parameter error (arity, length, buffer outside the RMA,
   * version, section count, invalidate with no dump on PowerVM); -9 already registered; -10 dump
   * active. Checks in QEMU's order (QEMU hw/ppc/spapr_fadump.c), then PowerVM's stricter ones.
   */
  call(ctx: RtasCallContext): number[] {
    // The dispatcher has checked the arity (nargs 3, nret 1) against the registry.
    if (!this.quirk('neverBusy') && this.busyQueue.length > 0) {
      const s = this.busyQueue.shift()!;
      return this.reject('busy (injected)', s, s);
    }
    const [cmd, addr, len] = ctx.args as [number, number, number];
    switch (cmd) {
      case KernelDumpCommand.Register:
        return this.register(addr, len);
      case KernelDumpCommand.Unregister:
        if (this.active) return this.reject('unregister while a dump is active', RtasStatus.DumpActive, cmd);
        this.clear();
        return [RtasStatus.Success];
      case KernelDumpCommand.Invalidate:
        if (!this.active && !this.quirk('invalidateAlwaysSucceeds')) {
          return this.reject('invalidate with no dump active', RtasStatus.ParameterError, cmd);
        }
        this.clear();
        this.active = false;
        this.machine.events.emit('rtas', 'invalidated', {});
        return [RtasStatus.Success];
      default:
        return this.reject('unknown command', RtasStatus.ParameterError, cmd);
    }
  }

  private register(addr: number, len: number): number[] {
    if (this.registered) return this.reject('already registered', RtasStatus.DumpAlreadyRegistered, addr);
    if (this.active) return this.reject('a dump is active', RtasStatus.DumpActive, addr);
    if (len < DUMP_HEADER.size)
      return this.reject(`length below the ${DUMP_HEADER.size}-byte header`, RtasStatus.ParameterError, len);
    // PAPR R1-2: the buffer must lie in the RMA.
    if (addr === 0 || addr + len > this.rma())
      return this.reject(
        `buffer outside the RMA (0x${this.rma().toString(16)} bytes)`,
        RtasStatus.ParameterError,
        addr,
      );
    const mem = this.machine.memory;
    let header: ReturnType<typeof DUMP_HEADER.decode>;
    try {
      header = DUMP_HEADER.decode(mem.read(addr, DUMP_HEADER.size));
    } catch (e) {
      if (e instanceof MachineCheck) return this.reject('header unreadable', RtasStatus.HardwareError, addr);
      throw e;
    }
    if (header.dump_format_version !== DUMP_FORMAT_VERSION) {
      return this.reject(
        `format version, expected ${DUMP_FORMAT_VERSION}`,
        RtasStatus.ParameterError,
        header.dump_format_version,
      );
    }
    const n = header.dump_num_sections;
    if (n > MAX_SECTIONS)
      return this.reject(`more than ${MAX_SECTIONS} sections`, RtasStatus.ParameterError, n);
    const first = header.offset_first_dump_section;
    const exact = first + n * DUMP_SECTION.size;
    if (!this.quirk('anyLengthFromHeader') && len !== exact) {
      return this.reject(
        `length is not the structure's exact size 0x${exact.toString(16)}`,
        RtasStatus.ParameterError,
        len,
      );
    }
    const copy = new Uint8Array(DUMP_HEADER.size + n * DUMP_SECTION.size);
    DUMP_HEADER.encodeInto(copy, 0, {
      ...header,
      dump_status_flag: 0,
      offset_first_dump_section: DUMP_HEADER.size,
    });
    for (let i = 0; i < n; i++) {
      const at = addr + first + i * DUMP_SECTION.size;
      if (!mem.accessible(at, DUMP_SECTION.size))
        return this.reject(`section ${i} unreadable`, RtasStatus.ParameterError, at);
      copy.set(mem.read(at, DUMP_SECTION.size), DUMP_HEADER.size + i * DUMP_SECTION.size);
    }
    // ASSUMPTION: PowerVM refuses a memory section whose source is not all partition memory with
    // -3 (what rtas_fadump_register's "Can't have holes in boot memory area." on -3 implies).
    if (!this.quirk('noSourceRangeCheck'))
      for (let i = 0; i < n; i++) {
        const s = DUMP_SECTION.decode(copy, 'be', DUMP_HEADER.size + i * DUMP_SECTION.size);
        if (
          s.source_data_type !== SECTION_TYPE.RealModeRegion &&
          s.source_data_type !== SECTION_TYPE.ParamArea
        )
          continue;
        const src = Number(s.source_address);
        const len = Number(s.source_len);
        if (!Number.isSafeInteger(src + len) || !this.machine.blocks.isAssigned(src, len))
          return this.reject(
            `section ${i}: source is not all partition memory`,
            RtasStatus.ParameterError,
            src,
          );
      }
    this.stored = copy;
    this.registered = true;
    this.active = false;
    this.machine.events.emit('rtas', 'registered', { sections: n });
    return [RtasStatus.Success];
  }

  private clear(): void {
    this.registered = false;
    this.stored = undefined;
  }

  /**
   * Fault injection (tests, `corrupt`): the firmware's own copy of the structure, live, while a dump
   * is waiting. Writing into it models firmware presenting damaged data in ibm,kernel-dump.
   */
  injectableStructure(): Uint8Array | undefined {
    return this.active ? this.stored : undefined;
  }

  /** The ibm,kernel-dump property value while a dump is waiting, else undefined. */
  kernelDumpProperty(): Uint8Array | undefined {
    return this.active ? this.stored?.slice() : undefined;
  }

  /**
   * Processes every registered section (ibm,os-term with a registration, PAPR R1-3): CPU state,
   * boot-memory copies, error flags and bytes dumped, then the header status. Returns per-section
   * results; leaves the dump active for the next boot.
   */
  process(): SectionResult[] {
    const stored = this.stored!;
    const header = DUMP_HEADER.decode(stored);
    const results: SectionResult[] = [];
    let anyError = false;
    for (let i = 0; i < header.dump_num_sections; i++) {
      const at = DUMP_HEADER.size + i * DUMP_SECTION.size;
      const s = DUMP_SECTION.decode(stored, 'be', at);
      s.error_flags = 0;
      s.bytes_dumped = 0n;
      if (s.request_flag === REQUEST_FLAG_COPY) this.processSection(s, i);
      if (s.error_flags !== 0) anyError = true;
      // QEMU assigns the flag constants without cpu_to_be16: on a little-endian host the guest
      // reads 0x4000 as 0x0040 and 0x1000 as 0x0010.
      const flags = this.quirk('errorFlagsHostOrder')
        ? ((s.error_flags & 0xff) << 8) | (s.error_flags >> 8)
        : s.error_flags;
      DUMP_SECTION.encodeInto(stored, at, { ...s, error_flags: flags });
      results.push({ type: s.source_data_type, errorFlags: s.error_flags, bytesDumped: s.bytes_dumped });
    }
    let status = DUMP_STATUS.Performed | DUMP_STATUS.TriggeredByPreviousBoot;
    if (anyError && !this.quirk('statusOverwritesError')) status |= DUMP_STATUS.Error;
    DUMP_HEADER.encodeInto(stored, 0, { ...header, dump_status_flag: status });
    this.registered = false;
    this.active = true;
    this.machine.events.emit('rtas', 'dump-processed', { status, sections: results.length });
    return results;
  }

  /** Sets an error flag on section `i` and says why, as QEMU's guest-error log does. */
  private sectionError(s: Section, i: number, flag: number, reason: string, value: number | bigint): void {
    s.error_flags |= flag;
    this.machine.events.emit('rtas', 'dump-error', {
      what: `section ${i} (type 0x${s.source_data_type.toString(16)})`,
      reason,
      value: `0x${value.toString(16)}`,
      flags: `0x${s.error_flags.toString(16)}`,
    });
  }

  private processSection(s: Section, i: number): void {
    const mem = this.machine.memory;
    switch (s.source_data_type) {
      case SECTION_TYPE.CpuState: {
        const data = buildRegsave(
          this.personality,
          this.quirk('cpuRecordsEveryThread') ? this.machine.cpus : this.machine.cpus.filter((c) => c.online),
          this.machine.rng,
        );
        const dest = safeAddr(s.destination_address);
        const badDest = this.quirk('cpuDestinationAsInvalidSource')
          ? SECTION_ERROR.InvalidSource
          : SECTION_ERROR.InvalidDestination;
        if (dest === undefined || !mem.accessible(dest, data.length)) {
          this.sectionError(
            s,
            i,
            badDest,
            `CPU state destination not writable for ${data.length} bytes`,
            s.destination_address,
          );
          return;
        }
        if (BigInt(data.length) > s.source_len && !this.quirk('noDestinationSizeCheck')) {
          this.sectionError(
            s,
            i,
            SECTION_ERROR.DestinationTooSmall,
            `CPU state needs ${data.length} bytes`,
            s.source_len,
          );
          return;
        }
        mem.write(dest, data);
        s.bytes_dumped = BigInt(data.length);
        return;
      }
      case SECTION_TYPE.Hpte:
        // Radix partitions have no hashed page table: nothing to save (QEMU never saves it either).
        return;
      case SECTION_TYPE.RealModeRegion:
      case SECTION_TYPE.ParamArea:
        this.copyRegion(s, i);
        return;
      default:
        this.sectionError(s, i, SECTION_ERROR.InvalidType, 'unknown section type', s.source_data_type);
    }
  }

  private copyRegion(s: Section, i: number): void {
    const mem = this.machine.memory;
    const src = safeAddr(s.source_address);
    const dst = safeAddr(s.destination_address);
    const len = safeAddr(s.source_len);
    if (src === undefined || len === undefined || !mem.accessible(src, len)) {
      this.sectionError(
        s,
        i,
        SECTION_ERROR.InvalidSource,
        `source not readable for 0x${s.source_len.toString(16)} bytes`,
        s.source_address,
      );
      return;
    }
    const overlaps = dst !== undefined && src !== dst && src < dst + len && dst < src + len;
    if (dst === undefined || (overlaps && !this.quirk('noOverlapCheck'))) {
      this.sectionError(
        s,
        i,
        SECTION_ERROR.InvalidDestination,
        'destination overlaps the source',
        s.destination_address,
      );
      return;
    }
    if (src === dst) {
      s.bytes_dumped = s.source_len;
      return;
    }
    let done = 0;
    while (done < len) {
      const n = Math.min(COPY_CHUNK, len - done);
      if (!mem.accessible(dst + done, n)) {
        this.sectionError(
          s,
          i,
          SECTION_ERROR.InvalidDestination,
          `destination not writable after 0x${done.toString(16)} bytes`,
          dst + done,
        );
        s.bytes_dumped = this.quirk('partialCopyReportsZero') ? 0n : BigInt(done);
        return;
      }
      const from = src + done;
      const to = dst + done;
      // Chunks of an overlapping copy go through a buffer, as QEMU's read-then-write does.
      if (from !== to && from < to + n && to < from + n) mem.poke(to, mem.peek(from, n));
      else mem.copy(from, to, n);
      done += n;
    }
    s.bytes_dumped = BigInt(len);
  }
}

type Section = ReturnType<typeof DUMP_SECTION.decode>;

function safeAddr(v: bigint): number | undefined {
  try {
    return toAddr(v);
  } catch {
    return undefined;
  }
}
