// ibm,configure-kernel-dump through the RTAS argument buffer: every status code, and the dump
// processing with each personality's behaviour (LoPAR ibm,configure-kernel-dump; QEMU hw/ppc/spapr_fadump.c).
import { describe, expect, it } from 'vitest';
import {
  DUMP_HEADER,
  DUMP_SECTION,
  SECTION_ERROR,
  SECTION_TYPE,
} from '../../../firmware/rtas/fadump-structs.ts';
import { KernelDump } from '../../../firmware/rtas/kernel-dump.ts';
import { type FirmwarePersonality, POWERVM, QEMU } from '../../../firmware/rtas/personality.ts';
import { regsaveSize } from '../../../firmware/rtas/regsave.ts';
import { Rtas, RtasStatus } from '../../../firmware/rtas/rtas.ts';
import { makeMachine } from '../../support/partition.ts';

const MiB = 2 ** 20;
const ARGS = 0x10_0000;
const FDM = 0x20_0000;
const RESERVE = 512 * MiB;
const TOKEN = 0x202d;

function harness(p: FirmwarePersonality) {
  const machine = makeMachine({ memory: 1024 * MiB, seed: 7 });
  const rtas = new Rtas(machine.memory, machine.events);
  const kd = new KernelDump(machine, p, () => 256 * MiB);
  rtas.register({
    token: TOKEN,
    name: 'ibm,configure-kernel-dump',
    nargs: 3,
    nret: 1,
    handler: (c) => kd.call(c),
  });
  const mem = machine.memory;
  const call = (args: number[], nret = 1): number => {
    mem.writeU32(ARGS, TOKEN, 'be');
    mem.writeU32(ARGS + 4, args.length, 'be');
    mem.writeU32(ARGS + 8, nret, 'be');
    args.forEach((a, i) => mem.writeU32(ARGS + 12 + i * 4, a >>> 0, 'be'));
    rtas.enter(ARGS);
    return mem.readU32(ARGS + 12 + args.length * 4, 'be') | 0;
  };
  const cpuSize = regsaveSize(p, 4);
  /** Writes a Linux-style structure: CPU, HPTE, one boot-memory region of `boot` bytes. */
  const writeFdm = (opts: { boot?: number; version?: number; sections?: number; bootDest?: number } = {}) => {
    const boot = opts.boot ?? 320 * MiB;
    const sections = [
      { type: SECTION_TYPE.CpuState, src: 0, len: cpuSize, dest: RESERVE },
      { type: SECTION_TYPE.Hpte, src: 0, len: 0, dest: RESERVE + cpuSize },
      { type: SECTION_TYPE.RealModeRegion, src: 0, len: boot, dest: opts.bootDest ?? RESERVE + 0x10000 },
    ];
    const n = opts.sections ?? sections.length;
    const out = new Uint8Array(DUMP_HEADER.size + n * DUMP_SECTION.size);
    DUMP_HEADER.encodeInto(out, 0, {
      dump_format_version: opts.version ?? 1,
      dump_num_sections: n,
      dump_status_flag: 0,
      offset_first_dump_section: 40,
      dd_block_size: 0,
      dd_block_offset: 0n,
      dd_num_blocks: 0n,
      dd_offset_disk_path: 0,
      max_time_auto: 0,
    });
    for (let i = 0; i < Math.min(n, sections.length); i++) {
      const s = sections[i]!;
      DUMP_SECTION.encodeInto(out, 40 + i * 40, {
        request_flag: 1,
        source_data_type: s.type,
        error_flags: 0,
        source_address: BigInt(s.src),
        source_len: BigInt(s.len),
        bytes_dumped: 0n,
        destination_address: BigInt(s.dest),
      });
    }
    mem.write(FDM, out);
    return out.length;
  };
  return { machine, kd, call, writeFdm, mem };
}

describe('ibm,configure-kernel-dump status codes', () => {
  it('0: registers a well-formed structure, and unregisters', () => {
    const h = harness(POWERVM);
    expect(h.call([1, FDM, h.writeFdm()])).toBe(RtasStatus.Success);
    expect(h.kd.registered).toBe(true);
    expect(h.call([2, FDM, 440])).toBe(RtasStatus.Success);
    expect(h.kd.registered).toBe(false);
  });

  it('-9: a second registration is "dump already registered"', () => {
    const h = harness(QEMU);
    const len = h.writeFdm();
    expect(h.call([1, FDM, len])).toBe(0);
    expect(h.call([1, FDM, len])).toBe(RtasStatus.DumpAlreadyRegistered);
  });

  it('-10: register and unregister while a dump is active', () => {
    const h = harness(POWERVM);
    const len = h.writeFdm();
    expect(h.call([1, FDM, len])).toBe(0);
    h.kd.process();
    expect(h.call([1, FDM, len])).toBe(RtasStatus.DumpActive);
    expect(h.call([2, FDM, len])).toBe(RtasStatus.DumpActive);
    expect(h.call([3, FDM, len])).toBe(0);
    expect(h.call([1, FDM, len])).toBe(0);
  });

  it('-1: the structure cannot be read (uncorrectable memory error)', () => {
    const h = harness(POWERVM);
    const len = h.writeFdm();
    h.mem.poison(FDM);
    expect(h.call([1, FDM, len])).toBe(RtasStatus.HardwareError);
    expect(h.kd.registered).toBe(false);
  });

  it('-3: every parameter error', () => {
    const h = harness(POWERVM);
    const len = h.writeFdm();
    expect(h.call([1, FDM, len], 2)).toBe(-3); // nret != 1
    expect(h.call([1, FDM])).toBe(-3); // nargs != 3
    expect(h.call([1, FDM, 39])).toBe(-3); // shorter than the header
    expect(h.call([1, 0, len])).toBe(-3); // address 0
    expect(h.call([1, 256 * MiB - 40, len])).toBe(-3); // outside the RMA
    expect(h.call([1, FDM, len + 40])).toBe(-3); // PowerVM: not exactly 40 + 40n
    expect(h.call([7, FDM, len])).toBe(-3); // unknown command
    expect(h.call([3, FDM, len])).toBe(-3); // invalidate with no dump active
    h.writeFdm({ version: 2 });
    expect(h.call([1, FDM, len])).toBe(-3);
    const eleven = h.writeFdm({ sections: 11 });
    expect(h.call([1, FDM, eleven])).toBe(-3);
    expect(h.kd.registered).toBe(false);
  });

  it('neverBusy: -2 and 9900–9905 are answered by PowerVM when injected; QEMU never does', () => {
    for (const s of [-2, 9900, 9901, 9902, 9903, 9904, 9905]) {
      const h = harness(POWERVM);
      h.kd.busyQueue.push(s);
      const len = h.writeFdm();
      expect(h.call([1, FDM, len])).toBe(s);
      expect(h.call([1, FDM, len])).toBe(0);
    }
    const q = harness(QEMU);
    q.kd.busyQueue.push(-2);
    expect(q.call([1, FDM, q.writeFdm()])).toBe(0);
  });
});

describe('QEMU quirks at the call level', () => {
  it('anyLengthFromHeader: QEMU accepts a length longer than the structure', () => {
    const h = harness(QEMU);
    expect(h.call([1, FDM, h.writeFdm() + 40])).toBe(0);
  });

  it('noSourceRangeCheck: a boot-memory source past partition memory is -3 on PowerVM, accepted by QEMU', () => {
    // 1 GiB of memory: a 2 GiB region from 0 reaches past it.
    const q = harness(QEMU);
    expect(q.call([1, FDM, q.writeFdm({ boot: 2048 * MiB })])).toBe(0);
    const p = harness(POWERVM);
    expect(p.call([1, FDM, p.writeFdm({ boot: 2048 * MiB })])).toBe(-3);
  });

  it('invalidateAlwaysSucceeds: QEMU returns 0 with no dump active, PowerVM -3', () => {
    expect(harness(QEMU).call([3, FDM, 440])).toBe(0);
    expect(harness(POWERVM).call([3, FDM, 440])).toBe(-3);
  });
});

describe('dump processing at os-term', () => {
  it('copies boot memory, writes CPU state, reports bytes dumped and status 0xC000', () => {
    const h = harness(POWERVM);
    h.mem.write(5 * MiB, Uint8Array.of(1, 2, 3));
    expect(h.call([1, FDM, h.writeFdm()])).toBe(0);
    const results = h.kd.process();
    expect(results.map((r) => r.errorFlags)).toEqual([0, 0, 0]);
    expect(results[0]!.bytesDumped).toBe(BigInt(regsaveSize(POWERVM, 4)));
    expect(results[2]!.bytesDumped).toBe(BigInt(320 * MiB));
    expect([...h.mem.peek(RESERVE + 0x10000 + 5 * MiB, 3)]).toEqual([1, 2, 3]);
    const prop = h.kd.kernelDumpProperty()!;
    expect(DUMP_HEADER.decode(prop).dump_status_flag).toBe(0xc000);
  });

  it('an unusable destination sets 0x1000 and keeps the 0x2000 error bit on PowerVM', () => {
    const h = harness(POWERVM);
    expect(h.call([1, FDM, h.writeFdm({ bootDest: 900 * MiB })])).toBe(0);
    const r = h.kd.process();
    expect(r[2]!.errorFlags).toBe(SECTION_ERROR.InvalidDestination);
    expect(r[2]!.bytesDumped).toBe(BigInt(96 * MiB)); // three whole 32 MiB chunks fit below the end of RAM
    expect(DUMP_HEADER.decode(h.kd.kernelDumpProperty()!).dump_status_flag).toBe(0xe000);
  });

  it('statusOverwritesError and partialCopyReportsZero: QEMU loses the error bit and reports 0 bytes', () => {
    const h = harness(QEMU);
    expect(h.call([1, FDM, h.writeFdm({ bootDest: 900 * MiB })])).toBe(0);
    const r = h.kd.process();
    expect(r[2]!.errorFlags).toBe(SECTION_ERROR.InvalidDestination);
    expect(r[2]!.bytesDumped).toBe(0n);
    expect(DUMP_HEADER.decode(h.kd.kernelDumpProperty()!).dump_status_flag).toBe(0xc000);
  });

  it('noOverlapCheck: QEMU copies an overlapping region 32 MiB at a time from the start; PowerVM sets 0x1000', () => {
    // 64 MiB from 0 to 16 MiB: the first chunk overwrites [16, 48) MiB before the second chunk reads
    // [32, 64) MiB, so the second chunk carries bytes the first one wrote.
    const marks = [0, 16, 32, 48].map((m) => m * MiB);
    for (const [p, flags] of [
      [QEMU, 0],
      [POWERVM, SECTION_ERROR.InvalidDestination],
    ] as const) {
      const h = harness(p);
      marks.forEach((at, i) => h.mem.write(at, Uint8Array.of(0xa0 + i)));
      expect(h.call([1, FDM, h.writeFdm({ boot: 64 * MiB, bootDest: 16 * MiB })])).toBe(0);
      const r = h.kd.process();
      expect(r[2]!.errorFlags, p.name).toBe(flags);
      const seen = [16, 32, 48, 64].map((m) => h.mem.peek(m * MiB, 1)[0]);
      // QEMU: [16] = old [0], [32] = old [16], [48] = new [32] = old [16], [64] = [48], which chunk 0 left.
      expect(seen, p.name).toEqual(p === QEMU ? [0xa0, 0xa1, 0xa1, 0xa3] : [0xa1, 0xa2, 0xa3, 0]);
      expect(r[2]!.bytesDumped, p.name).toBe(p === QEMU ? BigInt(64 * MiB) : 0n);
    }
  });

  it('noDestinationSizeCheck: QEMU writes CPU state longer than its section; PowerVM sets 0x0800', () => {
    for (const [p, flags, bytes] of [
      [QEMU, 0, regsaveSize(QEMU, 4)],
      [POWERVM, SECTION_ERROR.DestinationTooSmall, 0],
    ] as const) {
      const h = harness(p);
      const len = h.writeFdm();
      h.mem.writeU64(FDM + 40 + DUMP_SECTION.offsetOf('source_len'), 64n, 'be');
      expect(h.call([1, FDM, len])).toBe(0);
      const r = h.kd.process();
      expect([r[0]!.errorFlags, r[0]!.bytesDumped], p.name).toEqual([flags, BigInt(bytes)]);
    }
  });

  it("regsaveQemuLayout: QEMU's area has NumCpusOffset 0x10, 79 entries a CPU and 12 tail bytes; PAPR's 0x1C", () => {
    for (const [p, offset, entries, tail] of [
      [QEMU, 0x10, 79, 12],
      [POWERVM, 0x1c, 55, 0],
    ] as const) {
      const h = harness(p);
      expect(h.call([1, FDM, h.writeFdm()])).toBe(0);
      h.kd.process();
      const area = h.mem.peek(RESERVE, regsaveSize(p, 4));
      const v = new DataView(area.buffer, area.byteOffset);
      expect(new TextDecoder().decode(area.subarray(0, 7)), p.name).toBe('REGSAVE');
      expect(v.getUint32(0x0c), p.name).toBe(offset);
      expect(v.getUint32(offset), p.name).toBe(4);
      expect(area.length - (offset + 4) - 4 * entries * 16, p.name).toBe(tail);
      expect(new TextDecoder().decode(area.subarray(offset + 4, offset + 11)), p.name).toBe('CPUSTRT');
    }
  });

  it('cpuRecordsEveryThread: QEMU writes a CPU record for an offline thread too; PowerVM only for online ones', () => {
    for (const [p, records] of [
      [QEMU, 4],
      [POWERVM, 3],
    ] as const) {
      const h = harness(p);
      h.machine.cpus[3]!.online = false;
      expect(h.call([1, FDM, h.writeFdm()])).toBe(0);
      const r = h.kd.process();
      expect(r[0]!.bytesDumped, p.name).toBe(BigInt(regsaveSize(p, records)));
    }
  });

  it('errorFlagsHostOrder: the guest reads the flag QEMU stored as 0x0010; PowerVM stores 0x1000', () => {
    for (const [p, seen] of [
      [QEMU, 0x0010],
      [POWERVM, 0x1000],
    ] as const) {
      const h = harness(p);
      expect(h.call([1, FDM, h.writeFdm({ bootDest: 900 * MiB })])).toBe(0);
      h.kd.process();
      const prop = h.kd.kernelDumpProperty()!;
      expect(
        DUMP_SECTION.decode(prop, 'be', DUMP_HEADER.size + 2 * DUMP_SECTION.size).error_flags,
        p.name,
      ).toBe(seen);
    }
  });
});

describe('QEMU quirks in the device tree and the saved state', () => {
  it('versionPropertyHostOrder: QEMU writes (1, 1) in little-endian, PowerVM big-endian', async () => {
    const { PseriesFirmware } = await import('../../../firmware/rtas/pseries-firmware.ts');
    const prop = (p: FirmwarePersonality) => {
      const h = harness(p);
      return [
        ...new PseriesFirmware(h.machine, p)
          .buildTree('')
          .find('/rtas')!
          .get('ibm,configure-kernel-dump-version')!,
      ];
    };
    expect(prop(POWERVM)).toEqual([0, 1, 0, 1]);
    expect(prop(QEMU)).toEqual([1, 0, 1, 0]);
  });

  it('cpuSizeCountsCores: QEMU sizes CPU state by cores, PowerVM by threads', async () => {
    const { PseriesFirmware } = await import('../../../firmware/rtas/pseries-firmware.ts');
    const m = makeMachine({ memory: 1024 * MiB, cpus: 8, threadsPerCore: 4 });
    const sizes = (p: FirmwarePersonality) =>
      new PseriesFirmware(m, p).buildTree('').find('/rtas')!.getCells('ibm,configure-kernel-dump-sizes');
    expect(sizes(QEMU)).toEqual([1, 0, 32 + 1264 * 2, 2, 0, 0]);
    expect(sizes(POWERVM)).toEqual([1, 0, regsaveSize(POWERVM, 8), 2, 0, 0]);
  });

  it('cpuDestinationAsInvalidSource: an unusable CPU destination is 0x4000 on QEMU, 0x1000 on PowerVM', () => {
    for (const [p, flag] of [
      [QEMU, SECTION_ERROR.InvalidSource],
      [POWERVM, SECTION_ERROR.InvalidDestination],
    ] as const) {
      const h = harness(p);
      const len = h.writeFdm();
      h.mem.writeU64(FDM + 40 + 0x20, BigInt(4096 * MiB), 'be'); // CPU section destination beyond RAM
      expect(h.call([1, FDM, len])).toBe(0);
      expect(h.kd.process()[0]!.errorFlags).toBe(flag);
    }
  });

  it('staleCtrLrXerCfar: QEMU saves CTR, LR, XER and CFAR as 0', () => {
    for (const p of [QEMU, POWERVM]) {
      const h = harness(p);
      for (const c of h.machine.cpus) Object.assign(c.regs, { ctr: 0x1111n, lr: 0x2222n, xer: 0x3333n });
      expect(h.call([1, FDM, h.writeFdm()])).toBe(0);
      h.kd.process();
      const area = h.mem.peek(RESERVE, regsaveSize(p, 4));
      const values = new Map<string, bigint>();
      const v = new DataView(area.buffer);
      const first = p === QEMU ? 20 : 32;
      for (let at = first; at + 16 <= area.length; at += 16) {
        const id = new TextDecoder().decode(area.subarray(at, at + 8)).replace(/\0+$/, '');
        if (id === 'CPUEND') break;
        values.set(id, v.getBigUint64(at + 8));
      }
      const expected = p === QEMU ? [0n, 0n, 0n] : [0x1111n, 0x2222n, 0x3333n];
      expect([values.get('CTR'), values.get('LR'), values.get('XER')]).toEqual(expected);
    }
  });
});

describe('firmware says why', () => {
  /** The refusals the machine recorded since `from`, as call: reason (value) -> status. */
  const refusals = (h: ReturnType<typeof harness>, from = 0) =>
    h.machine.events.events
      .slice(from)
      .flatMap((e) =>
        e.kind === 'reject'
          ? [`${e.detail.call}: ${e.detail.reason} (${e.detail.value}) -> ${e.detail.status}`]
          : [],
      );

  it('every -3 names its reason and the offending value; arity is checked once, by the dispatcher', () => {
    const h = harness(POWERVM);
    const len = h.writeFdm();
    h.call([1, FDM, len], 2);
    h.call([1, FDM]);
    h.call([1, FDM, 39]);
    h.call([1, 256 * MiB - 40, len]);
    h.call([1, FDM, len + 40]);
    h.call([7, FDM, len]);
    h.writeFdm({ version: 2 });
    h.call([1, FDM, len]);
    expect(refusals(h)).toEqual([
      'ibm,configure-kernel-dump: nret, expected 1 (0x2) -> -3',
      'ibm,configure-kernel-dump: nargs, expected 3 (0x2) -> -3',
      'ibm,configure-kernel-dump: length below the 40-byte header (0x27) -> -3',
      `ibm,configure-kernel-dump: buffer outside the RMA (0x10000000 bytes) (0x${(256 * MiB - 40).toString(16)}) -> -3`,
      `ibm,configure-kernel-dump: length is not the structure's exact size 0x${len.toString(16)} (0x${(len + 40).toString(16)}) -> -3`,
      'ibm,configure-kernel-dump: unknown command (0x7) -> -3',
      'ibm,configure-kernel-dump: format version, expected 1 (0x2) -> -3',
    ]);
  });

  it('a section firmware cannot process says which, why, where, and the flags it set', () => {
    const h = harness(POWERVM);
    expect(h.call([1, FDM, h.writeFdm({ bootDest: 900 * MiB })])).toBe(0);
    h.kd.process();
    const errors = h.machine.events.events.flatMap((e) => (e.kind === 'dump-error' ? [e.detail] : []));
    expect(errors).toEqual([
      {
        what: 'section 2 (type 0x11)',
        reason: 'destination not writable after 0x6000000 bytes',
        value: `0x${(900 * MiB + 96 * MiB).toString(16)}`,
        flags: `0x${SECTION_ERROR.InvalidDestination.toString(16)}`,
      },
    ]);
  });
});

describe('ibm,os-term arity', () => {
  /** os-term through the firmware's RTAS with `nargs` argument cells (the message pointer first). */
  async function osTerm(p: FirmwarePersonality, nargs: number) {
    const { PseriesFirmware, OS_TERM_TOKEN } = await import('../../../firmware/rtas/pseries-firmware.ts');
    const machine = makeMachine({ memory: 1024 * MiB, seed: 7 });
    const fw = new PseriesFirmware(machine, p);
    const mem = machine.memory;
    mem.write(0x30_0000, new TextEncoder().encode('panic\0'));
    mem.writeU32(ARGS, OS_TERM_TOKEN, 'be');
    mem.writeU32(ARGS + 4, nargs, 'be');
    mem.writeU32(ARGS + 8, 1, 'be');
    // With nargs 0 the status cell is where the pointer is: QEMU reads it as the argument anyway.
    mem.writeU32(ARGS + 12, 0x30_0000, 'be');
    if (nargs > 0) mem.writeU32(ARGS + 12 + nargs * 4, 0x7777, 'be');
    fw.rtas.enter(ARGS);
    const message = machine.events.events.find((e) => e.kind === 'os-term')?.detail;
    return { status: mem.readU32(ARGS + 12 + nargs * 4, 'be') | 0, message };
  }

  it('osTermNoArityCheck: QEMU takes the call with nargs 0 (message and status as usual); PowerVM answers -3', async () => {
    expect(await osTerm(QEMU, 0)).toEqual({
      status: 0,
      message: { message: 'panic', dumpRegistered: false },
    });
    expect(await osTerm(POWERVM, 0)).toEqual({ status: -3, message: undefined });
    expect((await osTerm(POWERVM, 1)).status).toBe(0);
  });
});
