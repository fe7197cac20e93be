import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunOptions } from '../../../scenarios/run.ts';
import { run as runIn } from '../../support/partition.ts';
import { EXACT } from '../../support/verify.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

async function run(o: Partial<RunOptions>) {
  return (await runIn(o)).summary.cycles[0]!;
}

describe('resilient (6.10+) kernels and memory events', () => {
  it('captures exactly the memory assigned at the crash after any add/remove/offline, with no re-registration', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ add: fc.nat(4), remove: fc.nat(2), offline: fc.nat(2) }),
        fc.constantFrom('le' as const, 'be' as const),
        async (hotplug, endian) => {
          const c = await run({ hotplug, endian, memory: 1536 * MiB });
          expect(c.dump.status).toBe('captured');
          expect(c.verify).toEqual(EXACT);
          expect(c.hotplug.reRegistrations).toBe(0);
          expect(c.hotplug.rtasCalls).toBe(0);
        },
      ),
      { seed: 4, numRuns: 12 },
    );
  });
});

describe('legacy (before 6.10) kernels and memory events', () => {
  it('the udev rule re-registers once per online/offline event, two RTAS calls each, and the dump is complete', async () => {
    const c = await run({ kernel: 'legacy', hotplug: { add: 3, offline: 1 } });
    expect(c.hotplug.uevents).toBe(3 * 2 + 1);
    expect(c.hotplug.reRegistrations).toBe(4);
    expect(c.hotplug.rtasCalls).toBe(8);
    expect(c.verify).toEqual(EXACT);
  });

  it('without re-registration the elfcorehdr is stale: hot-added memory is missing from the vmcore', async () => {
    const c = await run({ kernel: 'legacy', hotplug: { add: 2 }, udev: false });
    expect(c.dump.status).toBe('captured');
    expect(c.verify.missingBytes).toBe(2 * 256 * MiB);
    expect(c.verify.extraBytes).toBe(0);
  });

  it('without re-registration removed memory is still listed in the vmcore', async () => {
    const c = await run({ kernel: 'legacy', hotplug: { remove: 2 }, udev: false });
    expect(c.hotplug.removed).toBe(2);
    expect(c.verify.extraBytes).toBe(2 * 256 * MiB);
    expect(c.verify.missingBytes).toBe(0);
  });

  it('DLPAR remove refuses fadump memory: all or nothing', async () => {
    const c = await run({ kernel: 'resilient', memory: GiB, hotplug: { remove: 2 } });
    expect(c.hotplug.removed).toBe(0);
    expect(
      // Boot memory and the reserved area below, the parameter area (memblock-reserved) in the top one.
      c.console.crashed.some((l) => l.includes('Not enough LMBs available (0 of 2) to satisfy request')),
    ).toBe(true);
  });
});

describe('legacy elfcorehdr outgrowing its early-boot buffer', () => {
  it('after many discontiguous hot-adds, re-registration writes past the reserved area and corrupts what lies there', async () => {
    const lmb = 16 * MiB;
    const spare = 2400;
    const base = 0x80000000 + (1024 * MiB) / lmb;
    // Every other spare LMB: each one a new memblock range, so the header grows by 56 bytes each.
    const addDrc = Array.from({ length: spare / 2 }, (_, i) => base + 2 * i);
    const pattern = new TextEncoder().encode('user data that must survive: '.repeat(4));
    let patternAt = 0;
    const r = await runIn(
      { kernel: 'legacy', memory: 1024 * MiB, lmbSize: lmb, hotplug: { addDrc, spareLmbs: spare } },
      {
        afterBoot: (m, k) => {
          patternAt = k.fadump.reserveStart + k.fadump.reserveSize;
          m.memory.poke(patternAt, pattern);
        },
      },
    );
    const c = r.summary.cycles[0]!;
    expect(c.hotplug.reRegistrations).toBe(spare / 2);
    expect(c.elfcorehdrOverflowBytes).toBeGreaterThan(0);
    // The overflow is in the crashed kernel's memory, so the vmcore faithfully holds the damage.
    expect(c.verify.mismatchedBytes).toBe(0);
    const atCrash = r.snapshots[0]!.peek(patternAt, pattern.length);
    expect(Buffer.from(atCrash).equals(Buffer.from(pattern))).toBe(false);
    const resilient = await runIn({
      kernel: 'resilient',
      memory: 1024 * MiB,
      lmbSize: lmb,
      hotplug: { addDrc, spareLmbs: spare },
    });
    expect(resilient.summary.cycles[0]!.elfcorehdrOverflowBytes).toBe(0);
    expect(resilient.summary.cycles[0]!.verify).toEqual(EXACT);
  });
});

describe('crash while udev handles a bulk memory event', () => {
  it('legacy: fadump is unregistered in the window, so a crash there loses the dump', async () => {
    const c = await run({ kernel: 'legacy', hotplug: { add: 4 }, crashAtEvent: 3 });
    expect(c.hotplug.crashedInEvent).toBe(true);
    expect(c.dump.status).toBe('not-triggered');
    // Two whole windows of 200 ms, then half of the third.
    expect(c.hotplug.unregisteredNs).toBe(2 * 200_000_000 + 100_000_000);
    expect(c.hotplug.reRegistrations).toBe(2);
  });

  it('resilient: hotplug_ready makes the rule do nothing, and the same crash is captured', async () => {
    const c = await run({ kernel: 'resilient', hotplug: { add: 4 }, crashAtEvent: 3 });
    expect(c.hotplug.crashedInEvent).toBe(true);
    expect(c.dump.status).toBe('captured');
    expect(c.hotplug.unregisteredNs).toBe(0);
    expect(c.verify).toEqual(EXACT);
  });
});
