// Compare mode's model: the same memory events under 6.9 and 6.15 on one clock, the windows a 6.9
// re-registration leaves fadump unregistered, its elfcorehdr against its room, and what a crash at a
// chosen moment gives under each.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Comparison, compareSvg, crashAt, runComparison, timeAt } from '../../../lab/compare.ts';
import { checkScenario } from '../../../lab/model.ts';
import { REPO } from '../../support/tools.ts';

const builtIn = (name: string) => {
  const c = checkScenario(readFileSync(join(REPO, 'scenarios', 'library', `${name}.yaml`), 'utf8'));
  if (!c.ok) throw new Error(c.problem.text);
  return c;
};

describe('compare mode', () => {
  const storm = builtIn('legacy-bulk-add-crash-at-time');
  let c: Comparison;

  it('draws both kernels through eight hot-adds: 6.9 re-registered for each, 6.15 never', async () => {
    c = await runComparison(storm);
    const [old, now] = c.sides;
    expect(old!.label).toMatch(/6\.9/);
    expect(now!.label).toMatch(/6\.15/);
    // Each LMB added, then onlined: two uevents.
    expect(old!.uevents.map((u) => u.text.split(' ')[1])).toEqual(Array(8).fill(['add', 'online']).flat());
    expect(now!.uevents.map((u) => u.t)).toEqual(old!.uevents.map((u) => u.t));
    expect(old!.reRegistrations).toBe(8);
    expect(old!.windows.length).toBe(8);
    expect(now!.reRegistrations).toBe(0);
    expect(now!.windows).toEqual([]);
    // 6.15 registered once, from when it is up to the end of the axis.
    expect(now!.registered).toEqual([{ from: c.earliest, to: c.end }]);
    // The 6.9 elfcorehdr: built at registration and at each re-registration, in the same room.
    expect(old!.elfcorehdrs.length).toBe(9);
    expect(new Set(old!.elfcorehdrs.map((h) => h.room)).size).toBe(1);
    // Contiguous LMBs extend one memory range: the header keeps its size.
    expect(new Set(old!.elfcorehdrs.map((h) => h.bytes)).size).toBe(1);
    expect(now!.elfcorehdrs).toEqual([]);
    // The scenario's own crash, at 2.2 s: lost under 6.9, captured under 6.15.
    expect(c.outcome.at).toBe(2_200_000_000n);
    expect(c.outcome.dump.map((d) => d.status)).toEqual(['not-triggered', 'captured']);
    expect(c.outcome.dump[0]!.reason).toMatch(/re-registered/);
    expect(c.start).toBeLessThan(c.earliest);
  });

  it('a crash picked in an unregistered window loses the 6.9 dump; one after udev settled keeps both', async () => {
    const w = c.sides[0]!.windows[3]!;
    const inside = await crashAt(storm, (w.from + w.to) / 2n);
    expect(inside.dump.map((d) => d.status)).toEqual(['not-triggered', 'captured']);
    const after = await crashAt(storm, c.end);
    expect(after.dump.map((d) => d.status)).toEqual(['captured', 'captured']);
    await expect(crashAt(storm, 1n)).rejects.toThrow(/before the first kernel is up/);
  });

  it('draws it: a hatched window per 6.9 re-registration, a bar per elfcorehdr, the cursor where asked', () => {
    const svg = compareSvg(c, c.outcome.at);
    expect(svg.match(/<rect class="unregistered"/g)?.length).toBe(8);
    expect(svg.match(/<rect class="elfcorehdr/g)?.length).toBe(9);
    expect(svg).toContain(`data-t="${c.outcome.at}"`);
    // The axis inverts: an x gives back the time drawn there.
    const x = Number(/id="compare-cursor" class="cursor" x1="([\d.]+)"/.exec(svg)![1]);
    const t = timeAt(c, x);
    expect(Number(t - c.outcome.at)).toBeLessThan(Number(c.end - c.start) / 1000);
  });

  it('marks elfcorehdrs past their room, as 1,200 discontiguous hot-adds make them', async () => {
    const over = await runComparison(builtIn('legacy-elfcorehdr-overflow'));
    const hdrs = over.sides[0]!.elfcorehdrs;
    expect(hdrs.some((h) => h.bytes > h.room)).toBe(true);
    expect(hdrs[0]!.bytes).toBeLessThan(hdrs[0]!.room);
    expect(hdrs.at(-1)!.bytes).toBeGreaterThan(hdrs[0]!.bytes);
    const svg = compareSvg(over);
    expect(svg).toContain('class="elfcorehdr over"');
  });
});
