// The scenario verbs beyond plain bulk events (issue 6): memory events spread over time while the
// udev rule works concurrently, crashes at a time, register/unregister, NMI, corrupting a named field
// of a named structure, and what the fadump kernel does after the capture.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../emulator/memory-blocks.ts';
import { Scenario } from '../../../scenarios/builder.ts';
import { readElfCore } from '../../support/elf-reader.ts';
import { EXACT } from '../../support/verify.ts';

const MiB = 2 ** 20;
const ms = (n: number) => BigInt(n) * 1_000_000n;
const dir = () => mkdtempSync(join(tmpdir(), 'fadump-verbs-'));

import { lines as strip } from '../../support/partition.ts';

describe('memory events with an interval', () => {
  it('happen while udev re-registers: the events queue and each re-registration starts when the last ends', async () => {
    const r = await Scenario.create({ kernel: 'legacy', memory: 2048 * MiB })
      .boot()
      .hotAdd(4, { interval: ms(50) })
      .crashAt()
      .run(dir());
    const ev = r.machine.events.events;
    const onlines = ev.filter((e) => e.kind === 'uevent' && e.detail.action === 'online').map((e) => e.t);
    const unreg = ev.filter((e) => e.kind === 'fadump-unregistered').map((e) => e.t);
    // The adds are 50 ms apart, whatever udev is doing.
    expect(onlines.slice(1).map((t, i) => t - onlines[i]!)).toEqual([
      ms(50) + 10_000n,
      ms(50) + 10_000n,
      ms(50) + 10_000n,
    ]);
    // udev: 5 ms after the first event, then back to back, 200 ms each (plus microseconds of RTAS calls).
    expect(unreg[0]! - onlines[0]!).toBe(ms(5));
    for (const [i, t] of unreg.slice(1).entries()) {
      expect(t - unreg[i]!).toBeGreaterThanOrEqual(ms(200));
      expect(t - unreg[i]!).toBeLessThan(ms(201));
    }
    // Events 2-4 happened while fadump was unregistered, before udev came to them.
    expect(onlines[1]! < unreg[1]! && onlines[3]! < unreg[1]!).toBe(true);
    const c = r.summary.cycles[0]!;
    expect(c.hotplug.reRegistrations).toBe(4);
    expect(c.dump.status).toBe('captured');
    expect(c.verify).toEqual(EXACT);
  });

  it('one bulk event and the same events spread out give the same registrations and dump', async () => {
    const bulk = await Scenario.create({ kernel: 'legacy', memory: 2048 * MiB })
      .boot()
      .hotAdd(4)
      .crashAt()
      .run(dir());
    const spread = await Scenario.create({ kernel: 'legacy', memory: 2048 * MiB })
      .boot()
      .hotAdd(4, { interval: ms(1) })
      .crashAt()
      .run(dir());
    expect(spread.summary.cycles[0]!.hotplug.reRegistrations).toBe(
      bulk.summary.cycles[0]!.hotplug.reRegistrations,
    );
    expect(spread.summary.dump.loads).toEqual(bulk.summary.dump.loads);
  });

  it('a crash at a time in the middle of a re-registration loses the dump; just after it, the dump is taken', async () => {
    const at = (t: bigint) =>
      Scenario.create({ kernel: 'legacy', memory: 2048 * MiB })
        .boot()
        .hotAdd(2, { interval: ms(50) })
        .crashAt({ at: t })
        .run(dir());
    // Boot ends at 1.50006 s; the first re-registration runs from 1.50507 s for 200 ms.
    const during = await at(ms(1600));
    expect(during.summary.dump.status).toBe('not-triggered');
    expect(during.summary.crash.at).toBe(String(ms(1600)));
    expect(during.summary.cycles[0]!.hotplug.reRegistrations).toBe(0);
    const after = await at(ms(2000));
    expect(after.summary.cycles[0]!.hotplug.reRegistrations).toBe(2);
    expect(after.summary.dump.status).toBe('captured');
  });

  it('a crash time before the first kernel is up is a ConfigError', async () => {
    await expect(
      Scenario.create()
        .boot()
        .crashAt({ at: ms(100) })
        .run(dir()),
    ).rejects.toThrow(ConfigError);
  });

  it('hot-remove and offline spread out too, by count and by DRC index', async () => {
    const r = await Scenario.create({ memory: 2048 * MiB })
      .boot()
      // (LMB 7 holds the parameter area and cannot go.)
      .hotRemove({ drc: [0x80000006, 0x80000005] }, { interval: ms(10) })
      .offline(2, { interval: ms(10) })
      .crashAt()
      .run(dir());
    const c = r.summary.cycles[0]!;
    expect([c.hotplug.removed, c.hotplug.offlined]).toEqual([2, 2]);
    const removes = r.machine.events.events.flatMap((e) =>
      e.kind === 'uevent' && e.detail.action === 'remove' ? [e.detail.block] : [],
    );
    expect(removes).toEqual([6, 5]);
    expect(c.verify).toEqual(EXACT);
  });
});

describe('register and unregister', () => {
  it('a crash while unregistered gives no dump; registering again brings it back', async () => {
    const off = await Scenario.create().boot().unregister().crashAt().run(dir());
    expect(off.summary.dump.status).toBe('not-triggered');
    const on = await Scenario.create().boot().unregister().wait(ms(300)).register().crashAt().run(dir());
    expect(on.summary.dump.status).toBe('captured');
    expect(on.summary.verify).toEqual(EXACT);
  });

  it('after the capture, the fadump kernel does what the steps say (default: release, then register)', async () => {
    const dflt = await Scenario.create().boot().crashAt().run(dir());
    expect(dflt.maps.at(-1)!.note).toMatch(
      /then release, register: fadump is registered, the dump memory released/,
    );
    const kept = await Scenario.create().boot().crashAt().unregister().run(dir());
    expect(kept.maps.at(-1)!.note).toMatch(/then unregister: fadump is not registered$/);
    expect(strip(kept.summary.cycles[0]!.console.capture)).not.toContain(
      'rtas fadump: Registration is successful!',
    );
  });
});

describe('NMI', () => {
  it('saves the interrupted registers (trap 0x100) of the CPU that wins, with no panic message', async () => {
    const r = await Scenario.create().boot().nmi({ cpu: 5 }).run(dir());
    expect(r.summary.crash).toMatchObject({ cpu: 5, kind: 'nmi', trap: '0x100' });
    expect(strip(r.summary.cycles[0]!.console.crashed).some((l) => l.startsWith('Kernel panic'))).toBe(false);
    expect(r.summary.verify).toEqual(EXACT);
    // The vmcore's note for CPU 5 holds pt_regs.trap = 0x100 (pr_reg word 40) and the saved NIP.
    const core = readElfCore(join(r.captures[0]!.path));
    const trap = core.prstatus.map((p) => p.regs[40]);
    expect(trap[5]).toBe(0x100n);
    expect(`0x${core.prstatus[5]!.regs[32]!.toString(16)}`).toBe(r.summary.crash.nip);
    const panic = await Scenario.create().boot().crashAt({ cpu: 5 }).run(dir());
    expect(panic.summary.crash).toMatchObject({ kind: 'panic', trap: '0x300' });
  });
});

describe('corrupt', () => {
  it('xor flips bits and truncate zeroes the rest of the entry', async () => {
    const flip = await Scenario.create()
      .boot()
      .crashAt()
      .corrupt({ struct: 'crash-info-header', field: 'magic_number', xor: 0x0100000000000000n })
      .run(dir());
    // FADMPSIG with one bit flipped in the top byte, stored little-endian.
    expect(flip.summary.cycles[0]!.corrupted[0]).toMatch(
      /^crash-info-header\.magic_number at 0x[0-9a-f]+ \^= 0x100000000000000$/,
    );
    expect(flip.summary.dump).toMatchObject({ status: 'refused', reason: 'Fadump header is corrupted.' });
    const cut = await Scenario.create()
      .boot()
      .crashAt()
      .corrupt({ struct: 'regsave-header', field: 'num_cpus', truncate: true })
      .run(dir());
    expect(cut.summary.cycles[0]!.corrupted[0]).toMatch(
      /regsave-header\.num_cpus at 0x[0-9a-f]+: zeroed to the end of the entry \(4 bytes\)/,
    );
    expect(cut.structures.find((s) => s.name === 'regsave-header')!.text).toMatch(/num_cpus\s+0x00000000/);
  });

  const cases: [string, Parameters<Scenario['corrupt']>[0], 'pseries' | 'powernv', string][] = [
    [
      'header magic',
      { struct: 'crash-info-header', field: 'magic_number', value: 0n },
      'pseries',
      'Fadump header is corrupted.',
    ],
    [
      'header pt_regs size',
      { struct: 'crash-info-header', field: 'pt_regs_sz', value: 1n },
      'pseries',
      'Fadump header size mismatch.',
    ],
    [
      'a section error flag',
      { struct: 'rtas-dump-section', entry: 2, field: 'error_flags', value: 0x1000n },
      'pseries',
      'Dump taken by platform is not valid (2)',
    ],
    [
      'bytes dumped',
      { struct: 'rtas-dump-section', entry: 2, field: 'bytes_dumped', value: 5n },
      'pseries',
      'Dump taken by platform is incomplete (2)',
    ],
    [
      'REGSAVE magic',
      { struct: 'regsave-header', field: 'magic', value: 0n },
      'pseries',
      'Unable to read register save area.',
    ],
    [
      'a register id',
      { struct: 'regsave-entry', field: 'reg_id', value: 0n },
      'pseries',
      'Unable to read CPU state data',
    ],
    [
      'OPAL metadata header address',
      { struct: 'opal-metadata', field: 'fadumphdr_addr', value: 0n },
      'powernv',
      'Crash info header is empty.',
    ],
    [
      'PowerNV header magic',
      { struct: 'crash-info-header', field: 'magic_number', value: 0n },
      'powernv',
      'Fadump header is corrupted.',
    ],
  ];
  for (const [what, c, platform, reason] of cases) {
    it(`${platform} ${what}: refused with "${reason}"`, async () => {
      const r = await Scenario.create({ platform }).boot().crashAt().corrupt(c).run(dir());
      expect(r.summary.dump).toMatchObject({ status: 'refused', reason });
      const ev = r.machine.events.events.find((e) => e.kind === 'corrupt');
      expect(ev?.detail.what).toMatch(new RegExp(`^${c.struct}.*\\.${c.field} at `));
      // The report's annotated structure shows the damaged value.
      expect(r.structures.find((s) => s.name === c.struct)!.text).toContain(c.field);
    });
  }

  it('writes the field in the structure byte order at the field offset, and nothing else', async () => {
    let around: number[] = [];
    const r = await Scenario.create({ endian: 'be' })
      .boot()
      .crashAt()
      .corrupt({ struct: 'crash-info-header', field: 'crashing_cpu', value: 0x01020304n })
      .run(dir(), {
        // Before the fadump kernel boots (its re-registration rewrites the header).
        beforeCaptureBoot: (m) => {
          const ev = m.events.events.find((e) => e.kind === 'corrupt')!;
          const addr = Number.parseInt(/at 0x([0-9a-f]+)/.exec(String(ev.detail.what))![1]!, 16);
          around = [...m.memory.peek(addr - 12, 20)];
        },
      });
    // Big-endian header: magic "FADMPSIG" and version 1 untouched, then crashing_cpu as written.
    expect(Buffer.from(around.slice(0, 8)).toString('latin1')).toBe('FADMPSIG');
    expect(around.slice(8, 16)).toEqual([0, 0, 0, 1, 1, 2, 3, 4]);
    expect(r.structures[0]!.text).toMatch(/crashing_cpu\s+0x01020304/);
    // An unknown CPU in the header: the dump is still taken, from the register save area.
    expect(r.summary.dump.status).toBe('captured');
  });

  it('a structure of the other platform is a ConfigError; an entry past the table is skipped and said', async () => {
    await expect(
      Scenario.create()
        .boot()
        .crashAt()
        .corrupt({ struct: 'mdrt-entry', field: 'size', value: 0n })
        .run(dir()),
    ).rejects.toThrow('--corrupt mdrt-entry is not a pseries structure');
    const r = await Scenario.create()
      .boot()
      .crashAt()
      .corrupt({ struct: 'rtas-dump-section', entry: 9, field: 'error_flags', value: 1n })
      .run(dir());
    expect(r.summary.cycles[0]!.corrupted).toEqual([
      // CPU state, HPTE, boot memory and the parameter area.
      'skipped rtas-dump-section[9].error_flags: the table has 4 entries',
    ]);
    expect(r.summary.dump.status).toBe('captured');
  });
});
