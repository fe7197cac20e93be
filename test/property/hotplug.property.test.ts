// Property tests over memory-event sequences and crash points (issue 4 "Done when"): resilient dumps
// are complete and byte-exact whatever happens; legacy failures appear exactly where the simple
// reference model predicts them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Scenario } from '../../scenarios/builder.ts';
import type { MemoryStep } from '../../scenarios/run.ts';
import { runCampaign } from '../../testing/campaign.ts';
import { EXACT } from '../support/verify.ts';

type MemEvent = Extract<MemoryStep, { op: 'hotAdd' | 'hotRemove' | 'offline' | 'online' }>;

const MiB = 2 ** 20;
const PER_EVENT = 200_000_000;
const dir = () => mkdtempSync(join(tmpdir(), 'fadump-prop-'));

const step: fc.Arbitrary<MemEvent> = fc.oneof(
  fc.record({ op: fc.constant('hotAdd' as const), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constant('hotRemove' as const), count: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ op: fc.constant('offline' as const), count: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ op: fc.constant('online' as const), count: fc.integer({ min: 1, max: 2 }) }),
);

function build(
  kernel: 'legacy' | 'resilient',
  steps: MemEvent[],
  crashEvent: number | undefined,
  endian: 'le' | 'be' = 'le',
) {
  let s = Scenario.create({ kernel, memory: 1536 * MiB, endian }).boot();
  for (const st of steps) {
    if (st.op === 'hotAdd') s = s.hotAdd(st.count!);
    else if (st.op === 'hotRemove') s = s.hotRemove(st.count!);
    else if (st.op === 'offline') s = s.offline(st.count);
    else s = s.online(st.count);
  }
  // A crash during an event needs an event to crash in.
  return s.crashAt(crashEvent === undefined || steps.length === 0 ? {} : { event: crashEvent });
}

describe('resilient kernels under any memory-event sequence', () => {
  it('capture exactly the memory assigned at the crash, byte for byte, never re-registering (the resilient-exact campaign, pSeries and PowerNV)', async () => {
    const results = await runCampaign({ property: 'resilient-exact', runs: 40, seed: 1124 });
    expect(results).toHaveLength(40);
    expect(results.filter((r) => !r.ok).map((r) => `${r.index}: ${r.message}`)).toEqual([]);
  });
});

describe('legacy kernels: failures where the model predicts them', () => {
  it('a crash inside the K-th re-registration loses the dump; after the last one the dump is complete', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 }), async (adds, k) => {
        const { summary } = await build('legacy', [{ op: 'hotAdd', count: adds }], k).run(dir());
        const c = summary.cycles[0]!;
        // Reference model: each hot-added LMB is onlined, one udev event each, one window each.
        const triggers = adds;
        if (k <= triggers) {
          expect(c.dump.status).toBe('not-triggered');
          expect(c.hotplug.reRegistrations).toBe(k - 1);
          expect(c.hotplug.unregisteredNs).toBe((k - 1) * PER_EVENT + PER_EVENT / 2);
        } else {
          expect(c.dump.status).toBe('captured');
          expect(c.hotplug.reRegistrations).toBe(triggers);
          expect(c.hotplug.rtasCalls).toBe(2 * triggers);
          expect(c.hotplug.unregisteredNs).toBe(triggers * PER_EVENT);
          expect(c.verify).toEqual(EXACT);
        }
      }),
      { seed: 77, numRuns: 20 },
    );
  });

  it('without re-registration the vmcore misses exactly the hot-added bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), async (adds) => {
        const { summary } = await Scenario.create({ kernel: 'legacy', memory: 1536 * MiB, udev: false })
          .boot()
          .hotAdd(adds)
          .crashAt()
          .run(dir());
        const c = summary.cycles[0]!;
        expect(c.verify.missingBytes).toBe(adds * 256 * MiB);
        expect(c.verify.extraBytes).toBe(0);
      }),
      { seed: 78, numRuns: 6 },
    );
  });
});

/**
 * The simple reference for legacy runs on a 1.5 GiB partition with 256 MiB LMBs: LMBs 3-5 lie above
 * the fadump reserved area and may be removed or offlined; adds take the lowest free slots above
 * memory (or removed slots); removes take the highest removable LMBs, all or nothing; offline and
 * online take the highest LMBs in the other state. Every online/offline is one udev trigger.
 */
function referenceTriggers(steps: MemEvent[]): {
  triggers: number;
  lmbs: { index: number; online: boolean }[];
} {
  const lmbs = [3, 4, 5].map((index) => ({ index, online: true }));
  const present = new Set([0, 1, 2, 3, 4, 5]);
  let triggers = 0;
  const highestFirst = () => [...lmbs].sort((a, b) => b.index - a.index);
  for (const s of steps) {
    if (s.op === 'hotAdd') {
      for (let n = 0; n < s.count!; n++) {
        let i = 6;
        while (present.has(i)) i++;
        present.add(i);
        lmbs.push({ index: i, online: true });
        triggers++;
      }
    } else if (s.op === 'hotRemove') {
      if (lmbs.length < s.count!) continue;
      for (const l of highestFirst().slice(0, s.count!)) {
        if (l.online) triggers++;
        lmbs.splice(lmbs.indexOf(l), 1);
        present.delete(l.index);
      }
    } else {
      const want = s.op === 'online';
      for (const l of highestFirst()
        .filter((x) => x.online !== want)
        .slice(0, s.count)) {
        l.online = want;
        triggers++;
      }
    }
  }
  return { triggers, lmbs };
}

describe('legacy kernels under any memory-event sequence', () => {
  it('re-register once per trigger the reference predicts, and lose the dump exactly when the crash falls in a window', async () => {
    const seen = { lost: 0, captured: 0, removes: 0, offlines: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 5 }),
        fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
        async (steps, crashEvent) => {
          const { summary } = await build('legacy', steps, crashEvent).run(dir());
          const c = summary.cycles[0]!;
          const { triggers } = referenceTriggers(steps);
          if (c.hotplug.removed > 0) seen.removes++;
          if (c.hotplug.offlined > 0) seen.offlines++;
          if (crashEvent !== undefined && crashEvent <= triggers) {
            seen.lost++;
            expect(c.dump.status).toBe('not-triggered');
            expect(c.hotplug.reRegistrations).toBe(crashEvent - 1);
          } else {
            seen.captured++;
            expect(c.dump.status).toBe('captured');
            expect(c.hotplug.reRegistrations).toBe(triggers);
            expect(c.hotplug.rtasCalls).toBe(2 * triggers);
            // Re-registered after the last event: the header is current.
            expect(c.verify).toEqual(EXACT);
          }
        },
      ),
      { seed: 2411, numRuns: 40 },
    );
    // The sample must exercise both outcomes and every kind of event, or it proves little.
    expect(seen.lost).toBeGreaterThan(3);
    expect(seen.captured).toBeGreaterThan(3);
    expect(seen.removes).toBeGreaterThan(0);
    expect(seen.offlines).toBeGreaterThan(0);
  });
});

describe('legacy kernels on PowerNV under online/offline sequences', () => {
  /** Reference: on a 4 GiB PowerNV partition memory blocks 7–15 lie clear of fadump memory. */
  function triggersOf(steps: { op: 'offline' | 'online'; count: number }[]): number {
    const online = new Map<number, boolean>(Array.from({ length: 9 }, (_, i) => [15 - i, true]));
    let triggers = 0;
    for (const s of steps) {
      const want = s.op === 'online';
      const picked = [...online.entries()].filter(([, on]) => on !== want).slice(0, s.count);
      for (const [block] of picked) online.set(block, want);
      triggers += picked.length;
    }
    return triggers;
  }

  it('re-register once per predicted trigger and lose the dump exactly inside a window', async () => {
    const seen = { lost: 0, captured: 0 };
    const onOff = fc.record({
      op: fc.constantFrom('offline' as const, 'online' as const),
      count: fc.integer({ min: 1, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(onOff, { maxLength: 4 }),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        async (steps, crashEvent) => {
          let s = Scenario.create({ platform: 'powernv', kernel: 'legacy', memory: 4096 * MiB }).boot();
          for (const st of steps) s = st.op === 'offline' ? s.offline(st.count) : s.online(st.count);
          const { summary } = await s
            .crashAt(crashEvent === undefined || steps.length === 0 ? {} : { event: crashEvent })
            .run(dir());
          const c = summary.cycles[0]!;
          const triggers = triggersOf(steps);
          if (crashEvent !== undefined && crashEvent <= triggers) {
            seen.lost++;
            expect(c.dump.status).toBe('not-triggered');
            expect(c.hotplug.reRegistrations).toBe(crashEvent - 1);
          } else {
            seen.captured++;
            expect(c.dump.status).toBe('captured');
            expect(c.hotplug.reRegistrations).toBe(triggers);
            expect(c.verify).toEqual(EXACT);
          }
        },
      ),
      { seed: 5150, numRuns: 15 },
    );
    expect(seen.lost).toBeGreaterThan(0);
    expect(seen.captured).toBeGreaterThan(0);
  });
});
