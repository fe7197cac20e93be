// What happens between OPAL_CEC_REBOOT2(MPIPL) and the dump boot: the SBE/hostboot step that copies
// every MDST range to its MDDT destination, records the copies in MDRT and saves every thread's
// registers in HDAT format (skiboot core/opal-dump.c and doc/mpipl.rst steps 4–6); then skiboot's dump-boot work that
// builds the CPU and OPAL metadata blocks and makes the tags queryable.

import type { Machine } from '../../emulator/machine.ts';
import type { Mpipl } from './mpipl.ts';
import {
  CPU_METADATA_ADDR,
  DUMP_REGION,
  HDAT_CORE_INACTIVE,
  HDAT_REG,
  HDAT_REG_ENTRY,
  HDAT_SPR,
  HDAT_THREAD_HEADER,
  HRMOR_BIT,
  MDDT_ADDR,
  MDRT_ADDR,
  MDRT_ENTRY,
  MDST_ADDR,
  OPAL_METADATA_ADDR,
  OPAL_MPIPL_FADUMP,
  OPAL_MPIPL_REGION,
  PROC_DUMP_AREA,
  PROC_DUMP_AREA_ADDR,
} from './mpipl-structs.ts';

/** Entries per thread: the 32 GPRs, the SPRs Linux reads, then NIP, MSR and CR. */
const SPR_ORDER = ['CTR', 'LR', 'XER', 'DAR', 'DSISR', 'NIP', 'MSR', 'CR'] as const;
export const THREAD_RECORD_BYTES = HDAT_THREAD_HEADER.size + (32 + SPR_ORDER.length) * HDAT_REG_ENTRY.size;
/** ASSUMPTION: one chip, so 512 KiB of architected-register space (ibm,firmware-arch-registers). */
const ARCH_REGS_BYTES = 512 * 1024;
const HRMOR_MASK = ~HRMOR_BIT & 0xffffffffffffffffn;

/** At every boot: tell the dump step where thread records may go and how big one is. */
export function armProcDumpArea(machine: Machine, mpipl: Mpipl): void {
  const r = mpipl.opalRegion();
  machine.memory.poke(
    PROC_DUMP_AREA_ADDR,
    PROC_DUMP_AREA.encode({
      thread_size: THREAD_RECORD_BYTES,
      version: 1,
      alloc_addr: BigInt(r.dest + r.size) | HRMOR_BIT,
      alloc_size: ARCH_REGS_BYTES,
      dest_addr: 0n,
      act_size: 0,
    }),
  );
}

/**
 * The SBE/hostboot dump step: copies each MDST range to the MDDT entry at the same index (entries
 * whose size or region differ are skipped), lists each successful copy in MDRT with the original
 * addresses, and writes one HDAT record per thread. Returns the number of ranges preserved.
 */
export function sbeHostbootDump(machine: Machine, mpipl: Mpipl): number {
  const mem = machine.memory;
  const mdst = mpipl.entries(MDST_ADDR);
  const mddt = mpipl.entries(MDDT_ADDR);
  let preserved = 0;
  /** A range the dump step skips, and why (hostboot's and SBE's traces say as much). */
  const skip = (what: string, reason: string, value: bigint | number) =>
    machine.events.emit('machine', 'dump-error', {
      what,
      reason: `not preserved: ${reason}`,
      value: `0x${value.toString(16)}`,
    });
  mdst.forEach((s, i) => {
    const d = mddt[i];
    if (!d) return skip(`MDST entry ${i}`, 'no MDDT entry beside it', s.addr);
    if (d.size !== s.size)
      return skip(`MDST entry ${i}`, `MDDT size 0x${d.size.toString(16)} differs`, s.size);
    if (d.data_region !== s.data_region)
      return skip(`MDST entry ${i}`, 'MDDT data region differs', d.data_region);
    const src = Number(s.addr & HRMOR_MASK);
    const dest = Number(d.addr & HRMOR_MASK);
    const overlap = src < dest + s.size && dest < src + s.size && src !== dest;
    if (!mem.accessible(src, s.size))
      return skip(`MDST entry ${i}`, `source not readable for 0x${s.size.toString(16)} bytes`, src);
    if (!mem.accessible(dest, s.size))
      return skip(`MDST entry ${i}`, `destination not writable for 0x${s.size.toString(16)} bytes`, dest);
    if (overlap) return skip(`MDST entry ${i}`, 'source and destination overlap', dest);
    mem.copy(src, dest, s.size);
    mem.poke(
      MDRT_ADDR + preserved * MDRT_ENTRY.size,
      MDRT_ENTRY.encode({
        src_addr: s.addr,
        dest_addr: d.addr,
        data_region: s.data_region,
        dump_type: s.dump_type,
        size: s.size,
      }),
    );
    preserved++;
  });
  const area = PROC_DUMP_AREA.decode(mem.peek(PROC_DUMP_AREA_ADDR, PROC_DUMP_AREA.size));
  const alloc = Number(area.alloc_addr & HRMOR_MASK);
  const threads = machine.cpus.length;
  if (threads * THREAD_RECORD_BYTES > area.alloc_size)
    skip(
      'the thread registers',
      `processor dump area of 0x${area.alloc_size.toString(16)} bytes too small for ${threads} threads`,
      area.alloc_size,
    );
  else {
    machine.cpus.forEach((cpu, i) => {
      const at = alloc + i * THREAD_RECORD_BYTES;
      const tpc = machine.config.threadsPerCore;
      const core = machine.cpus.slice(Math.floor(i / tpc) * tpc, Math.floor(i / tpc) * tpc + tpc);
      const inactive = core.every((t) => !t.online);
      mem.poke(
        at,
        HDAT_THREAD_HEADER.encode({
          pir: cpu.pir,
          core_state: inactive ? HDAT_CORE_INACTIVE : 0,
          // Relative to the offset field itself (at +8): entries start right after the header.
          offset: HDAT_THREAD_HEADER.size - HDAT_THREAD_HEADER.offsetOf('offset'),
          ecnt: 32 + SPR_ORDER.length,
          esize: HDAT_REG_ENTRY.size,
          eactsz: HDAT_REG_ENTRY.size,
        }),
      );
      const r = cpu.regs;
      const values: Record<(typeof SPR_ORDER)[number], bigint> = {
        CTR: r.ctr,
        LR: r.lr,
        XER: r.xer,
        DAR: r.dar,
        DSISR: r.dsisr,
        NIP: r.nip,
        MSR: r.msr,
        CR: r.cr,
      };
      const entries = [
        ...r.gpr.map((v, n) => ({ reg_type: HDAT_REG.Gpr, reg_num: n, reg_val: v })),
        ...SPR_ORDER.map((name) => ({
          reg_type: HDAT_REG.Spr,
          reg_num: HDAT_SPR[name],
          reg_val: values[name],
        })),
      ];
      entries.forEach((e, j) =>
        mem.poke(at + HDAT_THREAD_HEADER.size + j * HDAT_REG_ENTRY.size, HDAT_REG_ENTRY.encode(e)),
      );
    });
    mem.poke(
      PROC_DUMP_AREA_ADDR,
      PROC_DUMP_AREA.encode({ ...area, dest_addr: area.alloc_addr, act_size: threads * THREAD_RECORD_BYTES }),
    );
  }
  machine.events.emit('machine', 'mpipl-dump', { preserved, threads });
  return preserved;
}

/**
 * skiboot on the dump boot: copies the tags out of the preserved metadata, builds the OPAL metadata
 * block (OPAL's own preserved regions from MDRT) and the CPU metadata block (the thread records),
 * makes the four tags queryable, then re-arms the tables for the next crash.
 */
export function mpiplBoot(machine: Machine, mpipl: Mpipl): void {
  const mem = machine.memory;
  const md = mpipl.metadata();
  const mdrt: ReturnType<typeof MDRT_ENTRY.decode>[] = [];
  for (let i = 0; ; i++) {
    const e = MDRT_ENTRY.decode(mem.peek(MDRT_ADDR + i * MDRT_ENTRY.size, MDRT_ENTRY.size));
    if (e.size === 0 && e.src_addr === 0n) break;
    mdrt.push(e);
  }
  const opal = mdrt.filter((e) => e.data_region === DUMP_REGION.OpalMemory);
  mem.poke(
    OPAL_METADATA_ADDR,
    OPAL_MPIPL_FADUMP.encode({
      version: 1,
      crashing_pir: md.crashing_pir,
      cpu_data_version: 0,
      cpu_data_size: 0,
      region_cnt: opal.length,
    }),
  );
  opal.forEach((e, i) =>
    mem.poke(
      OPAL_METADATA_ADDR + OPAL_MPIPL_FADUMP.size + i * OPAL_MPIPL_REGION.size,
      OPAL_MPIPL_REGION.encode({
        src: e.src_addr & HRMOR_MASK,
        dest: e.dest_addr & HRMOR_MASK,
        size: BigInt(e.size),
      }),
    ),
  );
  const area = PROC_DUMP_AREA.decode(mem.peek(PROC_DUMP_AREA_ADDR, PROC_DUMP_AREA.size));
  // post_mpipl_arch_regs_data: the CPU metadata's crashing_pir is never set (only OPAL's has it).
  mem.poke(
    CPU_METADATA_ADDR,
    OPAL_MPIPL_FADUMP.encode({
      version: 1,
      crashing_pir: 0,
      cpu_data_version: area.version,
      cpu_data_size: area.thread_size,
      region_cnt: 1,
    }),
  );
  const dest = area.dest_addr & HRMOR_MASK;
  mem.poke(
    CPU_METADATA_ADDR + OPAL_MPIPL_FADUMP.size,
    OPAL_MPIPL_REGION.encode({ src: dest, dest, size: BigInt(area.act_size) }),
  );
  // A tag skiboot has nothing for stays 0: OPAL's without an OPAL-memory entry in MDRT ("OPAL dump
  // is not available"), the CPU one without a register-data destination or size.
  mpipl.exposeTags({
    Cpu: dest === 0n || area.act_size === 0 ? 0n : BigInt(CPU_METADATA_ADDR),
    Opal: opal.length === 0 ? 0n : BigInt(OPAL_METADATA_ADDR),
    Kernel: md.kernel_tag,
    BootMem: md.boot_mem_size,
  });
  mpipl.initTables();
  armProcDumpArea(machine, mpipl);
}
