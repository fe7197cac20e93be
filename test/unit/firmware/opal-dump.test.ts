// The MPIPL dump step and dump boot (skiboot core/opal-dump.c and doc/mpipl.rst): ranges copied to their
// destinations, MDRT with the original addresses, HDAT thread records with the entry offset
// relative to its field and inactive cores marked, and the tags handed to the capture kernel.
import { describe, expect, it } from 'vitest';
import { MpiplOp, MpiplTag } from '../../../firmware/opal/mpipl.ts';
import { mpiplBoot, THREAD_RECORD_BYTES } from '../../../firmware/opal/mpipl-dump.ts';
import {
  CPU_METADATA_ADDR,
  HDAT_CORE_INACTIVE,
  HDAT_REG_ENTRY,
  HDAT_THREAD_HEADER,
  HRMOR_BIT,
  MDRT_ADDR,
  MDRT_ENTRY,
  MDST_ADDR,
  OPAL_MPIPL_FADUMP,
  OPAL_MPIPL_REGION,
  PROC_DUMP_AREA,
  PROC_DUMP_AREA_ADDR,
  SKIBOOT_BASE,
} from '../../../firmware/opal/mpipl-structs.ts';
import { OpalStatus, OpalToken } from '../../../firmware/opal/opal.ts';
import { SkibootFirmware } from '../../../firmware/opal/skiboot-firmware.ts';
import { makeMachine } from '../../support/partition.ts';

const GiB = 2 ** 30;
const _MiB = 2 ** 20;

function crashed(opts: { offlineCore?: boolean } = {}) {
  const machine = makeMachine({ memory: 4 * GiB, cpus: 8, threadsPerCore: 4, seed: 3 });
  const fw = new SkibootFirmware(machine);
  const call = (token: number, args: (number | bigint)[], pir = 0) =>
    fw.opal.call(token, args.map(BigInt), pir);
  machine.memory.poke(0x100_0000, new TextEncoder().encode('crashed kernel data'));
  machine.memory.poke(0x2fff_fff0, new TextEncoder().encode('end of boot mem!'));
  expect(call(OpalToken.MpiplUpdate, [MpiplOp.AddRange, 0, 0x8000_0000, 0x3000_0000])).toBe(0);
  expect(call(OpalToken.MpiplRegisterTag, [MpiplTag.Kernel, 0x9000_0000])).toBe(0);
  expect(call(OpalToken.MpiplRegisterTag, [MpiplTag.BootMem, 0x3000_0000])).toBe(0);
  machine.cpus.forEach((c, i) => {
    c.regs.nip = 0xc000_0000_0000_1000n + BigInt(i);
    c.regs.gpr[1] = 0xc000_0000_0c00_0000n + BigInt(i);
  });
  if (opts.offlineCore) for (const c of machine.cpus.slice(4)) c.online = false;
  const atDump = machine.cpus.map((c) => ({ nip: c.regs.nip, r1: c.regs.gpr[1]! }));
  expect(call(OpalToken.CecReboot2, [3, 0], machine.cpus[2]!.pir)).toBe(0);
  expect(fw.rebootIfPending()).toBe(true);
  const query = (tag: number) => {
    const st = call(OpalToken.MpiplQueryTag, [tag, 0x10_0000]);
    return st === 0 ? machine.memory.readU64(0x10_0000, 'be') : st;
  };
  return { machine, fw, call, query, atDump };
}

describe('MPIPL dump step and dump boot', () => {
  it('copies every registered range and lists it in MDRT with the original addresses', () => {
    const { machine } = crashed();
    // The kernel range is the second MDST entry: copied in full, last byte included (QEMU's shared
    // chunk counter would copy it short, docs/powernv-qemu-differences.md).
    expect(new TextDecoder().decode(machine.memory.peek(0x8000_0000 + 0x2fff_fff0, 16))).toBe(
      'end of boot mem!',
    );
    expect(new TextDecoder().decode(machine.memory.peek(0x8100_0000, 19))).toBe('crashed kernel data');
    const mdrt = [0, 1].map((i) => MDRT_ENTRY.decode(machine.memory.peek(MDRT_ADDR + i * 32, 32)));
    expect(mdrt[0]).toMatchObject({ src_addr: BigInt(SKIBOOT_BASE) | HRMOR_BIT, data_region: 0x03 });
    expect(mdrt[1]).toMatchObject({
      src_addr: HRMOR_BIT,
      dest_addr: 0x8000_0000n | HRMOR_BIT,
      data_region: 0x80,
      size: 0x3000_0000,
    });
  });

  it('hands the capture kernel its tags and the CPU metadata (whose crashing_pir skiboot never sets; the OPAL metadata has it)', () => {
    const { machine, query, atDump } = crashed();
    expect(query(MpiplTag.Kernel)).toBe(0x9000_0000n);
    expect(query(MpiplTag.BootMem)).toBe(0x3000_0000n);
    expect(query(MpiplTag.Cpu)).toBe(BigInt(CPU_METADATA_ADDR));
    const meta = OPAL_MPIPL_FADUMP.decode(machine.memory.peek(CPU_METADATA_ADDR, 24));
    expect(meta).toMatchObject({
      version: 1,
      crashing_pir: 0,
      cpu_data_version: 1,
      cpu_data_size: THREAD_RECORD_BYTES,
      region_cnt: 1,
    });
    const opal = OPAL_MPIPL_FADUMP.decode(machine.memory.peek(Number(query(MpiplTag.Opal)), 24));
    expect(opal.crashing_pir).toBe(2);
    const region = OPAL_MPIPL_REGION.decode(machine.memory.peek(CPU_METADATA_ADDR + 24, 24));
    expect(region.size).toBe(BigInt(8 * THREAD_RECORD_BYTES));
    // Thread records, as Linux walks them: entries at (offset field position + offset).
    const base = Number(region.dest);
    for (let i = 0; i < 8; i++) {
      const at = base + i * THREAD_RECORD_BYTES;
      const h = HDAT_THREAD_HEADER.decode(machine.memory.peek(at, 24));
      expect(h).toMatchObject({ pir: machine.cpus[i]!.pir, core_state: 0, offset: 16, esize: 16 });
      const entries = Array.from({ length: h.ecnt }, (_, j) =>
        HDAT_REG_ENTRY.decode(machine.memory.peek(at + 8 + h.offset + j * 16, 16)),
      );
      expect(entries[1]).toEqual({ reg_type: 1, reg_num: 1, reg_val: atDump[i]!.r1 });
      expect(entries.find((e) => e.reg_num === 0x7d0)?.reg_val).toBe(atDump[i]!.nip);
    }
  });

  it('leaves the CPU and OPAL tags 0 when nothing was preserved for them (no register data, no OPAL entry in MDRT)', () => {
    const { machine, fw, query } = crashed();
    expect(query(MpiplTag.Cpu)).not.toBe(0n);
    expect(query(MpiplTag.Opal)).not.toBe(0n);
    // The same dump boot again, had the SBE written no register data and MDRT listed no OPAL memory.
    const area = PROC_DUMP_AREA.decode(machine.memory.peek(PROC_DUMP_AREA_ADDR, PROC_DUMP_AREA.size));
    machine.memory.poke(PROC_DUMP_AREA_ADDR, PROC_DUMP_AREA.encode({ ...area, act_size: 0 }));
    machine.memory.poke(MDRT_ADDR, new Uint8Array(4 * MDRT_ENTRY.size));
    mpiplBoot(machine, fw.mpipl);
    expect(query(MpiplTag.Cpu)).toBe(0n);
    expect(query(MpiplTag.Opal)).toBe(0n);
  });

  it('marks the threads of an inactive core 0x0F', () => {
    const { machine, query } = crashed({ offlineCore: true });
    const base = Number(
      OPAL_MPIPL_REGION.decode(machine.memory.peek(Number(query(MpiplTag.Cpu)) + 24, 24)).dest,
    );
    const states = Array.from(
      { length: 8 },
      (_, i) => machine.memory.peek(base + i * THREAD_RECORD_BYTES + 4, 1)[0],
    );
    expect(states).toEqual([
      0,
      0,
      0,
      0,
      HDAT_CORE_INACTIVE,
      HDAT_CORE_INACTIVE,
      HDAT_CORE_INACTIVE,
      HDAT_CORE_INACTIVE,
    ]);
  });

  it('gives OPAL its own preserved region and re-arms the tables for the next crash', () => {
    const { machine, query, fw } = crashed();
    const opal = Number(query(MpiplTag.Opal));
    expect(OPAL_MPIPL_FADUMP.decode(machine.memory.peek(opal, 24)).region_cnt).toBe(1);
    expect(OPAL_MPIPL_REGION.decode(machine.memory.peek(opal + 24, 24)).src).toBe(BigInt(SKIBOOT_BASE));
    expect(fw.mpipl.entries(MDST_ADDR).map((e) => e.data_region)).toEqual([0x03]);
  });

  it('after FREE_PRESERVED_MEMORY no tag can be queried', () => {
    const { call, query } = crashed();
    expect(call(OpalToken.MpiplUpdate, [MpiplOp.FreePreservedMemory, 0, 0, 0])).toBe(0);
    expect(query(MpiplTag.Kernel)).toBe(OpalStatus.Parameter);
  });
});

describe('PowerNV device tree', () => {
  it('describes /ibm,opal/dump, fw-load-area and skiboot reserved memory; mpipl-boot only on the dump boot', async () => {
    const { decodeDtb, FDT_HEADER } = await import('../../../emulator/dtb.ts');
    const machine = makeMachine({ memory: 4 * GiB, cpus: 8, threadsPerCore: 4, seed: 3 });
    const fw = new SkibootFirmware(machine);
    const read = (addr: number) => {
      const size = FDT_HEADER.decode(machine.memory.peek(addr, 40)).totalsize;
      return decodeDtb(machine.memory.peek(addr, size)).root;
    };
    const first = read(fw.boot('fadump=on'));
    const dump = first.find('/ibm,opal/dump')!;
    expect(dump.getString('compatible')).toBe('ibm,opal-dump');
    expect(dump.getCells('fw-load-area')).toEqual([
      0, 0x2000_0000, 0, 0x0800_0000, 0, 0x2800_0000, 0, 0x0800_0000,
    ]);
    expect(dump.get('mpipl-boot')).toBeUndefined();
    expect(first.find('/cpus/PowerPC,POWER10@8')?.getCells('ibm,ppc-interrupt-server#s')).toEqual([
      8, 9, 10, 11,
    ]);
    expect(first.find('/reserved-memory/ibm,firmware-code@30000000')).toBeDefined();
    expect(first.getCells('reserved-ranges')?.slice(0, 4)).toEqual([0, SKIBOOT_BASE, 0, 0x01c1_0000]);
    fw.opal.call(OpalToken.CecReboot2, [3n, 0n], 0);
    const second = read(fw.boot('fadump=on'));
    expect(second.find('/ibm,opal/dump')?.get('mpipl-boot')).toEqual(new Uint8Array(0));
    expect(read(fw.boot('fadump=on')).find('/ibm,opal/dump')?.get('mpipl-boot')).toBeUndefined();
  });

  it('has no /ibm,opal/dump when MPIPL is not supported', () => {
    const machine = makeMachine({ memory: 4 * GiB, threadsPerCore: 4, seed: 3 });
    expect(new SkibootFirmware(machine, false).buildTree('', false).find('/ibm,opal/dump')).toBeUndefined();
  });
});
