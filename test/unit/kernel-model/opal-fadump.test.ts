// The kernel's OPAL fadump backend on PowerNV (Linux opal-fadump.c): registration through tags and
// add-range calls, the fw-load-area check, OPAL_RESOURCE, and a refused dump being freed.
import { describe, expect, it } from 'vitest';
import { u64Cells } from '../../../emulator/device-tree.ts';
import { encodeDtb } from '../../../emulator/dtb.ts';
import { MpiplOp, MpiplTag } from '../../../firmware/opal/mpipl.ts';
import { HRMOR_BIT, MDST_ADDR } from '../../../firmware/opal/mpipl-structs.ts';
import { OpalToken } from '../../../firmware/opal/opal.ts';
import { POWERNV_FDT_ADDR } from '../../../firmware/opal/skiboot-firmware.ts';
import { OPAL_MAX_COPY_SIZE } from '../../../kernel-model/opal-fadump.ts';
import { GiB, MiB, powernv as powernvPartition, lines as strip } from '../../support/partition.ts';

const powernv = (memory: number) => powernvPartition({ memory, seed: 9 });

describe('OPAL fadump registration', () => {
  it('registers tags and one add-range per region, splitting boot memory below 4 GiB', () => {
    const { fw, kernel } = powernv(128 * GiB);
    const k = kernel();
    k.boot(fw.boot('fadump=on'));
    const f = k.fadump;
    // 5% of 128 GiB rounded down to a 256 MiB multiple: 25 × 256 MiB.
    const boot = 25 * 256 * MiB;
    expect(f.bootMemSize).toBe(boot);
    expect(f.bootMemRegions).toEqual([
      { base: 0, size: OPAL_MAX_COPY_SIZE },
      { base: OPAL_MAX_COPY_SIZE, size: boot - OPAL_MAX_COPY_SIZE },
    ]);
    const kernelRanges = fw.mpipl.entries(MDST_ADDR).filter((e) => e.data_region === 0x80);
    expect(kernelRanges.map((e) => [e.addr & ~HRMOR_BIT, e.size])).toEqual([
      [0n, OPAL_MAX_COPY_SIZE],
      [BigInt(OPAL_MAX_COPY_SIZE), boot - OPAL_MAX_COPY_SIZE],
    ]);
    expect(fw.mpipl.metadata()).toMatchObject({
      kernel_tag: BigInt(f.reserveStart + f.reserveSize - 0x10000),
      boot_mem_size: BigInt(f.bootMemTop),
    });
    expect(strip(k.console)).toContain('opal fadump: Registration is successful!');
  });

  it('places the reservation above skiboot reserved memory', () => {
    const { fw, kernel } = powernv(4 * GiB);
    const k = kernel();
    k.boot(fw.boot('fadump=on'));
    const end = Math.max(...fw.reservedRegions().map((r) => r.base + r.size));
    expect(k.fadump.bootMemTop).toBe(0x3000_0000);
    expect(k.fadump.reserveStart).toBeGreaterThanOrEqual(end);
  });

  it('keeps the regions that fit when OPAL runs out of table entries', () => {
    const { fw, kernel } = powernv(4 * GiB);
    for (let i = 0; i < 63; i++) {
      fw.opal.call(OpalToken.MpiplUpdate, [
        BigInt(MpiplOp.AddRange),
        BigInt(0x8000_0000 + i * 0x10000),
        BigInt(0xa000_0000 + i * 0x10000),
        0x1000n,
      ]);
    }
    const k = kernel();
    k.boot(fw.boot('fadump=on'));
    expect(strip(k.console)).toContain(
      'opal fadump: 1 regions could not be registered for MPIPL as MAX limit is reached!',
    );
    expect(k.fadump.registered).toBe(true);
  });

  it('OPAL_HARDWARE from MPIPL_UPDATE: "Support not available." and fadump is disabled', () => {
    const { fw, kernel } = powernv(4 * GiB);
    fw.injectMpiplHardwareError = true;
    const k = kernel();
    k.boot(fw.boot('fadump=on'));
    expect(strip(k.console)).toContain('opal fadump: Support not available.');
    expect(k.fadump.registered).toBe(false);
    expect(k.sysfsRead('/sys/kernel/fadump/enabled')).toBe('0\n');
  });

  it('refuses firmware whose load area ends above 768 MiB', () => {
    const { m, fw, kernel } = powernv(4 * GiB);
    const tree = fw.buildTree('fadump=on', false);
    tree
      .find('/ibm,opal/dump')!
      .setCells('fw-load-area', [...u64Cells(0x2000_0000), ...u64Cells(0x1800_0000)]);
    m.memory.poke(POWERNV_FDT_ADDR, encodeDtb(tree));
    const k = kernel();
    k.boot(POWERNV_FDT_ADDR);
    expect(strip(k.console)).toEqual(
      expect.arrayContaining([
        'opal fadump: F/W load area: 0x20000000-0x38000000',
        'opal fadump: F/W version not supported!',
        'fadump: Firmware-Assisted Dump is not supported on this hardware',
      ]),
    );
    expect(k.fadump.registered).toBe(false);
  });
});

describe('OPAL fadump capture', () => {
  it('a corrupted header is refused; the dump is freed, the kernel tag cleared, and fadump registers again', () => {
    const { m, fw, kernel } = powernv(4 * GiB);
    const first = kernel();
    first.boot(fw.boot('fadump=on'));
    first.panic(2, 'test');
    expect(fw.pendingReboot).toBe('mpipl');
    m.memory.poke(first.fadump.fadumphdrAddr, new Uint8Array(8).fill(0x5a));
    const capture = kernel();
    capture.boot(fw.boot('fadump=on'));
    const lines = strip(capture.console);
    expect(lines).toContain('opal fadump: Firmware-assisted dump is active.');
    expect(lines).toContain('fadump: Fadump header is corrupted.');
    expect(capture.fadump.outcome).toEqual({ status: 'refused', reason: 'Fadump header is corrupted.' });
    expect(fw.opal.call(OpalToken.MpiplQueryTag, [BigInt(MpiplTag.Kernel), 0x10_0000n])).toBe(-1);
    expect(capture.fadump.sysfsWrite('registered', '1')).toBe(0);
  });

  it('notes are keyed by PIR and the crashing thread comes from the crash info header', () => {
    const { fw, kernel } = powernv(4 * GiB);
    const first = kernel();
    first.boot(fw.boot('fadump=on'));
    const regs = first.panic(3, 'test');
    const capture = kernel();
    capture.boot(fw.boot('fadump=on'));
    expect(capture.fadump.outcome.status).toBe('captured');
    expect(capture.fadump.notes.map((n) => n.cpu)).toEqual([0, 8, 16, 24]);
    expect(capture.fadump.notes[3]!.regs[32]).toBe(regs.nip);
  });
});

describe('OPAL fadump kernel: regions the crashed kernel did not get registered', () => {
  it('lists each unsaved region and says what it means (opal_fadump_get_config)', async () => {
    const { run } = await import('../../support/partition.ts');
    const { summary } = await run({
      platform: 'powernv',
      memory: 4 * GiB,
      corrupt: [{ struct: 'opal-metadata', field: 'region_cnt', value: 2n }],
    });
    const lines = summary.cycles[0]!.console.capture.map((l) => l.replace(/^\[[^\]]*\] /, ''));
    const at = lines.indexOf('opal fadump: Not all memory regions were saved!!!');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 5)).toEqual([
      'opal fadump:   Unsaved memory regions:',
      'opal fadump: \t[001] base: 0x0, size: 0x0',
      'opal fadump: If the unsaved regions only contain pages that are filtered out (eg. free/user pages), the vmcore should still be usable.',
      'opal fadump: WARNING: If the unsaved regions contain kernel pages, the vmcore will be corrupted.',
    ]);
  });
});

describe('OPAL metadata, registration statuses and the dump boot (opal-fadump.c, 6.10+)', () => {
  /** A PowerNV machine whose OPAL answers `token` with `status` (and runs every other call). */
  function failing(token: number, status: number) {
    const p = powernv(4 * GiB);
    const real = p.fw.opal.call.bind(p.fw.opal);
    p.fw.opal.call = (t, args, pir) => (t === token ? status : real(t, args, pir));
    return p;
  }

  it('sets the metadata up while reserving memory: "Kernel metadata addr", then "Reserved"', () => {
    const { k, f, lines } = powernv(4 * GiB).boot('fadump=on');
    const meta = f.reserveStart + f.reserveSize - 0x10000;
    const at = lines.indexOf(`opal fadump: Kernel metadata addr: ${meta.toString(16)}`);
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^fadump: Reserved \d+MB of memory at/);
    expect(k.fadump.registered).toBe(true);
  });

  it('a tag OPAL refuses: both tags tried, fadump off, nothing reserved', () => {
    const { k, f, lines } = failing(OpalToken.MpiplRegisterTag, -1).boot('fadump=on');
    expect(lines).toContain('opal fadump: Failed to set kernel metadata tag!');
    expect(lines).toContain('opal fadump: Failed to set boot memory tag!');
    expect(lines.join('\n')).not.toContain('fadump: Reserved');
    expect(f.enabled).toBe(false);
    expect(f.reserveSize).toBe(0);
    expect(k.memblock.isReserved(f.reserveStart, 0x10000)).toBe(false);
  });

  it('OPAL_PARAMETER from an add-range: "Parameter Error(-1)" and -EIO', () => {
    const p = failing(OpalToken.MpiplUpdate, -1);
    const { k, lines } = p.boot('fadump=on');
    expect(lines).toContain('opal fadump: Failed to register. Parameter Error(-1).');
    expect(k.sysfsWrite('/sys/kernel/fadump/registered', '1')).toBe(-5);
  });

  it('a dump boot whose kernel tag reads 0: "Failed to get Kernel metadata (0)", no dump active', () => {
    const p = powernv(4 * GiB);
    p.boot('fadump=on').k.panic(1, 'test');
    const real = p.fw.opal.call.bind(p.fw.opal);
    p.fw.opal.call = (t, args, pir) => {
      const rc = real(t, args, pir);
      // The query succeeds and answers 0.
      if (t === OpalToken.MpiplQueryTag && args[0] === BigInt(MpiplTag.Kernel))
        p.m.memory.poke(Number(args[1]), new Uint8Array(8));
      return rc;
    };
    const { f, lines } = p.boot('fadump=on');
    expect(lines).toContain('opal fadump: Failed to get Kernel metadata (0)');
    expect(f.dumpActive).toBe(false);
  });
});

describe('OPAL CPU notes (opal_fadump_build_cpu_notes)', () => {
  it('the crashing thread is matched by PIR before inactive cores are passed over', async () => {
    const { THREAD_RECORD_BYTES } = await import('../../../firmware/opal/mpipl-dump.ts');
    const { OPAL_MPIPL_REGION } = await import('../../../firmware/opal/mpipl-structs.ts');
    const p = powernv(4 * GiB);
    const first = p.boot('fadump=on');
    first.k.panic(2, 'test');
    const pir = p.m.cpus[2]!.pir;
    const at = p.fw.boot('fadump=on');
    // Firmware wrote the thread records at the reboot: mark the crashing thread's core inactive.
    // The CPU tag, read as the fadump kernel will (into a scratch cell).
    expect(p.fw.opal.call(OpalToken.MpiplQueryTag, [BigInt(MpiplTag.Cpu), 0x8103000n])).toBe(0);
    const meta = Number(p.m.memory.readU64(0x8103000, 'be'));
    const base = Number(OPAL_MPIPL_REGION.decode(p.m.memory.peek(meta + 24, 24)).dest);
    let marked = 0;
    for (let i = 0; i < 8; i++) {
      const rec = base + i * THREAD_RECORD_BYTES;
      if (p.m.memory.readU32(rec, 'be') === pir) {
        p.m.memory.poke(rec + 4, Uint8Array.of(0x0f));
        marked++;
      }
    }
    expect(marked).toBe(1);
    const k = p.kernel();
    k.boot(at);
    expect(k.fadump.outcome.status).toBe('captured');
    expect(k.fadump.notes.map((n) => n.cpu)).toContain(pir);
  });
});

describe('OPAL CPU notes with nothing to go on', () => {
  it('invalid CPU state data and the crashing CPU unknown: no notes, the dump refused (-ENODEV)', async () => {
    const { CRASH_INFO_HEADER } = await import('../../../kernel-model/crash-info-header.ts');
    const p = powernv(4 * GiB);
    const first = p.boot('fadump=on');
    first.k.panic(1, 'test');
    // FADUMP_CPU_UNKNOWN, as when firmware, not the kernel, started the MPIPL.
    p.m.memory.writeU32(first.f.fadumphdrAddr + CRASH_INFO_HEADER.offsetOf('crashing_cpu'), 0xffffffff, 'le');
    const at = p.fw.boot('fadump=on');
    // The CPU metadata says each thread record is 0 bytes long.
    expect(p.fw.opal.call(OpalToken.MpiplQueryTag, [BigInt(MpiplTag.Cpu), 0x8103000n])).toBe(0);
    const meta = Number(p.m.memory.readU64(0x8103000, 'be'));
    p.m.memory.writeU32(meta + 16, 0, 'be');
    const k = p.kernel();
    k.boot(at);
    const lines = strip(k.console);
    expect(lines).toContain('opal fadump: CPU state data is invalid. Ignoring!');
    expect(lines.join('\n')).not.toContain("appending only crashing CPU's register data");
    expect(k.fadump.outcome).toEqual({ status: 'refused', reason: 'CPU state data is invalid. Ignoring!' });
  });
});
