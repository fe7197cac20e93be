// Memory add/remove/offline before a crash (issue 4, spec/seed-commit.txt): the resilient generation
// captures exactly the memory assigned at the crash with no re-registration; the legacy one
// re-registers for every memory event, and without that its elfcorehdr is stale.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN, type RunOptions, runScenario } from '../../../scenarios/run.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

async function run(o: Partial<RunOptions>) {
  const { summary } = await runScenario(
    { ...DEFAULT_RUN, memory: 2 * GiB, ...o },
    mkdtempSync(join(tmpdir(), 'fadump-hp-')),
  );
  return summary.cycles[0]!;
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
          expect(c.verify).toEqual({ mismatchedBytes: 0, missingBytes: 0, extraBytes: 0 });
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
    expect(c.verify).toEqual({ mismatchedBytes: 0, missingBytes: 0, extraBytes: 0 });
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
      c.console.crashed.some((l) => l.includes('Not enough LMBs available (1 of 2) to satisfy request')),
    ).toBe(true);
  });
});
