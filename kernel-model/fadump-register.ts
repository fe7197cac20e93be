// fadump registration in the first kernel (Linux arch/powerpc/kernel/fadump.c): the crash info
// header at fadumphdr_addr (init_fadump_header; before 6.10 the elfcorehdr after it,
// fadump_create_elfcore_headers), and crash_fadump, which fills the header at the panic and hands
// over to firmware.

import type { Registers } from '../emulator/cpu-thread.ts';
import type { ByteOrder } from '../emulator/struct.ts';
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
import { PT_REGS, ptRegsFromRegisters } from './elf.ts';
import type { Fadump } from './fadump.ts';
import { hashx } from './format.ts';
import { KERN_ERR } from './kernel-consts.ts';
import { appendCrashTime, VMCOREINFO_NOTE_SIZE } from './vmcoreinfo.ts';
import { SYMBOLS } from './vmlinux.ts';

const F = 'fadump';
/** Simulated wall clock at power-on (CRASHTIME is real time in seconds). */
const EPOCH_SECONDS = 1_767_225_600n;

/**
 * Whether the crash info header can be written where the reservation puts it. After a damaged dump
 * the fadump kernel's reservation comes from that dump's data and may point outside memory.
 * ASSUMPTION: Linux would fault writing the header there; the model refuses to register instead.
 */
export function headerWritable(f: Fadump): boolean {
  if (f.k.mem.accessible(f.fadumphdrAddr, f.headerSize)) return true;
  f.k.printk(
    KERN_ERR,
    F,
    `Crash info header at ${hashx(f.fadumphdrAddr)} is outside memory: not registering`,
  );
  return false;
}

/**
 * init_fadump_header: the crash info header at fadumphdr_addr, in kernel byte order. Before 6.10
 * the first kernel also builds the elfcorehdr right after it (fadump_create_elfcore_headers).
 */
export function initHeader(f: Fadump): void {
  const order = f.k.order;
  const possible = cpumaskOf(
    Array.from({ length: f.k.cpuCount() }, (_, i) => i),
    f.le,
  );
  if (f.legacy) {
    const elfAt = f.fadumphdrAddr + CRASH_INFO_HEADER_OLD.size;
    f.k.mem.write(
      f.fadumphdrAddr,
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
    const hdr = f.elfcorehdr(BigInt(f.relocate(SYMBOLS.vmcoreinfo_note)), BigInt(VMCOREINFO_NOTE_SIZE));
    f.legacyElfcorehdrBytes = hdr.length;
    // Linux writes the headers whatever their size: past the reserved area they corrupt memory.
    const room = f.reserveStart + f.reserveSize - elfAt;
    f.k.machine.events.emit('kernel', 'elfcorehdr-built', { bytes: hdr.length, room, at: elfAt });
    const overflow = hdr.length - room;
    if (overflow > 0) {
      f.elfcorehdrOverflowBytes = Math.max(f.elfcorehdrOverflowBytes, overflow);
      f.k.machine.events.emit('kernel', 'elfcorehdr-overflow', {
        bytes: overflow,
        at: elfAt + hdr.length - overflow,
      });
    }
    f.k.mem.write(elfAt, hdr);
    return;
  }
  f.k.mem.write(
    f.fadumphdrAddr,
    CRASH_INFO_HEADER.encode(
      {
        magic_number: FADUMP_CRASH_INFO_MAGIC,
        version: FADUMP_HEADER_VERSION,
        crashing_cpu: FADUMP_CPU_UNKNOWN,
        vmcoreinfo_raddr: BigInt(f.relocate(SYMBOLS.vmcoreinfo_note!)),
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

/** crash_fadump: fill the header and hand over to firmware through ibm,os-term. */
export function crash(f: Fadump, cpu: number, regs: Registers, message: string): void {
  const k = f.k;
  if (!f.registered || f.fadumphdrAddr === 0) return;
  const order = k.order;
  const table = (f.k.behaviour.header === 'old'
    ? CRASH_INFO_HEADER_OLD
    : CRASH_INFO_HEADER) as unknown as CrashStateTable;
  const fdh = table.decode(k.mem.read(f.fadumphdrAddr, table.size), order);
  if (fdh.crashing_cpu !== FADUMP_CPU_UNKNOWN) return;
  fdh.crashing_cpu = cpu;
  const seconds = EPOCH_SECONDS + k.machine.clock.now() / 1_000_000_000n;
  appendCrashTime(k.mem, order, seconds);
  fdh.regs = PT_REGS.encode(ptRegsFromRegisters(regs), order);
  fdh.cpu_mask = cpumaskOf(k.onlineCpus(), f.le);
  fdh.crashing_cpu = f.backend!.crashingCpuId(cpu);
  k.mem.write(f.fadumphdrAddr, table.encode(fdh, order));
  k.enterFirmware(cpu);
  f.backend!.trigger(message);
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
