// The release table (kernel-model/releases.ts): every row shows the behaviour of its release and
// of the release before it, as the sources say (arch/powerpc/kernel/fadump.c, pseries/rtas-fadump.c
// and prom_init.c of each release, the powerpc-6.10, 6.13 and 6.15 pull requests).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asciiU64 } from '../../../emulator/struct.ts';
import { DUMP_HEADER, DUMP_SECTION, SECTION_TYPE } from '../../../firmware/rtas/fadump-structs.ts';
import { COMMAND_LINE_SIZE } from '../../../kernel-model/fadump-param.ts';
import {
  behaviourOf,
  KERNEL_ALIASES,
  type KernelName,
  NEWEST,
  RELEASE_CHANGES,
  RELEASE_NAMES,
  type Release,
  releaseOf,
} from '../../../kernel-model/releases.ts';
import { libraryScenarios } from '../../../scenarios/library.ts';
import { GiB, MiB, pseries, run } from '../../support/partition.ts';

const APPEND = '/sys/kernel/fadump/bootargs_append';

/** The release before `r` in the table. */
const previous = (r: Release) => RELEASE_NAMES[RELEASE_NAMES.indexOf(r) - 1]!;

/** The RTAS dump structure the kernel registered: its sections, from the fadump kernel's ibm,kernel-dump. */
function registered(prop: Uint8Array) {
  const header = DUMP_HEADER.decode(prop);
  const sections = Array.from({ length: header.dump_num_sections }, (_, i) =>
    DUMP_SECTION.decode(prop, 'be', DUMP_HEADER.size + i * DUMP_SECTION.size),
  );
  return { bytes: prop.length, sections };
}

/** A first kernel of one release crashing, and a fadump kernel of another booting over the dump. */
function cycle(
  first: KernelName,
  capture: KernelName,
  o: { memory?: number; lmbSize?: number; cmdline?: string; append?: string } = {},
) {
  const p = pseries({ memory: o.memory ?? 4 * GiB, ...(o.lmbSize && { lmbSize: o.lmbSize }), seed: 3 });
  const cmdline = o.cmdline ?? 'fadump=on';
  const a = p.boot(cmdline, { kernel: first });
  const wrote = o.append === undefined ? 0 : a.k.sysfsWrite(APPEND, `${o.append}\n`);
  a.k.panic(1, 'test');
  const b = p.boot(cmdline, { kernel: capture });
  const prop = b.k.dt.find('/rtas')!.get('ibm,kernel-dump')!;
  return { a, b, wrote, fdm: registered(prop) };
}

describe('the release table', () => {
  it('names the releases, with legacy and resilient as aliases of 6.9 and the newest', () => {
    expect(RELEASE_NAMES).toEqual(['6.9', '6.10', '6.12', '6.13', '6.15']);
    expect(KERNEL_ALIASES).toEqual({ legacy: '6.9', resilient: NEWEST });
    expect(releaseOf('resilient')).toBe('6.15');
    expect(releaseOf('6.12')).toBe('6.12');
  });

  it('keys every row by a release, names a commit, changes something, and shows it in a built-in scenario that exists', () => {
    const library = new Set(libraryScenarios().map((s) => s.name));
    for (const c of RELEASE_CHANGES) {
      expect(RELEASE_NAMES).toContain(c.since);
      expect(c.commit.length).toBeGreaterThan(10);
      const before = behaviourOf(previous(c.since));
      const after = behaviourOf(c.since);
      for (const [k, v] of Object.entries(c.set)) {
        expect(after[k as keyof typeof after], `${c.commit}: ${k}`).toEqual(v);
        expect(before[k as keyof typeof before], `${c.commit}: ${k} before`).not.toEqual(v);
      }
      if (c.scenario) expect(library, c.scenario).toContain(c.scenario);
    }
  });
});

describe('6.10: the fadump kernel builds the elfcorehdr, hotplug_ready, multiple boot-memory regions', () => {
  it('FADMPSIG in 6.10, FADMPINF in 6.9; hotplug_ready only in 6.10', () => {
    for (const [r, magic, ready] of [
      ['6.9', 'FADMPINF', undefined],
      ['6.10', 'FADMPSIG', '1\n'],
    ] as const) {
      const { k, f } = pseries({ memory: 2 * GiB, seed: 3 }).boot('fadump=on', { kernel: r });
      // The magic is a u64 in the kernel's byte order: "FADMPINF" read as a big-endian number.
      expect(k.mem.readU64(f.fadumphdrAddr, 'le'), r).toBe(asciiU64(magic));
      expect(k.sysfsRead('/sys/kernel/fadump/hotplug_ready'), r).toBe(ready);
    }
  });

  it("boot memory with a hole: 6.9 can't register it, 6.10 registers two regions", () => {
    const boot = (r: Release) =>
      pseries({ memory: 2 * GiB, lmbSize: 16 * MiB, holes: [16], seed: 2 }).boot('fadump=on', { kernel: r });
    expect(boot('6.9').lines).toContain("rtas fadump: Can't have holes in boot memory area.");
    const { f } = boot('6.10');
    expect(f.registered).toBe(true);
    expect(f.bootMemRegions.length).toBe(2);
  });
});

describe('6.10: additional parameters', () => {
  it('6.10 with the radix MMU registers 4 sections (200 bytes), the last a 2 KiB area in the upper half kept in place; 6.9 registers 3 (160)', () => {
    const old = cycle('6.9', '6.9');
    expect(old.fdm.bytes).toBe(160);
    expect(old.fdm.sections.map((s) => s.source_data_type)).toEqual([
      SECTION_TYPE.CpuState,
      SECTION_TYPE.Hpte,
      SECTION_TYPE.RealModeRegion,
    ]);
    expect(old.a.k.sysfsRead(APPEND)).toBeUndefined();

    const { a, fdm } = cycle('6.10', '6.10');
    expect(fdm.bytes).toBe(200);
    const param = fdm.sections[3]!;
    expect(param.source_data_type).toBe(SECTION_TYPE.ParamArea);
    expect(param.source_len).toBe(BigInt(COMMAND_LINE_SIZE));
    expect(param.destination_address).toBe(param.source_address);
    expect(param.bytes_dumped).toBe(BigInt(COMMAND_LINE_SIZE));
    // memblock allocates top-down in [end of DRAM / 2, end of DRAM).
    expect(Number(param.source_address)).toBe(4 * GiB - COMMAND_LINE_SIZE);
    expect(a.f.paramArea).toBe(4 * GiB - COMMAND_LINE_SIZE);
    expect(a.k.sysfsRead(APPEND)).toBe('\n');
  });

  it('with the hash MMU (disable_radix) before 6.15 the area needs a 768 MiB RMA and goes below 736 MiB', () => {
    const small = cycle('6.10', '6.10', { cmdline: 'fadump=on disable_radix' });
    // CAS asks for 512 MiB: too small, and nothing is said.
    expect(small.a.k.rmaSize()).toBe(512 * MiB);
    expect(small.a.f.paramArea).toBe(0);
    expect(small.fdm.bytes).toBe(160);
    expect(small.a.lines.join('\n')).not.toContain('additional parameters');
    const big = cycle('6.10', '6.10', { lmbSize: GiB, cmdline: 'fadump=on disable_radix' });
    expect(big.a.f.paramArea).toBe(0x2a00_0000 + 0x400_0000 - COMMAND_LINE_SIZE);
  });

  it('bootargs_append: read, written with one newline dropped, too long, or past one command line', () => {
    const { k, f, lines } = pseries({ memory: 4 * GiB, seed: 3 }).boot('fadump=on', { kernel: '6.10' });
    expect(k.sysfsWrite(APPEND, 'nr_cpus=16\n')).toBe(0);
    expect(k.sysfsRead(APPEND)).toBe('nr_cpus=16\n');
    expect(k.sysfsWrite(APPEND, 'numa=off')).toBe(0);
    expect(k.sysfsRead(APPEND)).toBe('numa=off\n');
    expect(k.sysfsWrite(APPEND, 'x'.repeat(COMMAND_LINE_SIZE))).toBe(-22);
    // The first kernel's command line ("fadump=on", 9 bytes) and the parameters must fit 2048.
    expect(k.sysfsWrite(APPEND, 'y'.repeat(COMMAND_LINE_SIZE - 9))).toBe(-28);
    expect(lines).not.toContain('fadump: Appending parameters exceeds cmdline size!');
    expect(k.console.map((l) => l.replace(/^\[[^\]]*\] /, ''))).toContain(
      'fadump: Appending parameters exceeds cmdline size!',
    );
    expect(k.sysfsRead(APPEND)).toBe('numa=off\n');
    expect(f.paramArea).toBeGreaterThan(0);
  });

  it('the fadump kernel appends the parameters to its command line (6.10), and a 6.9 one does not', () => {
    const { b, wrote } = cycle('6.10', '6.10', { append: 'nr_cpus=16' });
    expect(wrote).toBe(0);
    expect(b.lines).toContain('fadump: Updated cmdline: fadump=on nr_cpus=16');
    expect(b.lines).toContain('Kernel command line: fadump=on nr_cpus=16');
    expect(b.k.fadump.outcome.status).toBe('captured');
    // A 6.9 fadump kernel reads three fixed sections and refuses the new header anyway.
    const old = cycle('6.10', '6.9', { append: 'nr_cpus=16' });
    expect(old.b.lines.join('\n')).not.toContain('Updated cmdline');
    expect(old.b.lines).toContain('Kernel command line: fadump=on');
  });

  it('an area firmware did not save whole: "Failed to process additional parameters! Proceeding anyway.."', () => {
    const p = pseries({ memory: 4 * GiB, seed: 3 });
    const a = p.boot('fadump=on', { kernel: '6.10' });
    a.k.panic(1, 'test');
    // The firmware's copy of the structure says the area was not dumped.
    const fw = p.fw.kernelDump;
    const struct = fw.injectableStructure()!;
    const at = DUMP_HEADER.size + 3 * DUMP_SECTION.size + DUMP_SECTION.offsetOf('bytes_dumped');
    new DataView(struct.buffer, struct.byteOffset).setBigUint64(at, 0n, false);
    const b = p.boot('fadump=on', { kernel: '6.10' });
    expect(b.lines).toContain('rtas fadump: Failed to process additional parameters! Proceeding anyway..');
    expect(b.f.outcome.status).toBe('captured');
    expect(b.f.paramArea).toBe(0);
  });
});

describe('the parameter area in memory', () => {
  it('is memblock-reserved, so DLPAR remove by count passes over its memory block', () => {
    const { k, f } = pseries({ memory: 2 * GiB, seed: 3 }).boot('fadump=on', { kernel: '6.10' });
    const top = [...k.lmbs.values()].find((l) => f.paramArea >= l.base && f.paramArea < l.base + 256 * MiB)!;
    const removed = k.hotplugRemove(1)!;
    expect(removed).toHaveLength(1);
    expect(removed).not.toContain(top.drc);
    expect(top.present).toBe(true);
  });
});

describe('6.10: mem= (memory_limit) kept, and rounded down to 16 MiB', () => {
  const end = (k: { memblock: { endOfDram(): number } }) => k.memblock.endOfDram();

  it('6.9 raises the limit by the reserved area ("Adjusted memory_limit", no prefix); 6.10 keeps it, so the area must fit under it', () => {
    const old = pseries({ memory: 8 * GiB, seed: 3 }).boot('fadump=on mem=512M', { kernel: '6.9' });
    // 320 MiB of boot memory, the area at boot_mem_top: 512 MiB + its 0x14020000 bytes.
    expect(old.lines).toContain('Adjusted memory_limit for firmware-assisted dump, now 0x00000034020000');
    expect(old.f.registered).toBe(true);
    expect(end(old.k)).toBe(0x3402_0000);
    expect(old.lines).toContain('Memory: 852096K/852096K available');

    const now = pseries({ memory: 8 * GiB, seed: 3 }).boot('fadump=on mem=512M', { kernel: '6.10' });
    expect(now.lines.join('\n')).not.toContain('Adjusted memory_limit');
    expect(now.lines).toContain('fadump: Failed to find memory chunk for reservation!');
    expect(now.f.registered).toBe(false);
    expect(end(now.k)).toBe(512 * MiB);
    // Under a limit the area fits in, 6.10 reserves and the limit stays the user's.
    const fits = pseries({ memory: 8 * GiB, seed: 3 }).boot('fadump=on mem=4G', { kernel: '6.10' });
    expect(fits.f.registered).toBe(true);
    expect(end(fits.k)).toBe(4 * GiB);
    expect([...fits.k.lmbs.values()].every((l) => l.base < 4 * GiB || !l.present)).toBe(true);
  });

  it('the default boot-memory size is truncated to the limit (both), and the 6.9 fadump kernel raises the limit too', () => {
    // 64 GiB: 5% is 3 GiB (256 MiB multiples); under mem=2G it is 2 GiB.
    const p = pseries({ memory: 64 * GiB, seed: 3 });
    const a = p.boot('fadump=on mem=2G', { kernel: '6.9' });
    expect(a.f.bootMemSize).toBe(2 * GiB);
    expect(pseries({ memory: 64 * GiB, seed: 3 }).boot('fadump=on', { kernel: '6.9' }).f.bootMemSize).toBe(
      3 * GiB,
    );
    a.k.panic(1, 'test');
    const b = p.boot('fadump=on mem=2G', { kernel: '6.9' });
    const adjusted = b.lines.findIndex((l) =>
      l.startsWith('Adjusted memory_limit for firmware-assisted dump'),
    );
    expect(adjusted).toBeGreaterThan(-1);
    expect(b.lines[adjusted + 1]).toBe('fadump: Firmware-assisted dump is active.');
  });

  it('the enforced limit: 6.9 rounds mem= up to a page, 6.10 down to 16 MiB; a limit above memory cuts nothing', () => {
    const boot = (r: Release, mem: string) =>
      pseries({ memory: 4 * GiB, seed: 3 }).boot(`mem=${mem}`, { kernel: r }).k;
    expect(end(boot('6.9', '1000M'))).toBe(1000 * MiB);
    expect(end(boot('6.10', '1000M'))).toBe(992 * MiB);
    expect(end(boot('6.9', '1000001'))).toBe(1000001 + (65536 - (1000001 % 65536)));
    expect(end(boot('6.10', '9G'))).toBe(4 * GiB);
    expect(end(boot('6.9', '9G'))).toBe(4 * GiB);
    // The last mem= counts.
    expect(end(boot('6.10', '1G mem=2G'))).toBe(2 * GiB);
  });

  it('a fadump kernel given mem= (bootargs_append) keeps the dump area above its limit out of memblock', () => {
    const { b } = cycle('6.10', '6.10', { append: 'mem=2G' });
    expect(b.k.cmdline).toContain('mem=2G');
    expect(b.lines).toContain(
      'fadump: Reserving 3776MB of memory at 0x00000014000000 for preserving crash data',
    );
    expect(end(b.k)).toBe(2 * GiB);
  });

  it('so a 6.10+ dump taken under a smaller fadump-kernel limit misses memory, and the verdict says so', async () => {
    const cut = await run({ memory: 4 * GiB, bootargsAppend: 'mem=2G' });
    const v = JSON.parse(readFileSync(join(cut.dir, 'summary.json'), 'utf8')).cycles[0].verify;
    expect([v.missingBytes, v.notDumpedByDesignBytes, v.beyondLimitBytes]).toEqual([2 * GiB, 0, 0]);
    // Under the first kernel's own limit, what lies above it was never that kernel's: by design.
    const own = await run({ memory: 4 * GiB, cmdline: 'fadump=on mem=2G' });
    const w = JSON.parse(readFileSync(join(own.dir, 'summary.json'), 'utf8')).cycles[0].verify;
    expect([w.missingBytes, w.beyondLimitBytes, w.mismatchedBytes]).toEqual([2 * GiB, 2 * GiB, 0]);
  });
});

describe('6.13: the parameter area set up early, reserved below boot_mem_top', () => {
  it('with fadump off, 6.13 still sets up the area and offers bootargs_append (writes: EPERM); 6.12 does not', () => {
    const boot = (r: Release) => pseries({ memory: 4 * GiB, seed: 3 }).boot('root=/dev/sda2', { kernel: r });
    const old = boot('6.12');
    expect(old.f.paramArea).toBe(0);
    expect(old.k.sysfsRead(APPEND)).toBeUndefined();
    const now = boot('6.13');
    expect(now.f.paramArea).toBe(4 * GiB - COMMAND_LINE_SIZE);
    expect(now.k.memblock.isReserved(now.f.paramArea, COMMAND_LINE_SIZE)).toBe(true);
    expect(now.k.sysfsRead(APPEND)).toBe('\n');
    expect(now.k.sysfsWrite(APPEND, 'nr_cpus=1\n')).toBe(-1);
  });

  it('the fadump kernel has bootargs_append from 6.13 (its writes: EPERM), not in 6.12', () => {
    const old = cycle('6.12', '6.12', { append: 'nr_cpus=16' });
    expect(old.b.k.sysfsRead(APPEND)).toBeUndefined();
    const now = cycle('6.13', '6.13', { append: 'nr_cpus=16' });
    expect(now.b.k.sysfsRead(APPEND)).toBe('nr_cpus=16\n');
    expect(now.b.k.sysfsWrite(APPEND, 'x\n')).toBe(-1);
  });

  it('an area below boot_mem_top is reserved by the 6.13 fadump kernel, not by the 6.12 one', () => {
    // Hash MMU, 1 GiB LMBs (a 1 GiB RMA) and 2 GiB of boot memory: the area ends at 736 MiB.
    const o = { memory: 8 * GiB, lmbSize: GiB, cmdline: 'fadump=on disable_radix crashkernel=2G' };
    for (const [r, reserved] of [
      ['6.12', false],
      ['6.13', true],
    ] as const) {
      const { b } = cycle(r, r, o);
      expect(b.f.paramArea, r).toBe(0x2e00_0000 - COMMAND_LINE_SIZE);
      expect(b.f.paramArea).toBeLessThan(b.f.bootMemTop);
      expect(b.k.memblock.isReserved(b.f.paramArea, COMMAND_LINE_SIZE), r).toBe(reserved);
    }
  });

  it('CMA: before 6.13 all of boot memory, said one way; from 6.13 aligned inward, said another', () => {
    const { lines: old, f } = pseries({ memory: 2 * GiB, seed: 3 }).boot('fadump=on', { kernel: '6.12' });
    expect(old).toContain(
      `fadump: Initialized 0x14000000 bytes cma area at 320MB from 0x${f.reserveSize.toString(16)} bytes of memory reserved for firmware-assisted dump`,
    );
    const { lines: now } = pseries({ memory: 2 * GiB, seed: 3 }).boot('fadump=on', { kernel: '6.13' });
    expect(now).toContain(
      'fadump: Initialized [0x14000000, 320MB] cma area from [0x14000000, 320MB] bytes of memory reserved for firmware-assisted dump',
    );
  });
});

describe('6.15: a 768 MiB minimum RMA, and the hash MMU area above it', () => {
  it('CAS asks for 768 MiB from 6.15 and 512 MiB before', () => {
    expect(
      pseries({ memory: 4 * GiB, seed: 3 })
        .boot('fadump=on', { kernel: '6.13' })
        .k.rmaSize(),
    ).toBe(512 * MiB);
    expect(
      pseries({ memory: 4 * GiB, seed: 3 })
        .boot('fadump=on', { kernel: '6.15' })
        .k.rmaSize(),
    ).toBe(768 * MiB);
  });

  it('hash MMU: 6.15 puts the area between 768 MiB and min(RMA, boot_mem_top), and warns when that is empty', () => {
    const o = { memory: 8 * GiB, lmbSize: GiB, cmdline: 'fadump=on disable_radix crashkernel=2G' };
    expect(cycle('6.13', '6.13', o).a.f.paramArea).toBe(0x2e00_0000 - COMMAND_LINE_SIZE);
    expect(cycle('6.15', '6.15', o).a.f.paramArea).toBe(GiB - COMMAND_LINE_SIZE);
    // 320 MiB of boot memory lies below 768 MiB: no room.
    const { a } = cycle('6.15', '6.15', { cmdline: 'fadump=on disable_radix' });
    expect(a.f.paramArea).toBe(0);
    expect(a.lines).toContain('fadump: WARNING: Could not setup area to pass additional parameters!');
  });
});
