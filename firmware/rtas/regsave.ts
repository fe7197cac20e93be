// The CPU state data section (type 0x0001): the register save area ("REGSAVE") firmware writes for
// every thread when it processes a dump. Two layouts: PAPR's (NumCpusOffset 0x1C, GPRs then the
// other registers in ascending ASCII order) and QEMU 10.2's (offset 0x10, 79 entries in its fixed
// order, 12 trailing bytes never initialised). LoPAR appendix Firmware Assisted Dump Data Format; QEMU hw/ppc/spapr_fadump.c

import type { SeededRng } from '../../emulator/clock.ts';
import type { CpuThread, Registers } from '../../emulator/cpu-thread.ts';
import { asciiU64 } from '../../emulator/struct.ts';
import {
  CPUEND,
  CPUSTRT,
  REG_ENTRY,
  REGSAVE_HEADER_PAPR,
  REGSAVE_HEADER_QEMU,
  REGSAVE_MAGIC,
} from './fadump-structs.ts';
import type { FirmwarePersonality } from './personality.ts';

const GPRS = Array.from({ length: 32 }, (_, i) => `GPR${String(i).padStart(2, '0')}`);

/** QEMU's 45 registers besides the GPRs, in its order (QEMU hw/ppc/spapr_fadump.c). */
const QEMU_OTHERS_BEFORE_GPRS = [
  'ACOP', 'AMR', 'BESCR', 'CFAR', 'CIABR', 'CR', 'CTR', 'CTRL', 'DABR', 'DABRX', 'DAR', 'DAWR0', 'DAWR1',
  'DAWRX0', 'DAWRX1', 'DPDES', 'DSCR', 'DSISR', 'EBBHR', 'EBBRR', 'FPSCR', 'FSCR',
]; // biome-ignore format: table
const QEMU_OTHERS_AFTER_GPRS = [
  'IAMR', 'IC', 'LR', 'MSR', 'NIA', 'PIR', 'PSPB', 'PVR', 'RPR', 'SPURR', 'SRR0', 'SRR1', 'TAR', 'TEXASR',
  'TFHAR', 'TFIAR', 'TIR', 'UAMOR', 'VRSAVE', 'VSCR', 'VTB', 'WORT', 'XER',
]; // biome-ignore format: table
export const QEMU_REGISTER_ORDER = [...QEMU_OTHERS_BEFORE_GPRS, ...GPRS, ...QEMU_OTHERS_AFTER_GPRS];

/** PowerVM model: GPRs first, then the rest in ascending ASCII order (PAPR's "probably" order). */
const PAPR_OTHERS = [
  'AMR', 'CFAR', 'CR', 'CTR', 'DABR', 'DAR', 'DEC', 'DSCR', 'DSISR', 'FPSCR', 'LR', 'MSR', 'NIA', 'PIR',
  'PURR', 'PVR', 'SPURR', 'SRR0', 'SRR1', 'TB', 'XER',
].sort(); // biome-ignore format: table
export const PAPR_REGISTER_ORDER = [...GPRS, ...PAPR_OTHERS];

/** QEMU counts 12 bytes "for PAPR padding" it never writes (QEMU hw/ppc/spapr_fadump.c). */
const QEMU_TAIL = 12;

export function regsaveLayout(p: FirmwarePersonality): { header: number; perCpu: number; tail: number } {
  if (p.quirks.has('regsaveQemuLayout')) {
    return {
      header: REGSAVE_HEADER_QEMU.size,
      perCpu: (QEMU_REGISTER_ORDER.length + 2) * 16,
      tail: QEMU_TAIL,
    };
  }
  return { header: REGSAVE_HEADER_PAPR.size, perCpu: (PAPR_REGISTER_ORDER.length + 2) * 16, tail: 0 };
}

/** Bytes of CPU state for `cpus` records: QEMU's is 32 + 1264·N. */
export function regsaveSize(p: FirmwarePersonality, cpus: number): number {
  const l = regsaveLayout(p);
  return l.header + l.perCpu * cpus + l.tail;
}

function registerValue(name: string, cpu: CpuThread, p: FirmwarePersonality): bigint {
  const r: Registers = cpu.regs;
  if (name.startsWith('GPR')) return r.gpr[Number(name.slice(3))]!;
  const stale = p.quirks.has('staleCtrLrXerCfar');
  switch (name) {
    case 'NIA':
      return r.nip;
    case 'MSR':
      return r.msr;
    case 'CR':
      return r.cr;
    case 'CTR':
      return stale ? 0n : r.ctr;
    case 'LR':
      return stale ? 0n : r.lr;
    case 'XER':
      return stale ? 0n : r.xer;
    case 'CFAR':
      return stale ? 0n : r.spr.CFAR;
    case 'DAR':
      return r.dar;
    case 'DSISR':
      return r.dsisr;
    case 'PIR':
      return BigInt(cpu.pir);
    default:
      return (r.spr as Record<string, bigint>)[name] ?? 0n;
  }
}

/** Builds the register save area for the given threads (all online threads at dump time). */
export function buildRegsave(p: FirmwarePersonality, cpus: readonly CpuThread[], rng: SeededRng): Uint8Array {
  const l = regsaveLayout(p);
  const out = new Uint8Array(regsaveSize(p, cpus.length));
  const qemu = p.quirks.has('regsaveQemuLayout');
  if (qemu) {
    REGSAVE_HEADER_QEMU.encodeInto(out, 0, {
      magic: REGSAVE_MAGIC,
      version: 0,
      num_cpus_offset: REGSAVE_HEADER_QEMU.offsetOf('num_cpus'),
      num_cpus: cpus.length,
    });
  } else {
    REGSAVE_HEADER_PAPR.encodeInto(out, 0, {
      magic: REGSAVE_MAGIC,
      version: 0,
      num_cpus_offset: REGSAVE_HEADER_PAPR.offsetOf('num_cpus'),
      num_cpus: cpus.length,
    });
  }
  const order = qemu ? QEMU_REGISTER_ORDER : PAPR_REGISTER_ORDER;
  let at = l.header;
  const entry = (id: bigint, value: bigint) => {
    REG_ENTRY.encodeInto(out, at, { reg_id: id, reg_value: value });
    at += REG_ENTRY.size;
  };
  for (const cpu of cpus) {
    entry(CPUSTRT, BigInt(cpu.id));
    for (const name of order) entry(asciiU64(name), registerValue(name, cpu, p));
    entry(CPUEND, BigInt(cpu.id));
  }
  // QEMU: the tail comes from an uninitialised heap buffer; the model fills it from the seeded RNG.
  if (l.tail > 0) out.set(rng.bytes(l.tail), at);
  return out;
}
