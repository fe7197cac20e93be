// skiboot's MPIPL calls through the OPAL entry: every status each call can return, the 64-entry
// tables shared with OPAL's own entry, and the reboot types (skiboot core/opal-dump.c and doc/mpipl.rst).
import { describe, expect, it } from 'vitest';
import { MpiplOp, MpiplTag } from '../../../firmware/opal/mpipl.ts';
import {
  DUMP_REGION,
  HRMOR_BIT,
  MDDT_ADDR,
  MDST_ADDR,
  MDST_CAPACITY,
  MDST_ENTRY,
  PRESERVED_METADATA,
  SKIBOOT_BASE,
} from '../../../firmware/opal/mpipl-structs.ts';
import { OpalStatus, OpalToken } from '../../../firmware/opal/opal.ts';
import { SkibootFirmware } from '../../../firmware/opal/skiboot-firmware.ts';
import { makeMachine } from '../../support/partition.ts';

const _MiB = 2 ** 20;
const GiB = 2 ** 30;
const P = OpalStatus.Parameter;

function harness(mpiplSupported = true) {
  const machine = makeMachine({ memory: 4 * GiB, threadsPerCore: 4 });
  const fw = new SkibootFirmware(machine, mpiplSupported);
  const call = (token: number, ...args: (number | bigint)[]) => fw.opal.call(token, args.map(BigInt));
  const add = (src: number | bigint, dest: number | bigint, size: number | bigint) =>
    call(OpalToken.MpiplUpdate, MpiplOp.AddRange, src, dest, size);
  return {
    machine,
    fw,
    call,
    add,
    mdst: () => fw.mpipl.entries(MDST_ADDR),
    mddt: () => fw.mpipl.entries(MDDT_ADDR),
  };
}

describe('OPAL call entry', () => {
  it('answers OPAL_PARAMETER for an unknown token or a wrong argument count', () => {
    const h = harness();
    expect(h.call(9999, 1)).toBe(P);
    expect(h.call(OpalToken.MpiplUpdate, 0, 0x1000, 0x2000)).toBe(P);
  });

  it('has no MPIPL calls when the platform does not support MPIPL; an MPIPL reboot then terminates into a full IPL', () => {
    const h = harness(false);
    expect(h.add(0, 0x4000_0000, 0x1000)).toBe(P);
    // opal_cec_reboot2(MPIPL) never returns an error: it terminates.
    h.call(OpalToken.CecReboot2, 3, 0);
    expect(h.fw.pendingReboot).toBe('full-ipl');
  });
});

describe('OPAL_MPIPL_UPDATE', () => {
  it('starts with OPAL own entry and adds kernel ranges with the HRMOR bit and a 32-bit size', () => {
    const h = harness();
    expect(h.mdst()).toHaveLength(1);
    expect(h.mdst()[0]).toMatchObject({
      addr: BigInt(SKIBOOT_BASE) | HRMOR_BIT,
      data_region: DUMP_REGION.OpalMemory,
    });
    expect(h.add(0, 0x4000_0000, 0x1_0000_0005n)).toBe(OpalStatus.Success);
    expect(h.mdst()[1]).toEqual({ addr: HRMOR_BIT, data_region: 0x80, dump_type: 0, size: 5 });
    expect(h.mddt()[1]).toMatchObject({ addr: 0x4000_0000n | HRMOR_BIT, size: 5 });
    expect(MDST_ENTRY.size * MDST_CAPACITY).toBe(0x400);
  });

  it('rejects invalid addresses, a zero size and duplicates with OPAL_PARAMETER', () => {
    const h = harness();
    expect(h.add(0x5000_0000_0000_0000n, 0x4000_0000, 0x1000)).toBe(P); // top nibble not 0 or C
    expect(h.add(0, 5 * GiB, 0x1000)).toBe(P); // destination above the top of RAM
    expect(h.add(0xc000_0000_0000_0000n, 0xc000_0000_4000_0000n, 0)).toBe(P); // size 0
    expect(h.add(0xc000_0000_0000_0000n, 0xc000_0000_4000_0000n, 0x1000)).toBe(OpalStatus.Success);
    expect(h.add(0xc000_0000_0000_0000n, 0x5000_0000, 0x1000)).toBe(P); // same source
    // skiboot compares raw values with the HRMOR bit ORed in: the 0x0… form of the same address is
    // not seen as a duplicate of the 0xC… form (skiboot core/opal-dump.c and doc/mpipl.rst, my reading).
    expect(h.add(0, 0x5000_0000, 0x1000)).toBe(OpalStatus.Success);
    expect(h.add(0x1000, 0xc000_0000_4000_0000n, 0x1000)).toBe(P); // same destination
    expect(h.add(SKIBOOT_BASE, 0x6000_0000, 0x1000)).toBe(P); // OPAL's own source
  });

  it('fills at 64 entries including OPAL own: the 64th kernel range gets OPAL_RESOURCE', () => {
    const h = harness();
    for (let i = 0; i < MDST_CAPACITY - 1; i++)
      expect(h.add(i * 0x10000, 0x8000_0000 + i * 0x10000, 0x10000)).toBe(0);
    expect(h.mdst()).toHaveLength(64);
    expect(h.add(0x1000_0000, 0x9000_0000, 0x10000)).toBe(OpalStatus.Resource);
  });

  it('removes a range by source and destination; a missing destination leaves the tables out of step', () => {
    const h = harness();
    h.add(0, 0x4000_0000, 0x1000);
    h.add(0x2000, 0x4100_0000, 0x1000);
    expect(h.call(OpalToken.MpiplUpdate, MpiplOp.RemoveRange, 0x9000, 0x4000_0000, 0)).toBe(P);
    expect(h.call(OpalToken.MpiplUpdate, MpiplOp.RemoveRange, 0, 0x4000_0000, 0)).toBe(0);
    expect(h.mdst()).toHaveLength(2);
    expect(h.call(OpalToken.MpiplUpdate, MpiplOp.RemoveRange, 0x2000, 0x4200_0000, 0)).toBe(P);
    expect([h.mdst().length, h.mddt().length]).toEqual([1, 2]);
  });

  it('REMOVE_ALL keeps OPAL own entry; FREE_PRESERVED_MEMORY and unknown ops', () => {
    const h = harness();
    h.add(0, 0x4000_0000, 0x1000);
    expect(h.call(OpalToken.MpiplUpdate, MpiplOp.RemoveAll, 0, 0, 0)).toBe(0);
    expect(h.mdst().map((e) => e.data_region)).toEqual([DUMP_REGION.OpalMemory]);
    expect(h.call(OpalToken.MpiplUpdate, MpiplOp.FreePreservedMemory, 0, 0, 0)).toBe(0);
    expect(h.call(OpalToken.MpiplUpdate, 7, 0, 0, 0)).toBe(P);
  });
});

describe('OPAL_MPIPL_REGISTER_TAG and OPAL_MPIPL_QUERY_TAG', () => {
  it('keeps registered tags in the preserved metadata; they are not queryable before the dump boot', () => {
    const h = harness();
    expect(h.call(OpalToken.MpiplRegisterTag, MpiplTag.Kernel, 0x7fff_0000)).toBe(0);
    expect(h.call(OpalToken.MpiplRegisterTag, MpiplTag.BootMem, 0x3000_0000)).toBe(0);
    expect(h.fw.mpipl.metadata()).toMatchObject({ kernel_tag: 0x7fff_0000n, boot_mem_size: 0x3000_0000n });
    expect(PRESERVED_METADATA.size).toBe(20);
    const ptr = 0x100_0000;
    expect(h.call(OpalToken.MpiplQueryTag, MpiplTag.Kernel, ptr)).toBe(0);
    expect(h.machine.memory.readU64(ptr, 'be')).toBe(0n);
    h.fw.mpipl.exposeTags({ Kernel: 0x7fff_0000n });
    expect(h.call(OpalToken.MpiplQueryTag, MpiplTag.Kernel, ptr)).toBe(0);
    expect(h.machine.memory.readU64(ptr, 'be')).toBe(0x7fff_0000n);
  });

  it('rejects bad tags, boot-memory sizes and pointers with OPAL_PARAMETER', () => {
    const h = harness();
    expect(h.call(OpalToken.MpiplRegisterTag, MpiplTag.BootMem, 0)).toBe(P);
    expect(h.call(OpalToken.MpiplRegisterTag, MpiplTag.BootMem, 5 * GiB)).toBe(P);
    expect(h.call(OpalToken.MpiplRegisterTag, MpiplTag.Cpu, 1)).toBe(P);
    expect(h.call(OpalToken.MpiplRegisterTag, 9, 1)).toBe(P);
    expect(h.call(OpalToken.MpiplQueryTag, 4, 0x1000)).toBe(P);
    expect(h.call(OpalToken.MpiplQueryTag, MpiplTag.Kernel, 6 * GiB)).toBe(P);
    expect(h.call(OpalToken.MpiplQueryTag, MpiplTag.Kernel, 0x7000_0000_0000_0000n)).toBe(P);
  });

  it('after FREE_PRESERVED_MEMORY every query fails', () => {
    const h = harness();
    h.fw.mpipl.exposeTags({ Kernel: 1n });
    h.call(OpalToken.MpiplUpdate, MpiplOp.FreePreservedMemory, 0, 0, 0);
    for (const tag of [0, 1, 2, 3]) expect(h.call(OpalToken.MpiplQueryTag, tag, 0x1000)).toBe(P);
  });
});

describe('OPAL_CEC_REBOOT2', () => {
  it('type 3 starts MPIPL; 0, 1, 2 and 4 reboot without preserving; others are OPAL_UNSUPPORTED', () => {
    const expected: [number, string][] = [
      [3, 'mpipl'],
      [0, 'normal'],
      [1, 'platform-error'],
      [2, 'full-ipl'],
      [4, 'fast'],
    ];
    for (const [type, pending] of expected) {
      const h = harness();
      expect(h.call(OpalToken.CecReboot2, type, 0)).toBe(0);
      expect(h.fw.pendingReboot).toBe(pending);
    }
    const h = harness();
    expect(h.call(OpalToken.CecReboot2, 5, 0)).toBe(OpalStatus.Unsupported);
    expect(h.call(OpalToken.CecReboot2, 99, 0)).toBe(OpalStatus.Unsupported);
    expect(h.fw.pendingReboot).toBe('none');
  });
});

describe('skiboot says why', () => {
  it('each OPAL_PARAMETER, OPAL_RESOURCE and OPAL_UNSUPPORTED names its reason and value', () => {
    const h = harness();
    const from = h.machine.events.events.length;
    h.add(0x1000, 0x2000, 0);
    h.call(OpalToken.MpiplUpdate, 9, 0, 0, 0);
    h.call(OpalToken.MpiplRegisterTag, MpiplTag.BootMem, 0);
    h.call(OpalToken.MpiplUpdate, 1);
    h.call(OpalToken.CecReboot2, 7, 0);
    const said = h.machine.events.events
      .slice(from)
      .flatMap((e) =>
        e.kind === 'reject'
          ? [`${e.detail.call}: ${e.detail.reason} (${e.detail.value}) -> ${e.detail.status}`]
          : [],
      );
    expect(said).toEqual([
      'OPAL_MPIPL_UPDATE: ADD_RANGE: size 0 (0x0) -> -1',
      'OPAL_MPIPL_UPDATE: unknown operation (0x9) -> -1',
      'OPAL_MPIPL_REGISTER_TAG: BOOT_MEM: 0 or above the top of RAM (0x0) -> -1',
      'OPAL_MPIPL_UPDATE: 1 arguments, expected 4 (0x1) -> -1',
      'OPAL_CEC_REBOOT2: unknown reboot type (0x7) -> -7',
    ]);
  });
});
