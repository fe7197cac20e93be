// Structure sizes and field offsets against the published layouts (PAPR, QEMU and skiboot, Linux arch/powerpc/kernel/fadump.c).
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../../emulator/clock.ts';
import { CpuThread, zeroRegisters } from '../../../emulator/cpu-thread.ts';
import {
  DUMP_HEADER,
  DUMP_SECTION,
  REG_ENTRY,
  REGSAVE_HEADER_PAPR,
  REGSAVE_HEADER_QEMU,
} from '../../../firmware/rtas/fadump-structs.ts';
import { POWERVM, QEMU } from '../../../firmware/rtas/personality.ts';
import { buildRegsave, QEMU_REGISTER_ORDER, regsaveSize } from '../../../firmware/rtas/regsave.ts';
import { CRASH_INFO_HEADER, CRASH_INFO_HEADER_OLD } from '../../../kernel-model/crash-info-header.ts';

const offsets = (s: { layout: readonly { name: string; offset: number }[] }) =>
  Object.fromEntries(s.layout.map((l) => [l.name, l.offset]));

describe('RTAS dump memory structure', () => {
  it('has a 40-byte header and 40-byte sections: 40 + 40·n bytes in all', () => {
    expect(DUMP_HEADER.size).toBe(40);
    expect(DUMP_SECTION.size).toBe(40);
    for (const n of [3, 7, 10]) expect(DUMP_HEADER.size + n * DUMP_SECTION.size).toBe(40 + 40 * n);
    expect(offsets(DUMP_HEADER)).toEqual({
      dump_format_version: 0x00,
      dump_num_sections: 0x04,
      dump_status_flag: 0x06,
      offset_first_dump_section: 0x08,
      dd_block_size: 0x0c,
      dd_block_offset: 0x10,
      dd_num_blocks: 0x18,
      dd_offset_disk_path: 0x20,
      max_time_auto: 0x24,
    });
    expect(offsets(DUMP_SECTION)).toEqual({
      request_flag: 0x00,
      source_data_type: 0x04,
      error_flags: 0x06,
      source_address: 0x08,
      source_len: 0x10,
      bytes_dumped: 0x18,
      destination_address: 0x20,
    });
  });
});

describe('register save area', () => {
  it('QEMU layout is 32 + 1264·N bytes with NumCpus at 0x10 and 79 entries per CPU', () => {
    expect(QEMU_REGISTER_ORDER.length + 2).toBe(79);
    for (const n of [1, 4, 8]) expect(regsaveSize(QEMU, n)).toBe(32 + 1264 * n);
    expect(regsaveSize(QEMU, 4)).toBe(0x13e0);
    expect(REGSAVE_HEADER_QEMU.offsetOf('num_cpus')).toBe(0x10);
    expect(REG_ENTRY.size).toBe(16);
  });

  it('PAPR layout keeps NumCpus at 0x1C after zero padding, entries from 0x20', () => {
    expect(REGSAVE_HEADER_PAPR.offsetOf('num_cpus')).toBe(0x1c);
    expect(REGSAVE_HEADER_PAPR.size).toBe(0x20);
    const cpus = [0, 1].map((i) => new CpuThread(i, i * 8, zeroRegisters()));
    const area = buildRegsave(POWERVM, cpus, new SeededRng(1));
    const v = new DataView(area.buffer);
    expect(v.getBigUint64(0)).toBe(0x5245475341564500n);
    expect(v.getUint32(0x0c)).toBe(0x1c);
    expect(v.getUint32(0x1c)).toBe(2);
    expect(REGSAVE_HEADER_PAPR.validate(area)).toEqual([]);
    expect(v.getBigUint64(0x20)).toBe(0x4350555354525400n); // CPUSTRT
    expect(area.length).toBe(regsaveSize(POWERVM, 2));
  });
});

describe('fadump crash info header', () => {
  it('6.10+ layout: 680 bytes with NR_CPUS=2048 and the published offsets', () => {
    expect(CRASH_INFO_HEADER.size).toBe(680);
    expect(offsets(CRASH_INFO_HEADER)).toEqual({
      magic_number: 0x00,
      version: 0x08,
      crashing_cpu: 0x0c,
      vmcoreinfo_raddr: 0x10,
      vmcoreinfo_size: 0x18,
      pt_regs_sz: 0x20,
      cpu_mask_sz: 0x24,
      regs: 0x28,
      cpu_mask: 0x1a8,
    });
  });

  it('old layout: 664 bytes, elfcorehdr_addr at 0x08, regs at 0x18, cpu_mask at 0x198', () => {
    expect(CRASH_INFO_HEADER_OLD.size).toBe(664);
    expect(offsets(CRASH_INFO_HEADER_OLD)).toMatchObject({
      magic_number: 0x00,
      elfcorehdr_addr: 0x08,
      crashing_cpu: 0x10,
      regs: 0x18,
      cpu_mask: 0x198,
    });
  });
});

describe('ELF core structures', () => {
  it('have the sizes and offsets the tools need (Linux kernel/printk/printk_ringbuffer.h)', async () => {
    const { ELF64_EHDR, ELF64_PHDR, ELF64_NHDR, ELF_PRSTATUS, PT_REGS, PRSTATUS_NOTE_SIZE, prstatusNote } =
      await import('../../../kernel-model/elf.ts');
    expect([ELF64_EHDR.size, ELF64_PHDR.size, ELF64_NHDR.size]).toEqual([64, 56, 12]);
    expect(PT_REGS.size).toBe(384);
    expect([
      PT_REGS.offsetOf('nip'),
      PT_REGS.offsetOf('ctr'),
      PT_REGS.offsetOf('link'),
      PT_REGS.offsetOf('ccr'),
    ]).toEqual([256, 280, 288, 304]);
    expect(PT_REGS.offsetOf('trap')).toBe(320);
    expect(ELF_PRSTATUS.size).toBe(504);
    expect([
      ELF_PRSTATUS.offsetOf('pr_pid'),
      ELF_PRSTATUS.offsetOf('pr_reg'),
      ELF_PRSTATUS.offsetOf('pr_fpvalid'),
    ]).toEqual([32, 112, 496]);
    const regs = { ...PT_REGS.zero(), nip: 0xc000000000123450n, link: 0xc000000000002000n };
    for (const order of ['le', 'be'] as const) {
      const note = prstatusNote(regs, 7, order);
      expect(note.length).toBe(PRSTATUS_NOTE_SIZE);
      const v = new DataView(note.buffer);
      const le = order === 'le';
      expect([v.getUint32(0, le), v.getUint32(4, le), v.getUint32(8, le)]).toEqual([5, 504, 1]);
      expect(new TextDecoder().decode(note.subarray(12, 16))).toBe('CORE');
      expect(v.getInt32(20 + 32, le)).toBe(7);
      expect(v.getBigUint64(20 + 112 + 32 * 8, le)).toBe(0xc000000000123450n);
      expect(v.getBigUint64(20 + 112 + 36 * 8, le)).toBe(0xc000000000002000n);
    }
  });
});

describe('OPAL MPIPL structures', () => {
  it('have the sizes and offsets of skiboot core/opal-dump.c and doc/mpipl.rst', async () => {
    const m = await import('../../../firmware/opal/mpipl-structs.ts');
    expect([m.MDST_ENTRY.size, m.MDRT_ENTRY.size, m.PRESERVED_METADATA.size, m.PROC_DUMP_AREA.size]).toEqual([
      16, 32, 20, 0x30,
    ]);
    expect([
      m.HDAT_THREAD_HEADER.size,
      m.HDAT_REG_ENTRY.size,
      m.OPAL_MPIPL_FADUMP.size,
      m.OPAL_MPIPL_REGION.size,
    ]).toEqual([24, 16, 24, 24]);
    expect(offsets(m.MDST_ENTRY)).toEqual({ addr: 0, data_region: 8, dump_type: 9, reserved: 10, size: 12 });
    expect(offsets(m.PROC_DUMP_AREA)).toMatchObject({
      thread_size: 0,
      version: 4,
      alloc_addr: 0x10,
      alloc_size: 0x1c,
      dest_addr: 0x20,
      act_size: 0x2c,
    });
    expect(offsets(m.HDAT_THREAD_HEADER)).toMatchObject({
      pir: 0,
      core_state: 4,
      offset: 8,
      ecnt: 0x0c,
      esize: 0x10,
      eactsz: 0x14,
    });
    expect(offsets(m.OPAL_MPIPL_FADUMP)).toMatchObject({
      version: 0,
      crashing_pir: 8,
      cpu_data_version: 12,
      cpu_data_size: 16,
      region_cnt: 20,
    });
    expect([m.MDST_CAPACITY, m.MDDT_CAPACITY]).toEqual([64, 64]);
    expect([m.MDST_ADDR, m.MDDT_ADDR, m.MDRT_ADDR, m.METADATA_ADDR]).toEqual([
      0x30010c00, 0x30011000, 0x31c00000, 0x31c08000,
    ]);
  });
});
